/**
 * Gradient penalties of the discriminator, each a function of D's gradient with respect to its
 * input, so that training differentiates a gradient (tf.js's nested gradients; our kernels'
 * gradients have gradients of their own, src/backend/kernels/gradients.ts):
 *
 * - WGAN-GP (Gulrajani et al. 2017): `E[(‖∇D(x̂)‖₂ - 1)²]` at `x̂ = αx + (1 - α)x̃`, one
 *   `α ~ U(0, 1)` per sample (not per pixel, PyTorch-GAN #5; not from a normal distribution,
 *   keras-io #143), and a norm whose gradient is 0, not NaN, where D's gradient is 0.
 * - R1 (Mescheder et al. 2018): `E[‖∇D(x)‖₂²]` on real images; the step adds `γ/2` times it.
 *
 * Both need D to judge each image on its own (no BatchNorm: the gradient of the sum of D's
 * outputs is then each sample's own gradient). tests/penalties_test.ts checks their gradients
 * against central finite differences.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Scalar, Tensor } from "../tf_types.ts";
import type { Random } from "../random.ts";
import type { LayersModel } from "../tf_types.ts";
import type { LossName } from "./losses.ts";
import { TANH_GRADIENT } from "../backend/kernels/gradients.ts";

// tf.js's LeakyRelu gradient masks with `where(greater(x, 0), …)`; differentiating that gradient
// reaches `Greater`, which tf.js gives no gradient. A comparison's gradient is 0 (as TensorFlow's
// GreaterEqual in tf.js): registered once, for every backend.
if (!tf.getGradient("Greater")) {
  tf.registerGradient({
    kernelName: "Greater",
    inputsToSave: ["a", "b"],
    gradFunc: (_dy, [a, b]) => ({ a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) }),
  });
}

// tf.js's Tanh gradient uses its saved output, which a gradient of the gradient cannot trace
// back to the input (gradients.ts says why): ours recomputes it there.
if (!tf.getGradient("Tanh")?.inputsToSave?.includes("x")) tf.registerGradient(TANH_GRADIENT);

/**
 * Refuses a gradient penalty for a discriminator with BatchNorm, which judges a batch, not each
 * image (the gradient of the sum of its outputs is then not each image's own gradient).
 *
 * @param discriminator D.
 * @param settings The objective, λ and γ.
 * @throws {RangeError} Saying so, when a penalty is asked for and D has BatchNorm.
 *
 * @example
 * ```ts
 * import { checkPenaltyDiscriminator, createDiscriminator } from "@gan/mnist";
 *
 * const discriminator = createDiscriminator({ preset: "dcgan", seed: 1 });
 * checkPenaltyDiscriminator(discriminator, { loss: "ns", gradientPenalty: 10, r1: 0 }); // fine
 * ```
 */
export function checkPenaltyDiscriminator(
  discriminator: LayersModel,
  settings: { loss: LossName; gradientPenalty: number; r1: number },
): void {
  const penalised = (settings.loss === "wgan-gp" && settings.gradientPenalty > 0) ||
    settings.r1 > 0;
  const batchNorm = discriminator.layers.some((l) => l.getClassName() === "BatchNormalization");
  if (penalised && batchNorm) {
    throw new RangeError(
      "GanStep: gradient penalties (wgan-gp, r1) need a discriminator without BatchNorm, which judges each image on its own",
    );
  }
}

/** A discriminator as a function: images → `(B, 1)` outputs. */
export type Critic = (images: Tensor) => Tensor;

/** The sum of squares below which a gradient's norm counts as 0 (its square root's slope stays finite). */
const TINY = 1e-20;

/**
 * Each sample's squared gradient norm `‖∇ₓD(x)‖²`, `(B)`.
 *
 * @param critic D.
 * @param images `(B, …)` images where D's gradient is taken.
 * @returns `(B)` sums of squares.
 */
function squaredGradientNorms(critic: Critic, images: Tensor): Tensor {
  // Σᵢ D(xᵢ) has ∂/∂xᵢ = ∇D(xᵢ): D judges every image on its own.
  const gradient = tf.grad((x: Tensor) => tf.sum(critic(x)))(images);
  return tf.sum(tf.square(tf.reshape(gradient, [images.shape[0], -1])), 1);
}

/**
 * One interpolation weight per sample, `α ~ U(0, 1)`, drawn from `random`.
 *
 * @param random The step's random numbers.
 * @param batchSize Samples.
 * @returns `batchSize` weights.
 *
 * @example
 * ```ts
 * import { interpolationWeights, Random } from "@gan/mnist";
 *
 * console.log(interpolationWeights(new Random(1), 4).length); // 4
 * ```
 */
export function interpolationWeights(random: Random, batchSize: number): Float32Array {
  return Float32Array.from({ length: batchSize }, () => random.uniform());
}

/**
 * WGAN-GP's penalty, `mean((‖∇D(x̂)‖₂ - 1)²)` at `x̂ = αx + (1 - α)x̃` with one α per sample.
 *
 * @param critic D (conditional models: with the labels bound).
 * @param real `(B, height, width, channels)` real images.
 * @param fake `(B, height, width, channels)` generated images.
 * @param alpha `B` interpolation weights in [0, 1] ({@linkcode interpolationWeights}).
 * @returns The penalty, unweighted (the step multiplies it by λ).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { wganGradientPenalty } from "@gan/mnist";
 *
 * // D(x) = 2·Σx has gradient norm 2·√4 = 4 everywhere: the penalty is (4 - 1)² = 9.
 * const critic = (x: tf.Tensor) => tf.reshape(tf.mul(2, tf.sum(x, [1, 2, 3])), [-1, 1]);
 * const real = tf.ones([3, 2, 2, 1]), fake = tf.zeros([3, 2, 2, 1]);
 * const penalty = wganGradientPenalty(critic, real, fake, new Float32Array([0.1, 0.5, 0.9]));
 * console.log(penalty.dataSync()[0]); // 9
 * ```
 */
export function wganGradientPenalty(
  critic: Critic,
  real: Tensor,
  fake: Tensor,
  alpha: Float32Array,
): Scalar {
  return tf.tidy(() => {
    const B = real.shape[0];
    if (alpha.length !== B) {
      throw new RangeError(`wganGradientPenalty: ${alpha.length} weights for ${B} samples`);
    }
    // (B, 1, …, 1): one weight per sample, broadcast over its pixels
    const a = tf.tensor(alpha, [B, ...real.shape.slice(1).map(() => 1)]);
    const interpolates = tf.add(tf.mul(a, real), tf.mul(tf.sub(1, a), fake));
    // √ of at least TINY: below it the slope is 0 (Maximum's gradient), not ∞·0 = NaN.
    const norms = tf.sqrt(tf.maximum(squaredGradientNorms(critic, interpolates), TINY));
    return tf.mean(tf.square(tf.sub(norms, 1)));
  });
}

/**
 * R1's penalty, `mean(‖∇D(x)‖₂²)` on real images (the step adds `γ/2` times it to D's loss).
 *
 * @param critic D (conditional models: with the labels bound).
 * @param real `(B, height, width, channels)` real images.
 * @returns The penalty, unweighted.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { r1Penalty } from "@gan/mnist";
 *
 * const critic = (x: tf.Tensor) => tf.reshape(tf.mul(2, tf.sum(x, [1, 2, 3])), [-1, 1]);
 * console.log(r1Penalty(critic, tf.ones([3, 2, 2, 1])).dataSync()[0]); // 16 = 2²·4
 * ```
 */
export function r1Penalty(critic: Critic, real: Tensor): Scalar {
  return tf.tidy(() => tf.mean(squaredGradientNorms(critic, real)));
}
