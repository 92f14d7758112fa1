/**
 * Drawing images from a trained generator. No file access: runs in Deno and in a browser.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import type { ImageSet } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import { Random } from "../random.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";

/** Options of {@linkcode sample}. */
export interface SampleOptions {
  /** How many images. */
  n: number;
  /**
   * Seed of the noise vectors: the same seed and generator give the same images.
   * @default {0}
   */
  seed?: number;
  /**
   * Images generated per forward pass (bounds memory, not the result).
   * @default {500}
   */
  batchSize?: number;
  /**
   * Conditional generators: the class of each image (`n` of them), or one class for all. By
   * default the classes take turns (0, 1, …, 9, 0, …). Unconditional generators refuse it.
   */
  labels?: ArrayLike<number> | number;
}

/**
 * The generator's input size and output image shape, checked.
 *
 * @param generator A model from `(B, latentDim)` to `(B, height, width, channels)`.
 * @returns `latentDim` and `[height, width, channels]`.
 * @throws {RangeError} If the model does not have that shape.
 */
export function generatorShape(
  generator: LayersModel,
): { latentDim: number; imageShape: [number, number, number]; classes: number } {
  const input = generator.inputs[0].shape;
  const output = generator.outputs[0].shape;
  const label = generator.inputs[1]?.shape;
  const fixed = (dims: (number | null)[]) => dims.every((d) => typeof d === "number" && d > 0);
  if (
    generator.inputs.length > 2 || input.length !== 2 || !fixed(input.slice(1)) ||
    (label && (label.length !== 2 || !fixed(label.slice(1))))
  ) {
    throw new RangeError(
      `not a generator: its input must be (B, latentDim), got [${input.map(String)}]`,
    );
  }
  if (generator.outputs.length !== 1 || output.length !== 4 || !fixed(output.slice(1))) {
    throw new RangeError(
      `not a generator: its output must be (B, height, width, channels), got [${
        output.map(String)
      }]`,
    );
  }
  return {
    latentDim: input[1]!,
    imageShape: output.slice(1) as [number, number, number],
    classes: label ? label[1]! : 0,
  };
}

/**
 * Generates images from seeded noise, with the generator in inference mode (BatchNorm uses its
 * moving statistics).
 *
 * @param generator A model from `(B, latentDim)` noise to `(B, height, width, channels)` images.
 * @param options How many images, and the seed.
 * @returns The images, in [-1, 1] for a tanh generator.
 *
 * @example Ten samples from an untrained lite generator
 * ```ts
 * import { createGenerator, sample } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const images = await sample(generator, { n: 10, seed: 2 });
 * console.log(images.count, images.height, images.width); // 10 28 28
 * ```
 */
export async function sample(
  generator: LayersModel,
  options: SampleOptions,
): Promise<ImageSet> {
  const n = checkInteger("sample", "n", options.n);
  const batchSize = checkInteger("sample", "batchSize", options.batchSize ?? 500);
  const seed = checkInteger("sample", "seed", options.seed ?? 0, 0, 2 ** 32 - 1);
  const { classes } = generatorShape(generator);
  const labels = classes ? sampleLabels(n, classes, options.labels) : undefined;
  if (!classes && options.labels !== undefined) {
    throw new RangeError("sample: labels are for conditional generators; this one is not");
  }
  return await sampleWith(generator, { n, batchSize, seed, labels }, (z, rows) => {
    // (count, latentDim) [+ (count, classes) one-hot] -> (count, height, width, channels)
    const input = rows
      ? [z, tf.cast(tf.oneHot(tf.tensor1d(rows, "int32"), classes), "float32")]
      : z;
    return generator.apply(input, { training: false }) as tf.Tensor;
  });
}

/** What {@linkcode sampleWith} draws: checked counts, the seed, and each image's class. */
export interface SampleLoop {
  n: number;
  batchSize: number;
  seed: number;
  /** The class of each image, for a conditional generator. */
  labels: Uint8Array | undefined;
}

/**
 * The loop of `sample` and of the style functions' samplers: per batch the next noise from one
 * seeded stream (so a seed gives the same z whatever draws them), a forward pass, the pixels
 * copied out. `forward` runs inside a `tf.tidy`.
 *
 * @param generator The generator the noise is drawn for (its latent size and mixture).
 * @param loop How many, in batches of how many, the seed, the labels.
 * @param forward z `(count, latentDim)` and the batch's labels → images `(count, H, W, C)`.
 * @returns The images, with their labels.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createGenerator } from "../models/create.ts";
 * import { sampleWith } from "./sample.ts";
 *
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const loop = { n: 4, batchSize: 2, seed: 3, labels: undefined };
 * const images = await sampleWith(generator, loop, (z) => generator.apply(z) as tf.Tensor);
 * console.log(images.count); // 4
 * ```
 */
export async function sampleWith(
  generator: LayersModel,
  loop: SampleLoop,
  forward: (z: tf.Tensor2D, labels: Uint8Array | undefined) => tf.Tensor,
): Promise<ImageSet> {
  const { n, batchSize, seed, labels } = loop;
  const { latentDim, imageShape } = generatorShape(generator);
  const [height, width, channels] = imageShape;
  const size = height * width * channels;
  const random = new Random(seed);
  const mixture = latentMixtureOf(generator);
  const pixels = new Float32Array(n * size);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const noise = latentNoise(random, count, latentDim, mixture);
    const rows = labels?.subarray(start, start + count);
    const images = tf.tidy(() => forward(tf.tensor2d(noise, [count, latentDim]), rows));
    pixels.set(await images.data() as Float32Array, start * size);
    images.dispose();
  }
  return { pixels, count: n, height, width, channels, ...(labels ? { labels } : {}) };
}

/** The class of each of `n` samples: given one by one, one for all, or taking turns. */
function sampleLabels(
  n: number,
  classes: number,
  given: ArrayLike<number> | number | undefined,
): Uint8Array {
  if (given === undefined) return Uint8Array.from({ length: n }, (_, i) => i % classes);
  const list = typeof given === "number" ? new Array(n).fill(given) : Array.from(given);
  if (list.length !== n) {
    throw new RangeError(`sample: ${list.length} labels for ${n} images`);
  }
  for (const label of list) {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(
        `sample: label ${label} is not a class of this generator (0–${classes - 1})`,
      );
    }
  }
  return Uint8Array.from(list);
}
