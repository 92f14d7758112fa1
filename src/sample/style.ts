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
 * This file holds the layer, its layout, the average w and truncated sampling; style mixing and
 * walks in w are in `style_mix.ts`, the truncation both use in `style_truncation.ts`.
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
import { latentMixtureOf } from "../models/prior.ts";
import { StyleGANGenerator } from "../models/style/stylegan.ts";
import { generatorShape, type SampleOptions, sampleWith } from "./sample.ts";
import {
  AVERAGE_SAMPLES,
  AVERAGE_SEED,
  averageW,
  checkLabel,
  checkPsi,
  imageLabels,
  oneHot,
  requireStyleLayer,
  Truncation,
} from "./style_truncation.ts";

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
  const { classes } = generatorShape(generator);
  const labels = imageLabels(where, n, classes, options.labels);
  // `sample`'s z, batch after batch from one stream
  return await sampleWith(generator, { n, batchSize, seed, labels }, (z, rows) => {
    const count = z.shape[0];
    // (count, latentDim) [+ (count, classes)] -> (count, styleDim), truncated
    const w = truncation.apply(layer.mapping(z, oneHot(rows, count, classes)), rows);
    // (count, numWs, styleDim) -> (count, height, width, channels), clipped as the layer's call
    return tf.clipByValue(layer.synthesis(layer.broadcast(w), false), -1, 1);
  });
}
