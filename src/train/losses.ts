/**
 * GAN losses on logits. The discriminator outputs logits and the sigmoid lives inside the loss,
 * as softplus, which never takes the logarithm of 0: `-log σ(x) = softplus(-x)` and
 * `-log(1 - σ(x)) = softplus(x)`. That is binary cross-entropy, computed stably.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
// tf.js core registers no gradients by itself; the layers bundle registers all of them.
import "@tensorflow/tfjs-layers";
import type { Scalar, Tensor } from "../tf_types.ts";

/**
 * Mean sigmoid cross-entropy of logits against one label for the whole batch.
 *
 * @param logits `(B, 1)` discriminator outputs.
 * @param label 1 for "real", 0 for "fake".
 * @returns The mean of `-log σ(x)` (label 1) or `-log(1 - σ(x))` (label 0).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { sigmoidCrossEntropy } from "@gan/mnist";
 *
 * const loss = sigmoidCrossEntropy(tf.tensor2d([[0]]), 1);
 * console.log(loss.dataSync()[0]); // 0.693… = log 2
 * ```
 */
export function sigmoidCrossEntropy(logits: Tensor, label: 0 | 1): Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(label === 1 ? tf.neg(logits) : logits)));
}

/**
 * The discriminator's loss: real images should score 1, generated ones 0.
 *
 * @param realLogits `(B, 1)` logits of real images.
 * @param fakeLogits `(B, 1)` logits of generated images.
 * @returns `BCE(real, 1) + BCE(fake, 0)`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { discriminatorLoss } from "@gan/mnist";
 *
 * const loss = discriminatorLoss(tf.tensor2d([[4]]), tf.tensor2d([[-4]]));
 * console.log(loss.dataSync()[0]); // small: the discriminator is right
 * ```
 */
export function discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Scalar {
  return tf.tidy(() =>
    tf.add(sigmoidCrossEntropy(realLogits, 1), sigmoidCrossEntropy(fakeLogits, 0))
  );
}

/**
 * The generator's non-saturating loss: `-log D(G(z))` rather than `log(1 - D(G(z)))`, which
 * gives the generator strong gradients exactly when the discriminator rejects its images.
 *
 * @param fakeLogits `(B, 1)` logits of generated images.
 * @returns `BCE(fake, 1)`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { generatorLoss } from "@gan/mnist";
 *
 * const loss = generatorLoss(tf.tensor2d([[-4]]));
 * console.log(loss.dataSync()[0]); // about 4: the discriminator saw through it
 * ```
 */
export function generatorLoss(fakeLogits: Tensor): Scalar {
  return sigmoidCrossEntropy(fakeLogits, 1);
}
