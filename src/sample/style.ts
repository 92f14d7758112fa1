/**
 * Sampling a style-based generator (`stylegan`, `cstylegan`) by its parts (Karras et al. 2019,
 * "A Style-Based Generator Architecture for GANs"): the **truncation trick** (w pulled towards
 * the average w, trading variety for typical images), **style mixing** (the coarse, middle or
 * fine styles of one image with the rest of another's, as the paper's figure 3) and **walks in
 * w** (a straight line between two ws, where a walk in z bends through the mapping network).
 * No file access: runs in Deno and in a browser.
 *
 * The z of each image is the one `sample` draws with the same seed, so that `sampleTruncated` at
 * ψ = 1 gives `sample`'s images, and a mix grid's sources and a walk's ends are those images too.
 *
 * ```ts
 * import { createGenerator, encodePngGrid, sampleTruncated, styleMixGrid } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "stylegan", seed: 1 });
 * const typical = await sampleTruncated(generator, { n: 16, seed: 2, psi: 0.7 });
 * const grid = await styleMixGrid(generator, { rowSeed: 1, columnSeed: 2, range: "coarse" });
 * console.log(encodePngGrid(grid, { columns: grid.gridColumns }).length > 0);
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel, Tensor, Tensor4D } from "../tf_types.ts";
import type { ImageSet } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import { Random } from "../random.ts";
import { type LatentMixture, latentMixtureOf, latentNoise } from "../models/prior.ts";
import { StyleGANGenerator } from "../models/style/stylegan.ts";
import { interpolateLatents, seedLatent } from "./interpolate.ts";
import { generatorShape, type SampleOptions } from "./sample.ts";

/** A group of styles by resolution: the lowest (coarse), the highest (fine), those between. */
export type StyleRange = "coarse" | "middle" | "fine";

/** The names of {@linkcode StyleRange}, coarse first. */
export const STYLE_RANGES: readonly StyleRange[] = ["coarse", "middle", "fine"];

/** Which of a style-based generator's ws belong to which resolutions. */
export interface StyleLayout {
  /** ws the synthesis network takes: one per convolution and one for the last toRGB. */
  numWs: number;
  /** Each range's ws as `[start, end)`: coarse the lowest resolution's, fine the highest's. */
  ranges: Record<StyleRange, [number, number]>;
  /** `styleMixGrid`'s default crossover: the first w of the middle resolution. */
  crossover: number;
}

/**
 * What a style-based generator's layer (`StyleGANGenerator`, src/models/style/stylegan.ts) offers
 * for taking it apart: the mapping network, the synthesis network and the truncation trick.
 */
export interface StyleLayer {
  /** ws the synthesis takes: one per convolution and one for the last toRGB. */
  readonly numWs: number;
  /** The ws of each resolution's layers, lowest first (a toRGB's w is the next one's first). */
  readonly wsByResolution: number[][];
  /** Seed of the noise maps outside training. */
  noiseSeed: number;
  /** Its sizes: z, w, and the classes of a conditional generator (0 for none). */
  readonly config: { latentDim: number; styleDim: number; classes?: number };
  /** z `(B, latentDim)` (and one-hot `(B, classes)`) → w `(B, styleDim)`. */
  mapping(z: Tensor, label?: Tensor): Tensor;
  /** w `(B, styleDim)` → the same w for every layer, `(B, numWs, styleDim)`. */
  broadcast(w: Tensor): Tensor;
  /** ws `(B, numWs, styleDim)` → images `(B, H, W, C)`, linear (not clipped). */
  synthesis(ws: Tensor, training?: boolean): Tensor4D;
  /** `w̄ + ψ·(w − w̄)`: w `(B, styleDim)` or `(B, numWs, styleDim)`, w̄ `(styleDim)` or `(B, styleDim)`. */
  truncate<T extends Tensor>(w: T, average: Tensor, psi: number): T;
  /** The mean w, `(styleDim)`, of `n` z from N(0, I) (with a `(1, classes)` label, of one class). */
  averageW(n?: number, seed?: number, label?: Tensor): Tensor;
}

/** z's drawn for the average w of the truncation trick (StyleGAN's figure). */
const AVERAGE_SAMPLES = 10_000;

/** Seed of those z's, apart from the small seeds of samples. */
const AVERAGE_SEED = 0x9e3779b9;

/**
 * A generator's style-based layer, if it has one: the `StyleGANGenerator` of a `stylegan` or
 * `cstylegan` model, made by `createGenerator` or loaded by `loadModel`.
 *
 * @param generator Any generator.
 * @returns The layer, or `undefined` for a generator of another kind.
 *
 * @example
 * ```ts
 * import { createGenerator, styleLayerOf } from "@gan/mnist";
 *
 * console.log(styleLayerOf(createGenerator({ preset: "stylegan" }))?.numWs); // 6
 * console.log(styleLayerOf(createGenerator({ preset: "lite" }))); // undefined
 * ```
 */
export function styleLayerOf(generator: LayersModel): StyleLayer | undefined {
  return generator.layers.find((layer) => layer instanceof StyleGANGenerator) as
    | StyleGANGenerator
    | undefined;
}

/** The layer, or a RangeError naming the function. */
function requireStyleLayer(where: string, generator: LayersModel): StyleGANGenerator {
  const layer = generator.layers.find((layer): layer is StyleGANGenerator =>
    layer instanceof StyleGANGenerator
  );
  if (!layer) {
    throw new RangeError(
      `${where}: not a style-based generator (stylegan, cstylegan): it has no StyleGANGenerator layer`,
    );
  }
  return layer;
}

/**
 * Which ws of a style-based generator are coarse, middle and fine. Each w belongs to the
 * resolution of the convolution that takes it (the last one to the last toRGB): for 28×28
 * digits (7, 14, 28) that is coarse `[0, 1)`, middle `[1, 3)`, fine `[3, 6)`. With two
 * resolutions the middle range is empty.
 *
 * @param generator A `stylegan` or `cstylegan` generator.
 * @returns The number of ws, the ranges and the default crossover.
 * @throws {RangeError} If the generator is not style-based.
 *
 * @example
 * ```ts
 * import { createGenerator, styleLayout } from "@gan/mnist";
 *
 * const layout = styleLayout(createGenerator({ preset: "stylegan" }));
 * console.log(layout.numWs, layout.ranges.middle, layout.crossover); // 6 [1, 3] 1
 * ```
 */
export function styleLayout(generator: LayersModel): StyleLayout {
  const layer = requireStyleLayer("styleLayout", generator);
  const numWs = layer.numWs;
  // The first w of each resolution; the toRGB's w, listed with the resolution below, is that
  // of the next resolution's first convolution.
  const starts = layer.wsByResolution.map((ws) => ws[0]);
  const at = (k: number) => (k < starts.length ? starts[k] : numWs);
  const last = starts.length - 1;
  const ranges: Record<StyleRange, [number, number]> = {
    coarse: [0, at(1)],
    middle: [at(1), last >= 2 ? at(last) : at(1)],
    fine: last >= 1 ? [at(last), numWs] : [numWs, numWs],
  };
  return { numWs, ranges, crossover: Math.min(at(1), numWs - 1) };
}

/** Options of {@linkcode styleAverage}. */
export interface StyleAverageOptions {
  /**
   * How many z to map.
   * @default {10000}
   */
  samples?: number;
  /**
   * Seed of the z.
   * @default {0x9e3779b9}
   */
  seed?: number;
  /** Conditional generators: the class whose ws to average (required). */
  label?: number;
}

/**
 * The average w: the centre of the truncation trick, the mean of the mapping network's output
 * over z drawn from the generator's own prior (N(0, I), or its latent mixture), for a
 * conditional generator over one class's ws.
 *
 * @param generator A `stylegan` or `cstylegan` generator.
 * @param options How many z, their seed, the class.
 * @returns `styleDim` values.
 * @throws {RangeError} If the generator is not style-based, or the class is missing or unknown.
 *
 * @example
 * ```ts
 * import { createGenerator, styleAverage } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "cstylegan", seed: 1 });
 * console.log(styleAverage(generator, { label: 7, samples: 1000 }).length); // 128
 * ```
 */
export function styleAverage(
  generator: LayersModel,
  options: StyleAverageOptions = {},
): Float32Array {
  const layer = requireStyleLayer("styleAverage", generator);
  const samples = checkInteger("styleAverage", "samples", options.samples ?? AVERAGE_SAMPLES);
  const seed = checkInteger("styleAverage", "seed", options.seed ?? AVERAGE_SEED, 0, 2 ** 32 - 1);
  const { classes } = generatorShape(generator);
  if (classes && options.label === undefined) {
    throw new RangeError("styleAverage: a conditional generator's average w needs a label");
  }
  if (options.label !== undefined) checkLabel("styleAverage", options.label, classes);
  return averageW(layer, latentMixtureOf(generator), samples, seed, classes, options.label);
}

/** The mean w of `samples` z from the prior, in batches of 1,000, as the layer's `averageW`. */
function averageW(
  layer: StyleGANGenerator,
  mixture: LatentMixture | undefined,
  samples: number,
  seed: number,
  classes: number,
  label: number | undefined,
): Float32Array {
  const { latentDim, styleDim } = layer.config;
  const random = new Random(seed);
  let sum = tf.zeros([styleDim]);
  for (let done = 0; done < samples; done += 1000) {
    const count = Math.min(1000, samples - done);
    const z = latentNoise(random, count, latentDim, mixture);
    const next = tf.tidy(() => {
      // (count, latentDim) [+ (count, classes)] -> (count, styleDim) -> (styleDim)
      const w = layer.mapping(tf.tensor2d(z, [count, latentDim]), oneHot(label, count, classes));
      return tf.add(sum, tf.sum(w, 0));
    });
    sum.dispose();
    sum = next;
  }
  const mean = tf.tidy(() => tf.div(sum, samples));
  sum.dispose();
  const values = mean.dataSync() as Float32Array;
  mean.dispose();
  return values;
}

/** `(count, classes)` one-hot rows of one class, or of each class in `labels`; none without. */
function oneHot(
  labels: number | ArrayLike<number> | undefined,
  count: number,
  classes: number,
): tf.Tensor2D | undefined {
  if (!classes || labels === undefined) return undefined;
  const rows = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    rows[i * classes + (typeof labels === "number" ? labels : labels[i])] = 1;
  }
  return tf.tensor2d(rows, [count, classes]);
}

/** A class, checked against the generator's. */
function checkLabel(where: string, label: number, classes: number): number {
  if (!classes) {
    throw new RangeError(`${where}: labels are for conditional generators; this one is not`);
  }
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new RangeError(
      `${where}: label ${label} is not a class of this generator (0–${classes - 1})`,
    );
  }
  return label;
}

/** The class of each of `n` images, as `sample` picks them: given, one for all, or in turn. */
function imageLabels(
  where: string,
  n: number,
  classes: number,
  given: ArrayLike<number> | number | undefined,
): Uint8Array | undefined {
  if (!classes) {
    if (given !== undefined) checkLabel(where, 0, classes);
    return undefined;
  }
  if (given === undefined) return Uint8Array.from({ length: n }, (_, i) => i % classes);
  const list = typeof given === "number" ? new Array(n).fill(given) : Array.from(given);
  if (list.length !== n) throw new RangeError(`${where}: ${list.length} labels for ${n} images`);
  return Uint8Array.from(list, (label) => checkLabel(where, label, classes));
}

/** A finite ψ. */
function checkPsi(where: string, psi: number): number {
  if (typeof psi !== "number" || !Number.isFinite(psi)) {
    throw new RangeError(`${where}: psi must be a finite number (1 = no truncation), got ${psi}`);
  }
  return psi;
}

/**
 * The truncation trick on rows of w: `w̄ + ψ·(w − w̄)`, with each row's class's average (one
 * average for an unconditional generator), computed once per class asked for. At ψ = 1 the ws
 * are returned as they are, and no average is computed.
 */
class Truncation {
  readonly #averages = new Map<number, Float32Array>();

  constructor(
    readonly generator: LayersModel,
    readonly layer: StyleGANGenerator,
    readonly psi: number,
  ) {}

  /** `(count, styleDim)` ws, truncated; `labels` the class of each row (conditional only). */
  apply(w: tf.Tensor2D, labels: ArrayLike<number> | undefined): tf.Tensor2D {
    if (this.psi === 1) return w;
    const [count, styleDim] = w.shape;
    const centres = new Float32Array(count * styleDim);
    for (let i = 0; i < count; i++) centres.set(this.average(labels?.[i]), i * styleDim);
    return tf.tidy(() => this.layer.truncate(w, tf.tensor2d(centres, [count, styleDim]), this.psi));
  }

  /** A class's average w (the only one without classes). */
  average(label: number | undefined): Float32Array {
    const key = label ?? -1;
    let average = this.#averages.get(key);
    if (!average) {
      const { classes } = generatorShape(this.generator);
      const mixture = latentMixtureOf(this.generator);
      average = averageW(this.layer, mixture, AVERAGE_SAMPLES, AVERAGE_SEED, classes, label);
      this.#averages.set(key, average);
    }
    return average;
  }
}

/** Options of {@linkcode sampleTruncated}: `sample`'s, and ψ. */
export interface TruncatedSampleOptions extends SampleOptions {
  /**
   * ψ of the truncation trick: 1 leaves w as it is (`sample`'s images), 0 gives the average w
   * (one image, up to the noise inputs), between them more typical images with less variety.
   * @default {0.7}
   */
  psi?: number;
}

/**
 * Generates images with the truncation trick (StyleGAN §4.1 and appendix B): each image's w is
 * pulled towards the average w, measured over 10,000 mapped z (for a conditional generator, the
 * average of its class's ws, so that every digit keeps its own centre). The z are those `sample`
 * draws with the same seed and batch size, so ψ = 1 gives `sample`'s images.
 *
 * @param generator A `stylegan` or `cstylegan` generator.
 * @param options `sample`'s (n, seed, batch size, labels), and ψ.
 * @returns The images, in [-1, 1].
 * @throws {RangeError} If the generator is not style-based, or on a bad option.
 *
 * @example Sixteen typical digits, and the average one
 * ```ts
 * import { createGenerator, sampleTruncated } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "stylegan", seed: 1 });
 * const typical = await sampleTruncated(generator, { n: 16, seed: 2, psi: 0.7 });
 * const average = await sampleTruncated(generator, { n: 1, psi: 0 });
 * console.log(typical.count, average.count); // 16 1
 * ```
 */
export async function sampleTruncated(
  generator: LayersModel,
  options: TruncatedSampleOptions,
): Promise<ImageSet> {
  const where = "sampleTruncated";
  const layer = requireStyleLayer(where, generator);
  const n = checkInteger(where, "n", options.n);
  const batchSize = checkInteger(where, "batchSize", options.batchSize ?? 500);
  const seed = checkInteger(where, "seed", options.seed ?? 0, 0, 2 ** 32 - 1);
  const truncation = new Truncation(generator, layer, checkPsi(where, options.psi ?? 0.7));
  const { latentDim, imageShape, classes } = generatorShape(generator);
  const labels = imageLabels(where, n, classes, options.labels);
  const [height, width, channels] = imageShape;
  const size = height * width * channels;
  const random = new Random(seed);
  const mixture = latentMixtureOf(generator);
  const pixels = new Float32Array(n * size);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    // As `sample`: one batch's noise after the other's from one stream.
    const z = latentNoise(random, count, latentDim, mixture);
    const rows = labels?.subarray(start, start + count);
    const images = tf.tidy(() => {
      // (count, latentDim) [+ (count, classes)] -> (count, styleDim), truncated
      const w = truncation.apply(
        layer.mapping(tf.tensor2d(z, [count, latentDim]), oneHot(rows, count, classes)),
        rows,
      );
      // (count, numWs, styleDim) -> (count, height, width, channels), clipped as the layer's call
      return tf.clipByValue(layer.synthesis(layer.broadcast(w), false), -1, 1);
    });
    pixels.set(await images.data() as Float32Array, start * size);
    images.dispose();
  }
  return { pixels, count: n, height, width, channels, ...(labels ? { labels } : {}) };
}

/** Mapped and truncated ws of seeded z, as `Float32Array` rows. */
function seededWs(
  generator: LayersModel,
  layer: StyleGANGenerator,
  truncation: Truncation,
  z: Float32Array,
  labels: ArrayLike<number> | undefined,
): Float32Array {
  const { latentDim, classes } = generatorShape(generator);
  const count = z.length / latentDim;
  const w = tf.tidy(() =>
    truncation.apply(
      layer.mapping(tf.tensor2d(z, [count, latentDim]), oneHot(labels, count, classes)),
      labels,
    )
  );
  const values = w.dataSync() as Float32Array;
  w.dispose();
  return values;
}

/**
 * Draws one image per `(numWs × styleDim)` block of ws, one image at a time, so that every image
 * has the same noise maps (those of the first image of a batch, `sample --n 1`'s): only the
 * styles differ between them, as in StyleGAN's figures.
 */
async function synthesise(
  layer: StyleGANGenerator,
  ws: Float32Array[],
  imageShape: [number, number, number],
): Promise<Float32Array> {
  const { styleDim } = layer.config;
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  const pixels = new Float32Array(ws.length * size);
  for (const [i, one] of ws.entries()) {
    // (1, numWs, styleDim) -> (1, height, width, channels)
    const image = tf.tidy(() =>
      tf.clipByValue(layer.synthesis(tf.tensor3d(one, [1, layer.numWs, styleDim]), false), -1, 1)
    );
    pixels.set(await image.data() as Float32Array, i * size);
    image.dispose();
  }
  return pixels;
}

/** `w` repeated for each of `numWs` layers. */
function repeated(w: Float32Array, numWs: number): Float32Array {
  const out = new Float32Array(numWs * w.length);
  for (let i = 0; i < numWs; i++) out.set(w, i * w.length);
  return out;
}

/** Options of {@linkcode styleMixGrid}. */
export interface StyleMixOptions {
  /**
   * Seed of the rows' sources, A: their z are those `sample` draws with it.
   * @default {0}
   */
  rowSeed?: number;
  /**
   * Seed of the columns' sources, B.
   * @default {1}
   */
  columnSeed?: number;
  /**
   * Sources A, one per row.
   * @default {6}
   */
  rows?: number;
  /**
   * Sources B, one per column.
   * @default {6}
   */
  columns?: number;
  /**
   * ws `[0, crossover)` from A, the rest from B: 0 is B's image, `numWs` A's. Give this or
   * `range`; the default is {@linkcode StyleLayout.crossover}, A's coarse styles.
   */
  crossover?: number;
  /** A's styles of this range, the rest B's (instead of `crossover`). */
  range?: StyleRange;
  /**
   * ψ of the truncation trick on both sources' ws.
   * @default {1}
   */
  psi?: number;
  /**
   * Conditional generators: one class for every source; by default the classes take turns,
   * as `sample`'s, A's down the rows and B's along the columns.
   */
  labels?: number;
}

/** A style-mixing grid: `(rows + 1) × (columns + 1)` images, row after row. */
export interface StyleMixGrid extends ImageSet {
  /** Images per row of the grid: B's sources and a blank corner, `columns + 1`. */
  gridColumns: number;
  /** The ws taken from the row's source A, `[start, end)`; the others are B's. */
  fromRows: [number, number];
}

/**
 * A style-mixing grid as StyleGAN's figure 3: a header row of sources B (seeded by `columnSeed`),
 * a header column of sources A (`rowSeed`), and at row i, column j the image whose ws
 * `fromRows` are A_i's and the others B_j's. With a crossover k (ws `[0, k)` from A, StyleGAN
 * 2's style mixing), or a range: A's coarse styles give the pose and shape of the digit, the
 * fine ones little more than the stroke. Every image has the same noise maps, so only the
 * styles differ. The top left corner is blank (background).
 *
 * @param generator A `stylegan` or `cstylegan` generator.
 * @param options The sources' seeds and counts, the crossover or range, ψ, the class.
 * @returns The grid's images; draw them with `columns: grid.gridColumns`.
 * @throws {RangeError} If the generator is not style-based, or on a bad option.
 *
 * @example A's coarse styles on B's fine ones, 4×4
 * ```ts
 * import { createGenerator, encodePngGrid, styleMixGrid } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "stylegan", seed: 1 });
 * const grid = await styleMixGrid(generator, { rowSeed: 1, columnSeed: 2, rows: 4, columns: 4 });
 * console.log(grid.count, grid.gridColumns, grid.fromRows); // 25 5 [0, 1]
 * const png = encodePngGrid(grid, { columns: grid.gridColumns });
 * ```
 */
export async function styleMixGrid(
  generator: LayersModel,
  options: StyleMixOptions = {},
): Promise<StyleMixGrid> {
  const where = "styleMixGrid";
  const layer = requireStyleLayer(where, generator);
  const layout = styleLayout(generator);
  const rows = checkInteger(where, "rows", options.rows ?? 6, 1, 100);
  const columns = checkInteger(where, "columns", options.columns ?? 6, 1, 100);
  const rowSeed = checkInteger(where, "rowSeed", options.rowSeed ?? 0, 0, 2 ** 32 - 1);
  const columnSeed = checkInteger(where, "columnSeed", options.columnSeed ?? 1, 0, 2 ** 32 - 1);
  const fromRows = mixedWs(where, layout, options);
  const truncation = new Truncation(generator, layer, checkPsi(where, options.psi ?? 1));
  const { latentDim, imageShape, classes } = generatorShape(generator);
  const mixture = latentMixtureOf(generator);
  const sources = (seed: number, count: number) => {
    const labels = imageLabels(where, count, classes, options.labels);
    const z = latentNoise(new Random(seed), count, latentDim, mixture);
    return seededWs(generator, layer, truncation, z, labels);
  };
  const { styleDim } = layer.config;
  const { numWs } = layout;
  const a = sources(rowSeed, rows), b = sources(columnSeed, columns);
  const row = (w: Float32Array, i: number) => w.subarray(i * styleDim, (i + 1) * styleDim);
  const ws: Float32Array[] = [];
  for (let j = 0; j < columns; j++) ws.push(repeated(row(b, j), numWs));
  for (let i = 0; i < rows; i++) {
    ws.push(repeated(row(a, i), numWs));
    for (let j = 0; j < columns; j++) {
      // (numWs, styleDim): B_j's ws, with A_i's in [start, end)
      const mixed = repeated(row(b, j), numWs);
      for (let k = fromRows[0]; k < fromRows[1]; k++) mixed.set(row(a, i), k * styleDim);
      ws.push(mixed);
    }
  }
  const drawn = await synthesise(layer, ws, imageShape);
  const [height, width, channels] = imageShape;
  const size = height * width * channels;
  const gridColumns = columns + 1;
  // The blank corner first, then the images drawn, in the grid's order.
  const pixels = new Float32Array((rows + 1) * gridColumns * size).fill(-1);
  pixels.set(drawn, size);
  return {
    pixels,
    count: (rows + 1) * gridColumns,
    height,
    width,
    channels,
    gridColumns,
    fromRows,
  };
}

/** The ws a mix takes from A, `[start, end)`, from `crossover` or `range`. */
function mixedWs(where: string, layout: StyleLayout, options: StyleMixOptions): [number, number] {
  if (options.crossover !== undefined && options.range !== undefined) {
    throw new RangeError(`${where}: give crossover or range, not both`);
  }
  if (options.range !== undefined) {
    if (!STYLE_RANGES.includes(options.range)) {
      throw new RangeError(
        `${where}: range must be one of ${STYLE_RANGES.join(", ")}, got ${options.range}`,
      );
    }
    const [start, end] = layout.ranges[options.range];
    if (start === end) {
      throw new RangeError(`${where}: this generator has no ${options.range} styles`);
    }
    return [start, end];
  }
  const crossover = options.crossover ?? layout.crossover;
  checkInteger(where, "crossover", crossover, 0, layout.numWs);
  return [0, crossover];
}

/** Options of {@linkcode interpolateW}. */
export interface StyleWalkOptions {
  /**
   * Images along the walk, both ends included (at least 2).
   * @default {10}
   */
  steps?: number;
  /**
   * Seeds of the z at the first and the last image, or one seed for both (a class morph).
   * @default {0}
   */
  seeds?: readonly [number, number] | number;
  /**
   * Conditional generators: the classes at the first and the last image, or one class for both.
   * @default {0}
   */
  labels?: readonly [number, number] | number;
  /**
   * ψ of the truncation trick at both ends.
   * @default {1}
   */
  psi?: number;
}

/**
 * Generates a walk in w: from the first seed's w to the last's along the straight line, where a
 * walk in z bends through the mapping network (the space StyleGAN's perceptual path length
 * measures as the smoother). For a conditional generator each end's w is mapped with that end's
 * class, so a morph from one digit to another moves in w too. Every image has the same noise
 * maps, so that only w moves, and the ends are the images `sampleTruncated` (at ψ = 1,
 * `sample`) draws with each end's seed and class, `n: 1`.
 *
 * @param generator A `stylegan` or `cstylegan` generator.
 * @param options The ends (seeds, classes), the steps and ψ.
 * @returns `steps` images; `labels` is set when the class stays the same throughout.
 * @throws {RangeError} If the generator is not style-based, or on a bad option.
 *
 * @example A walk of 8 between two seeds' ws
 * ```ts
 * import { createGenerator, interpolateW } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "stylegan", seed: 1 });
 * const walk = await interpolateW(generator, { seeds: [1, 2], steps: 8 });
 * console.log(walk.count); // 8
 * ```
 */
export async function interpolateW(
  generator: LayersModel,
  options: StyleWalkOptions = {},
): Promise<ImageSet> {
  const where = "interpolateW";
  const layer = requireStyleLayer(where, generator);
  const steps = checkInteger(where, "steps", options.steps ?? 10, 2, 100_000);
  const truncation = new Truncation(generator, layer, checkPsi(where, options.psi ?? 1));
  const { imageShape, classes } = generatorShape(generator);
  const seeds = pair(where, options.seeds ?? 0).map((seed) =>
    checkInteger(where, "seeds", seed, 0, 2 ** 32 - 1)
  );
  const labels = options.labels === undefined ? undefined : pair(where, options.labels);
  if (labels) labels.forEach((label) => checkLabel(where, label, classes));
  const ends = seeds.map((seed, end) => {
    const label = classes ? [labels?.[end] ?? 0] : undefined;
    return seededWs(generator, layer, truncation, seedLatent(generator, seed), label);
  });
  const line = interpolateLatents(ends[0], ends[1], steps, "lerp");
  const { styleDim } = layer.config;
  const ws = Array.from(
    { length: steps },
    (_, i) => repeated(line.subarray(i * styleDim, (i + 1) * styleDim), layer.numWs),
  );
  const [height, width, channels] = imageShape;
  const sameClass = classes && (labels?.[0] ?? 0) === (labels?.[1] ?? 0);
  return {
    pixels: await synthesise(layer, ws, imageShape),
    count: steps,
    height,
    width,
    channels,
    ...(sameClass ? { labels: new Uint8Array(steps).fill(labels?.[0] ?? 0) } : {}),
  };
}

/** The two ends of a walk, from a pair or one value for both. */
function pair(where: string, given: readonly [number, number] | number): [number, number] {
  if (typeof given === "number") return [given, given];
  if (!Array.isArray(given) || given.length !== 2) {
    throw new RangeError(`${where}: expected one value or two, got ${given}`);
  }
  return [given[0], given[1]];
}
