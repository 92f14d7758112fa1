// The explorer's cards for a style-based generator: the Styles card (the truncation ψ, new
// noise) and the Style mixing card, drawn from the explorer's samples on its render queue; their
// maths is in styles.js.

import * as tf from "@tensorflow/tfjs-core";
import { drawGrid, freshSeed } from "./images.js";
import { StyleSampler } from "./styles.js";

/** The style-mixing grid: sources A are the grid's first samples, sources B the next ones. */
const MIX_ROWS = 4;
const MIX_COLUMNS = 4;

const $ = (id) => document.getElementById(id);

export class StyleCards {
  /**
   * @param explorer The explorer whose samples, labels and render queue the cards use.
   */
  constructor(explorer) {
    this.explorer = explorer;
    this.sampler = null;
    this.psi = 1;
    this.noiseSeed = 0;
    this.mixRange = "coarse";
    this.bindControls();
  }

  bindControls() {
    const explorer = this.explorer;
    $("truncation").addEventListener("input", () => {
      $("truncation-value").textContent = Number($("truncation").value).toFixed(2);
      this.scheduleAll();
    });
    $("resample-noise").addEventListener("click", () => {
      if (!this.sampler) return;
      const seed = freshSeed();
      explorer.enqueue(() => {
        this.noiseSeed = seed;
        this.sampler.layer.noiseSeed = seed;
        return explorer.renderAll();
      });
    });
    $("mix-range").addEventListener("change", () => {
      explorer.enqueue(() => {
        this.mixRange = $("mix-range").value;
        return this.renderMixing();
      });
    });
  }

  /** A style-based generator's sampler (or none), keeping the page's noise seed and ψ. */
  setLayer(layer, classes) {
    this.sampler?.dispose();
    this.sampler = layer ? new StyleSampler(layer, classes) : null;
    if (!this.sampler) return;
    layer.noiseSeed = this.noiseSeed;
    const side = (resolutions) => resolutions.map((r) => `${r}×${r}`).join(", ");
    for (const option of $("mix-range").options) {
      const range = this.sampler.ranges[option.value];
      option.disabled = range.ws.length === 0;
      option.textContent = `${option.value} styles from B` +
        (range.resolutions.length ? ` (${side(range.resolutions)})` : "");
    }
    if ($("mix-range").selectedOptions[0]?.disabled) {
      $("mix-range").value = [...$("mix-range").options].find((o) => !o.disabled).value;
    }
    this.mixRange = $("mix-range").value;
  }

  /** Redraws everything on the next frame (ψ moved): read when the redraw starts. */
  scheduleAll() {
    if (this.allPending) return;
    this.allPending = true;
    requestAnimationFrame(() => {
      this.allPending = false;
      this.explorer.enqueue(() => {
        this.psi = Number($("truncation").value);
        return this.explorer.model ? this.explorer.renderAll() : undefined;
      });
    });
  }

  /** The truncation's centres when ψ < 1 (measured once per model), else null. */
  averageTable() {
    return this.sampler && this.psi < 1 ? this.sampler.averageTable() : null;
  }

  /** Images for `(n, latentDim)` z and `(n, classes)` labels (or null), w truncated by ψ first. */
  forward(z, labels, table) {
    return this.sampler.imagesOf(this.sampler.styles(z, labels, this.psi, table));
  }

  /**
   * StyleGAN's figure: the first samples of the grid down the side (A), the next ones along the
   * top (B), and in each cell A's image with one range of styles (coarse, middle or fine) taken
   * from B, the rest from A.
   */
  async renderMixing() {
    if (!this.sampler) return;
    const explorer = this.explorer, style = this.sampler;
    const rows = MIX_ROWS, columns = MIX_COLUMNS, d = explorer.latentDim;
    const { classes, shape } = explorer;
    const range = this.mixRange;
    const fromB = new Set(style.ranges[range].ws);
    const table = await this.averageTable();
    const output = tf.tidy(() => {
      const labels = (from, n) =>
        classes
          ? tf.tensor2d(explorer.labelRows(n, (i) => explorer.labelFor(from + i)), [n, classes])
          : null;
      const zA = tf.tensor2d(explorer.z.slice(0, rows * d), [rows, d]);
      const zB = tf.tensor2d(explorer.z.slice(rows * d, (rows + columns) * d), [columns, d]);
      const wA = style.styles(zA, labels(0, rows), this.psi, table);
      const wB = style.styles(zB, labels(rows, columns), this.psi, table);
      // (columns + rows + rows·columns, H, W, channels): B's images, A's, the mixes row by row
      return tf.concat([
        style.imagesOf(wB),
        style.imagesOf(wA),
        style.images(style.mixedStyles(wA, wB, fromB)),
      ]);
    });
    const values = await output.data();
    output.dispose();
    // A grid of (R + 1) × (C + 1) cells: the corner empty, B on top, A on the left.
    const size = shape.reduce((a, b) => a * b);
    const cells = (rows + 1) * (columns + 1);
    const pixels = new Float32Array(cells * size);
    const put = (cell, image) =>
      pixels.set(values.subarray(image * size, (image + 1) * size), cell * size);
    for (let c = 0; c < columns; c++) put(1 + c, c);
    for (let r = 0; r < rows; r++) {
      put((r + 1) * (columns + 1), columns + r);
      for (let c = 0; c < columns; c++) {
        put((r + 1) * (columns + 1) + 1 + c, columns + rows + r * columns + c);
      }
    }
    this.mixPixels = pixels;
    const canvas = $("mix-grid");
    const { padding } = drawGrid(canvas, pixels, cells, shape, { columns: columns + 1 });
    const context = canvas.getContext("2d");
    context.fillStyle = "rgb(96, 96, 96)";
    context.fillRect(padding, padding, shape[1], shape[0]);
    const resolutions = style.ranges[range].resolutions.map((r) => `${r}×${r}`).join(", ");
    const caption = `rows: samples 1–${rows} (A) · columns: samples ${rows + 1}–${
      rows + columns
    } (B) · each cell: A with B's ${range} styles (${resolutions})`;
    $("mix-caption").textContent = caption;
    canvas.setAttribute("aria-label", `Style mixing: ${caption}`);
    canvas.dataset.range = range;
    canvas.dataset.labels = explorer.labelsShown();
    canvas.dataset.psi = String(this.psi);
    canvas.dataset.noiseSeed = String(this.noiseSeed);
    canvas.dataset.renders = String(Number(canvas.dataset.renders ?? 0) + 1);
  }
}
