/**
 * {@linkcode augment}: DiffAugment's differentiable augmentations (Zhao et al. 2020,
 * "Differentiable Augmentation for Data-Efficient GAN Training"), each applied to each sample
 * with probability p, as ADA applies its own (Karras et al. 2020).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { checkNumber } from "../../errors.ts";
import type { Random } from "../../random.ts";
import type { Tensor4D } from "../../tf_types.ts";
import { cutOut, drawCutoutMask } from "./cutout.ts";
import { drawColorJitter, jitterColor } from "./color.ts";
import { type AugmentName, checkAugmentNames } from "./policy.ts";
import { drawShifts, translate } from "./translation.ts";

/** One augmentation's draws, made into its operation on a batch. */
type Operation = (x: tf.Tensor4D) => tf.Tensor4D;

/** Draws one augmentation's numbers for a batch; undefined where it leaves every sample alone. */
function draw(
  name: AugmentName,
  random: Random,
  shape: readonly number[],
  p: number,
): Operation | undefined {
  if (name === "translation") {
    const shifts = drawShifts(random, shape, p);
    return (x) => translate(x, shifts);
  }
  if (name === "cutout") {
    const mask = drawCutoutMask(random, shape, p);
    return mask && ((x) => cutOut(x, mask));
  }
  const jitter = drawColorJitter(random, shape, p);
  return jitter && ((x) => jitterColor(x, jitter));
}

/**
 * Augments a batch of images differentiably: tf.js differentiates the result with respect to `x`,
 * to any order (translation is batched products with one-hot matrices, cutout a product with a
 * mask, colour elementwise arithmetic and means), so it can sit between the data or the
 * generator and the discriminator, gradient penalties included.
 *
 * - `color`: brightness + U(−0.5, 0.5); saturation × U(0, 2) about each pixel's channel mean
 *   (more than one channel only: on one it changes nothing); contrast × U(0.5, 1.5) about the
 *   image's mean.
 * - `translation`: a shift by whole pixels, uniform in [−⌊H/8⌋, ⌊H/8⌋] rows and [−⌊W/8⌋, ⌊W/8⌋]
 *   columns, zeros coming in.
 * - `cutout`: a ⌊H/2⌋ × ⌊W/2⌋ rectangle around a uniform random centre set to zero (clipped at the
 *   border).
 *
 * They are applied in that order (see {@linkcode AUGMENT_NAMES}) whatever order `names` has,
 * each to each sample with probability `p`, independently. Every number comes from `random`, in
 * this order: for each augmentation, for each sample, a uniform number deciding whether it
 * applies (only when p < 1), then that sample's parameters (only if it applies). With p = 0, or no
 * names, nothing is drawn and the result equals `x` bit for bit.
 *
 * @param x `(B, H, W, C)` images, float32; the parameters suit pixels in [−1, 1].
 * @param names The augmentations; `[]` is none.
 * @param p The probability of each augmentation for each sample, in [0, 1]: 1 is DiffAugment,
 * ADA's {@linkcode AdaptiveProbability} gives one that adapts.
 * @param random The source of every random number.
 * @returns `(B, H, W, C)`, a new tensor (made in a `tf.tidy`, so only it remains).
 * @throws {RangeError} On an unknown or repeated name, p outside [0, 1], or x not of rank 4.
 *
 * @example Augment a batch, and the gradient through it
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { augment, Random } from "@gan/mnist";
 *
 * const random = new Random(1);
 * const x = tf.randomUniform([8, 28, 28, 1], -1, 1) as tf.Tensor4D;
 * const y = augment(x, ["translation", "cutout"], 1, random); // (8, 28, 28, 1)
 * const dx = tf.grad((x) => tf.sum(augment(x as tf.Tensor4D, ["color"], 0.5, random)))(x);
 * console.log(y.shape, dx.shape);
 * ```
 */
export function augment(
  x: Tensor4D,
  names: readonly AugmentName[],
  p: number,
  random: Random,
): Tensor4D {
  const order = checkAugmentNames("augment", names);
  checkNumber("augment", "p", p, 0, 1, "[]");
  if (x.rank !== 4) {
    throw new RangeError(`augment: images must be (B, H, W, C), got shape [${x.shape}]`);
  }
  if (p === 0 || order.length === 0) return tf.clone(x);
  const operations = order.map((name) => draw(name, random, x.shape, p));
  return tf.tidy(() => {
    let y = x;
    for (const operation of operations) if (operation) y = operation(y);
    return y === x ? tf.clone(x) : y;
  });
}
