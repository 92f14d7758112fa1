/**
 * Style mixing and walks in w for a style-based generator (`stylegan`, `cstylegan`; Karras et
 * al. 2019): {@linkcode styleMixGrid} draws the paper's figure 3, the coarse, middle or fine
 * styles of one image with the rest of another's, and {@linkcode interpolateW} a straight line
 * between two ws, where a walk in z bends through the mapping network. Every image of a grid or
 * a walk has the same noise maps, so that only the styles differ. No file access: runs in Deno
 * and in a browser.
 *
 * ```ts
 * import { createGenerator, encodePngGrid, interpolateW, styleMixGrid } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "stylegan", seed: 1 });
 * const grid = await styleMixGrid(generator, { rowSeed: 1, columnSeed: 2, range: "coarse" });
 * const walk = await interpolateW(generator, { seeds: [1, 2], steps: 8 });
 * console.log(encodePngGrid(grid, { columns: grid.gridColumns }).length > 0, walk.count);
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import type { ImageSet } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import { Random } from "../random.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";
import type { StyleGANGenerator } from "../models/style/stylegan.ts";
import { interpolateLatents, seedLatent } from "./interpolate.ts";
import { generatorShape } from "./sample.ts";
import { STYLE_RANGES, type StyleLayout, styleLayout, type StyleRange } from "./style.ts";
import {
  checkLabel,
  checkPsi,
  imageLabels,
  oneHot,
  requireStyleLayer,
  Truncation,
} from "./style_truncation.ts";

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
