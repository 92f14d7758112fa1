// Style-based generators in the explorer: the StyleGANGenerator layer's own mapping, truncation
// and synthesis (src/models/style/stylegan.ts, loaded into the page with the library core), run
// by the page's tf.js. The truncation trick's centre is the mean w over 10,000 mapped z (each
// digit's own for a conditional generator); style mixing takes one range of layers' ws from a
// second sample, as the figure of StyleGAN's paper does.

import * as tf from "@tensorflow/tfjs-core";

/** The class name of the style-based generator's layer in model.json. */
export const STYLE_LAYER = "StyleGANGenerator";

/** How many z the mean w is measured over (StyleGAN's 10,000), and their seed. */
export const AVERAGE_SAMPLES = 10_000;
export const AVERAGE_SEED = 0;

/** The model's StyleGANGenerator layer, or null for any other generator. */
export function styleLayerOf(model) {
  return model.layers.find((layer) => layer.getClassName() === STYLE_LAYER) ?? null;
}

/**
 * The layer's resolutions in three ranges, lowest first: coarse, middle and fine (one each for
 * 7 → 14 → 28), each with the indices of the ws it owns (`wsByResolution`: a resolution's
 * convolutions', and the last toRGB's with the finest).
 */
export function styleRanges(layer) {
  const byResolution = layer.wsByResolution;
  const n = byResolution.length;
  const cuts = [0, Math.round(n / 3), Math.round((2 * n) / 3), n];
  const range = (k) => ({
    resolutions: layer.resolutions.slice(cuts[k], cuts[k + 1]),
    ws: [...new Set(byResolution.slice(cuts[k], cuts[k + 1]).flat())],
  });
  return { coarse: range(0), middle: range(1), fine: range(2) };
}

/** One row per class: the one-hot labels of every class, `(classes, classes)`. */
function identity(classes) {
  return tf.tensor2d(
    Float32Array.from({ length: classes * classes }, (_, i) => (i % (classes + 1) === 0 ? 1 : 0)),
    [classes, classes],
  );
}

/** A StyleGANGenerator layer taken apart: ws from z, images from ws, mixes of two samples' ws. */
export class StyleSampler {
  constructor(layer, classes) {
    this.layer = layer;
    this.classes = classes;
    this.ranges = styleRanges(layer);
    this.averages = null;
  }

  /**
   * The truncation's centres, measured on first use and kept: `(1, styleDim)`, or one row per
   * digit, `(classes, styleDim)`.
   */
  averageTable() {
    this.averages ??= (async () => {
      const rows = tf.tidy(() => {
        if (!this.classes) {
          return tf.expandDims(this.layer.averageW(AVERAGE_SAMPLES, AVERAGE_SEED), 0);
        }
        const labels = tf.unstack(identity(this.classes)).map((row) => tf.expandDims(row, 0));
        return tf.stack(
          labels.map((label) => this.layer.averageW(AVERAGE_SAMPLES, AVERAGE_SEED, label)),
        );
      });
      await rows.data(); // measured now, not in the middle of a later render
      return rows;
    })();
    this.averages.catch(() => (this.averages = null));
    return this.averages;
  }

  /**
   * One w per sample: z (and the label) mapped, then pulled towards the mean by ψ. A label that
   * blends two digits (an interpolation frame) gets the same blend of their means.
   *
   * @param z `(B, latentDim)`.
   * @param labels `(B, classes)` or null.
   * @param psi The truncation: 1 leaves w as mapped.
   * @param table From `averageTable()` (needed when ψ < 1).
   * @returns `(B, styleDim)`.
   */
  styles(z, labels, psi, table) {
    return tf.tidy(() => {
      const w = this.layer.mapping(z, labels ?? undefined);
      if (psi === 1) return w;
      const average = this.classes ? tf.matMul(labels, table) : tf.squeeze(table, [0]);
      return this.layer.truncate(w, average, psi);
    });
  }

  /** Images for ws, `(B, numWs, styleDim)` → `(B, H, W, C)` in [-1, 1], as the layer draws. */
  images(ws) {
    return tf.tidy(() => tf.clipByValue(this.layer.synthesis(ws), -1, 1));
  }

  /** Images for one w per sample, the same w in every layer. */
  imagesOf(w) {
    return tf.tidy(() => this.images(this.layer.broadcast(w)));
  }

  /**
   * The ws of every pair (row r of A, column c of B), row by row: the layers in `fromB` read
   * B's w, the others A's (taken, not blended).
   *
   * @param wA `(R, styleDim)`.
   * @param wB `(C, styleDim)`.
   * @param fromB Indices of the ws taken from B.
   * @returns `(R·C, numWs, styleDim)`.
   */
  mixedStyles(wA, wB, fromB) {
    return tf.tidy(() => {
      const rows = wA.shape[0], columns = wB.shape[0];
      const ofA = Int32Array.from({ length: rows * columns }, (_, k) => Math.floor(k / columns));
      const ofB = Int32Array.from({ length: rows * columns }, (_, k) => k % columns);
      // numWs × (R·C, styleDim) -> (R·C, numWs, styleDim)
      const perLayer = Array.from(
        { length: this.layer.numWs },
        (_, i) =>
          fromB.has(i)
            ? tf.gather(wB, tf.tensor1d(ofB, "int32"))
            : tf.gather(wA, tf.tensor1d(ofA, "int32")),
      );
      return tf.stack(perLayer, 1);
    });
  }

  dispose() {
    this.averages?.then((rows) => rows.dispose()).catch(() => {});
    this.averages = null;
  }
}
