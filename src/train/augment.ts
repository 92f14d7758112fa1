/**
 * Differentiable augmentation for GAN training: DiffAugment's `color`, `translation` and `cutout`
 * (Zhao et al. 2020), applied with a probability p that ADA's {@linkcode AdaptiveProbability}
 * can adapt (Karras et al. 2020). The training step applies them to the real and the fake batch
 * before D, and to the fake batch in G's loss (docs/augmentation.md).
 *
 * @example DiffAugment on a batch, with ADA's p
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { AdaptiveProbability, augment, Random } from "@gan/mnist";
 *
 * const random = new Random(1);
 * const ada = new AdaptiveProbability();
 * const real = tf.randomUniform([4, 28, 28, 1], -1, 1) as tf.Tensor4D;
 * const seen = augment(real, ["translation", "cutout"], ada.p, random); // p = 0: unchanged
 * ada.observe([0.3, 1.2, -0.4, 2.0]); // D's outputs on those real images
 * console.log(seen.shape);
 * ```
 *
 * @module
 */

export { augment } from "./augment/diff_augment.ts";
export {
  AUGMENT_NAMES,
  type AugmentName,
  checkAugmentNames,
  parseAugmentNames,
} from "./augment/policy.ts";
export {
  AdaptiveProbability,
  type AdaptiveProbabilityOptions,
  type AdaptiveProbabilityState,
} from "./augment/ada.ts";
