/**
 * The parts of the truncation trick (StyleGAN §4.1) that `style.ts` and `style_mix.ts` share:
 * the average w of a style-based generator's mapping network, {@linkcode Truncation}, which
 * pulls rows of w towards it, and the checks of the generator, its classes and ψ that every
 * style sampler makes first. Internal: nothing here is in mod.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { Random } from "../random.ts";
import { type LatentMixture, latentMixtureOf, latentNoise } from "../models/prior.ts";
import { StyleGANGenerator } from "../models/style/stylegan.ts";
import { generatorShape } from "./sample.ts";

/** z's drawn for the average w of the truncation trick (StyleGAN's figure). */
export const AVERAGE_SAMPLES = 10_000;

/** Seed of those z's, apart from the small seeds of samples. */
export const AVERAGE_SEED = 0x9e3779b9;

/** The layer, or a RangeError naming the function. */
export function requireStyleLayer(where: string, generator: LayersModel): StyleGANGenerator {
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

/** The mean w of `samples` z from the prior, in batches of 1,000, as the layer's `averageW`. */
export function averageW(
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
export function oneHot(
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
export function checkLabel(where: string, label: number, classes: number): number {
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
export function imageLabels(
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
export function checkPsi(where: string, psi: number): number {
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
export class Truncation {
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
