/**
 * GAN objectives on the discriminator's raw outputs ("logits"), each as its paper states it:
 *
 * | loss | D minimises | G minimises | paper |
 * |---|---|---|---|
 * | `ns` | `softplus(-D(x)) + softplus(D(G(z)))` | `softplus(-D(G(z)))` | Goodfellow et al. 2014, the non-saturating form |
 * | `hinge` | `relu(1 - D(x)) + relu(1 + D(G(z)))` | `-D(G(z))` | Lim & Ye 2017; Miyato et al. 2018 |
 * | `ls` | `½(D(x) - 1)² + ½D(G(z))²` | `½(D(G(z)) - 1)²` | Mao et al. 2017, the 0-1 coding |
 * | `wgan-gp` | `D(G(z)) - D(x)` (+ λ·GP, penalties.ts) | `-D(G(z))` | Gulrajani et al. 2017 |
 *
 * each a mean over the batch. `ns` keeps the sigmoid inside the loss, as softplus, which never
 * takes the logarithm of 0: `-log σ(x) = softplus(-x)` and `-log(1 - σ(x)) = softplus(x)`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
// tf.js core registers no gradients by itself; the layers bundle registers all of them.
import "@tensorflow/tfjs-layers";
import type { Scalar, Tensor } from "../tf_types.ts";

/** The objectives {@linkcode discriminatorLoss} and {@linkcode generatorLoss} know. */
export type LossName = "ns" | "hinge" | "ls" | "wgan-gp";

/**
 * Every {@linkcode LossName}, in the order `train --help` lists them.
 *
 * @example
 * ```ts
 * import { LOSS_NAMES } from "@gan/mnist";
 *
 * console.log(LOSS_NAMES.join(", ")); // ns, hinge, ls, wgan-gp
 * ```
 */
export const LOSS_NAMES: readonly LossName[] = Object.freeze(["ns", "hinge", "ls", "wgan-gp"]);

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

/** Mean over the batch of the term a real (label 1) or generated (label 0) output adds to D's loss. */
function discriminatorTerm(loss: LossName, logits: Tensor, label: 0 | 1): Scalar {
  switch (loss) {
    case "ns":
      return sigmoidCrossEntropy(logits, label);
    case "hinge": // relu(1 - x) for reals, relu(1 + x) for fakes
      return tf.mean(tf.relu(label === 1 ? tf.sub(1, logits) : tf.add(1, logits)));
    case "ls": // ½(x - 1)² for reals, ½x² for fakes
      return tf.mul(0.5, tf.mean(tf.square(label === 1 ? tf.sub(logits, 1) : logits)));
    case "wgan-gp": // the critic maximises D(x) - D(G(z))
      return label === 1 ? tf.neg(tf.mean(logits)) : tf.mean(logits);
  }
}

/**
 * The discriminator's loss: real images should score high, generated ones low, in the measure of
 * the chosen objective (the module's table). WGAN-GP's gradient penalty is added by the step
 * (`gradientPenalty` in penalties.ts), not here.
 *
 * @param realLogits `(B, 1)` outputs for real images.
 * @param fakeLogits `(B, 1)` outputs for generated images.
 * @param loss The objective.
 * @default loss "ns"
 * @returns The batch mean of the real term plus that of the generated term.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { discriminatorLoss } from "@gan/mnist";
 *
 * const ns = discriminatorLoss(tf.tensor2d([[4]]), tf.tensor2d([[-4]]));
 * console.log(ns.dataSync()[0]); // small: the discriminator is right
 * const hinge = discriminatorLoss(tf.tensor2d([[0.5]]), tf.tensor2d([[-2]]), "hinge");
 * console.log(hinge.dataSync()[0]); // 0.5: relu(1 - 0.5) + relu(1 - 2)
 * ```
 */
export function discriminatorLoss(
  realLogits: Tensor,
  fakeLogits: Tensor,
  loss: LossName = "ns",
): Scalar {
  return tf.tidy(() =>
    tf.add(discriminatorTerm(loss, realLogits, 1), discriminatorTerm(loss, fakeLogits, 0))
  );
}

/**
 * The generator's loss. For `ns` the non-saturating `-log D(G(z))` rather than
 * `log(1 - D(G(z)))`, which gives the generator strong gradients exactly when the discriminator
 * rejects its images; `-D(G(z))` for `hinge` and `wgan-gp`; `½(D(G(z)) - 1)²` for `ls`.
 *
 * @param fakeLogits `(B, 1)` outputs for generated images.
 * @param loss The objective.
 * @default loss "ns"
 * @returns The batch mean.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { generatorLoss } from "@gan/mnist";
 *
 * const loss = generatorLoss(tf.tensor2d([[-4]]));
 * console.log(loss.dataSync()[0]); // about 4: the discriminator saw through it
 * console.log(generatorLoss(tf.tensor2d([[-4]]), "ls").dataSync()[0]); // 12.5 = ½(-4 - 1)²
 * ```
 */
export function generatorLoss(fakeLogits: Tensor, loss: LossName = "ns"): Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case "ns":
        return sigmoidCrossEntropy(fakeLogits, 1);
      case "ls":
        return tf.mul(0.5, tf.mean(tf.square(tf.sub(fakeLogits, 1))));
      case "hinge":
      case "wgan-gp":
        return tf.neg(tf.mean(fakeLogits));
    }
  });
}

/**
 * What a step reports as D(x) and D(G(z)) for a batch of outputs: the mean probability σ(output)
 * for `ns`, whose outputs are logits, and the mean raw output for the others, whose outputs are
 * scores in the objective's own units (a critic's for `wgan-gp`: D(x) - D(G(z)) estimates the
 * Wasserstein distance).
 *
 * @param logits `(B, 1)` outputs.
 * @param loss The objective.
 * @returns A scalar.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs-core@4.22.0";
 * import { discriminatorScore } from "@gan/mnist";
 *
 * console.log(discriminatorScore(tf.tensor2d([[0]]), "ns").dataSync()[0]); // 0.5
 * console.log(discriminatorScore(tf.tensor2d([[3]]), "wgan-gp").dataSync()[0]); // 3
 * ```
 */
export function discriminatorScore(logits: Tensor, loss: LossName): Scalar {
  return tf.tidy(() => tf.mean(loss === "ns" ? tf.sigmoid(logits) : logits));
}
