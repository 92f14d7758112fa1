/**
 * Latent walks: images along a path between two noise vectors (White 2016, "Sampling Generative
 * Networks": spherical, since Gaussian noise lives near a sphere), and, for a conditional
 * generator, along a path between two classes. No file access: runs in Deno and in a browser.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import type { ImageSet } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import { Random } from "../random.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";
import { generatorShape } from "./sample.ts";

/** How z moves between its ends: along the great circle (`slerp`) or the straight line. */
export type LatentPath = "slerp" | "lerp";

/** Options of {@linkcode sampleInterpolation}. */
export interface InterpolationOptions {
  /**
   * Images along the walk, both ends included (at least 2).
   * @default {10}
   */
  steps?: number;
  /**
   * Seeds of the noise at the first and the last image, or one seed for the same noise
   * throughout (a class morph). Each end is the noise `sample(generator, { n: 1, seed })` draws.
   * @default {0}
   */
  seeds?: readonly [number, number] | number;
  /**
   * Conditional generators: the classes of the first and the last image, the label moving
   * linearly from one one-hot vector to the other between them; or one class for every image.
   * The default is the class `sample(generator, { n: 1, seed })` draws, so that the ends are its
   * images. Unconditional generators refuse it.
   * @default {0}
   */
  labels?: readonly [number, number] | number;
  /**
   * The path of z between the ends.
   * @default {"slerp"}
   */
  path?: LatentPath;
}

/**
 * Spherical linear interpolation (Shoemake 1985): `a` at `t = 0`, `b` at `t = 1`, and between
 * them the arc in the plane of `a` and `b` at constant angular speed. Vectors of equal length stay
 * at that length all the way, where a straight line would cut inside (to about 0.71 of it halfway
 * between two independent Gaussian vectors). Nearly parallel vectors fall back to the line.
 *
 * @param a The start.
 * @param b The end, as long as `a`.
 * @param t Where on the arc: 0 is `a`, 1 is `b` (values outside go beyond them).
 * @returns The point, a new array (exactly `a` at 0 and exactly `b` at 1).
 * @throws {RangeError} If the lengths differ or `t` is not finite.
 *
 * @example Halfway along the quarter circle from x to y
 * ```ts
 * import { slerp } from "@gan/mnist";
 *
 * console.log(slerp([1, 0], [0, 1], 0.5)); // Float32Array [0.7071…, 0.7071…]
 * ```
 */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  if (a.length !== b.length) {
    throw new RangeError(`slerp: vectors of ${a.length} and ${b.length} values`);
  }
  if (!Number.isFinite(t)) throw new RangeError(`slerp: t must be a finite number, got ${t}`);
  if (t === 0) return Float32Array.from(a);
  if (t === 1) return Float32Array.from(b);
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(aa * bb)));
  const omega = Math.acos(cos);
  const sin = Math.sin(omega);
  // Parallel (or a zero vector): the arc is the line.
  const [wa, wb] = !(sin > 1e-6)
    ? [1 - t, t]
    : [Math.sin((1 - t) * omega) / sin, Math.sin(t * omega) / sin];
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/**
 * `steps` points from `a` to `b`, ends included, evenly spaced in `t = i / (steps − 1)`.
 *
 * @param a The first point.
 * @param b The last point.
 * @param steps How many points, at least 2.
 * @param path `slerp` (the arc) or `lerp` (the straight line).
 * @returns `steps × a.length` values, point after point; the first row is exactly `a`, the last
 *   exactly `b`.
 *
 * @example Ten latent vectors between two seeds' noise
 * ```ts
 * import { createGenerator, interpolateLatents, seedLatent } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const z = interpolateLatents(seedLatent(generator, 1), seedLatent(generator, 2), 10);
 * console.log(z.length); // 640
 * ```
 */
export function interpolateLatents(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  steps: number,
  path: LatentPath = "slerp",
): Float32Array {
  checkInteger("interpolateLatents", "steps", steps, 2);
  if (path !== "slerp" && path !== "lerp") {
    throw new RangeError(`interpolateLatents: path must be "slerp" or "lerp", got ${path}`);
  }
  const out = new Float32Array(steps * a.length);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    out.set(path === "slerp" ? slerp(a, b, t) : lerp(a, b, t), i * a.length);
  }
  return out;
}

/** The straight line: exactly `a` at 0 and `b` at 1. */
function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float32Array {
  if (a.length !== b.length) {
    throw new RangeError(`interpolateLatents: vectors of ${a.length} and ${b.length} values`);
  }
  if (t === 1) return Float32Array.from(b);
  return Float32Array.from(a, (x, i) => x + t * (b[i] - x));
}

/**
 * The noise vector a seed gives a generator: what `sample(generator, { n: 1, seed })` feeds it,
 * from the generator's own prior (N(0, I), or its latent mixture).
 *
 * @param generator The generator.
 * @param seed The seed, as `sample`'s.
 * @returns `latentDim` values.
 *
 * @example
 * ```ts
 * import { createGenerator, seedLatent } from "@gan/mnist";
 *
 * console.log(seedLatent(createGenerator({ preset: "dcgan" }), 7).length); // 100
 * ```
 */
export function seedLatent(generator: LayersModel, seed: number): Float32Array {
  checkInteger("seedLatent", "seed", seed, 0, 2 ** 32 - 1);
  const { latentDim } = generatorShape(generator);
  return latentNoise(new Random(seed), 1, latentDim, latentMixtureOf(generator));
}

/**
 * Generates the images of a latent walk, with the generator in inference mode: from one seed's
 * noise to another's (slerp by default), and for a conditional generator from one class to
 * another (the one-hot label mixed linearly: the generator joins it to z before its first Dense
 * layer, for the MLP and the DCGAN alike, so a mix is a valid input), or both at once. The first
 * and the last image are those that `sample` draws from the ends' seeds and classes with `n: 1`.
 *
 * @param generator A model from `(B, latentDim)` noise [and `(B, classes)` labels] to images.
 * @param options The ends (seeds, classes), the steps and the path.
 * @returns `steps` images; `labels` is set when the class stays the same throughout.
 * @throws {RangeError} On a bad option, or classes given to an unconditional generator.
 *
 * @example A walk between two seeds, and a 3 turning into an 8
 * ```ts
 * import { createGenerator, sampleInterpolation } from "@gan/mnist";
 *
 * const plain = createGenerator({ preset: "lite", seed: 1 });
 * const walk = await sampleInterpolation(plain, { seeds: [1, 2], steps: 8 });
 * console.log(walk.count); // 8
 * const conditional = createGenerator({ preset: "cgan", seed: 1 });
 * const morph = await sampleInterpolation(conditional, { seeds: 5, labels: [3, 8] });
 * console.log(morph.count); // 10
 * ```
 */
export async function sampleInterpolation(
  generator: LayersModel,
  options: InterpolationOptions = {},
): Promise<ImageSet> {
  const steps = checkInteger("sampleInterpolation", "steps", options.steps ?? 10, 2, 100_000);
  const { latentDim, imageShape, classes } = generatorShape(generator);
  const [fromSeed, toSeed] = ends(options.seeds ?? 0).map((seed) =>
    checkInteger("sampleInterpolation", "seeds", seed, 0, 2 ** 32 - 1)
  );
  const z = fromSeed === toSeed
    ? repeatRow(seedLatent(generator, fromSeed), steps)
    : interpolateLatents(
      seedLatent(generator, fromSeed),
      seedLatent(generator, toSeed),
      steps,
      options.path,
    );
  const [fromLabel, toLabel] = walkClasses(options.labels, classes);
  // (steps, classes): row i is (1 − t)·onehot(from) + t·onehot(to), t = i / (steps − 1).
  const labels = classes ? new Float32Array(steps * classes) : undefined;
  for (let i = 0; labels && i < steps; i++) {
    const t = i / (steps - 1);
    labels[i * classes + fromLabel] = fromLabel === toLabel ? 1 : 1 - t;
    if (fromLabel !== toLabel) labels[i * classes + toLabel] = t;
  }
  const [height, width, channels] = imageShape;
  const size = height * width * channels;
  const pixels = new Float32Array(steps * size);
  for (let start = 0; start < steps; start += BATCH) {
    const count = Math.min(BATCH, steps - start);
    const rows = (values: Float32Array, length: number) =>
      tf.tensor2d(values.subarray(start * length, (start + count) * length), [count, length]);
    // (count, latentDim) [‖ (count, classes)] -> (count, height, width, channels)
    const images = tf.tidy(() =>
      generator.apply(labels ? [rows(z, latentDim), rows(labels, classes)] : rows(z, latentDim), {
        training: false,
      }) as tf.Tensor
    );
    pixels.set(await images.data() as Float32Array, start * size);
    images.dispose();
  }
  const sameClass = classes && fromLabel === toLabel;
  return {
    pixels,
    count: steps,
    height,
    width,
    channels,
    ...(sameClass ? { labels: new Uint8Array(steps).fill(fromLabel) } : {}),
  };
}

/** Images generated per forward pass of a walk (bounds memory, not the result). */
const BATCH = 256;

/** The classes at a walk's ends, checked; `[0, 0]` by default (unused without classes). */
function walkClasses(
  given: readonly [number, number] | number | undefined,
  classes: number,
): [number, number] {
  if (!classes && given !== undefined) {
    throw new RangeError(
      "sampleInterpolation: labels are for conditional generators; this one is not",
    );
  }
  const pair = ends(given ?? 0);
  for (const label of pair) {
    if (classes && !(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new RangeError(
        `sampleInterpolation: label ${label} is not a class of this generator (0–${classes - 1})`,
      );
    }
  }
  return pair;
}

/** The two ends of a walk, from a pair or one value for both. */
function ends(given: readonly [number, number] | number): [number, number] {
  if (typeof given === "number") return [given, given];
  if (!Array.isArray(given) || given.length !== 2) {
    throw new RangeError(`sampleInterpolation: expected one value or two, got ${given}`);
  }
  return [given[0], given[1]];
}

/** `row` repeated `count` times. */
function repeatRow(row: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count * row.length);
  for (let i = 0; i < count; i++) out.set(row, i * row.length);
  return out;
}
