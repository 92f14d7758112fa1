/**
 * The step's side of augmentation: D's view of a batch (DiffAugment with probability p, or the
 * batch itself) and ADA's adaptation of p from the signs of D's outputs on reals.
 *
 * @module
 */

import type { Tensor, Tensor4D } from "../tf_types.ts";
import type { Random } from "../random.ts";
import {
  AdaptiveProbability,
  type AdaptiveProbabilityState,
  augment,
  type AugmentName,
} from "./augment.ts";
import type { LossName } from "./losses.ts";

/** Augments D's batches and adapts the probability. */
export interface Augmenter {
  /** The current probability (0 without augmentation). */
  readonly probability: number;
  /** D's view of a batch: augmented, or `x` itself without augmentation. */
  apply(x: Tensor): Tensor;
  /** Records D's outputs on the reals of one D update (ADA). */
  observe(realLogits: Float32Array): void;
  /** ADA's state. */
  exportState(): AdaptiveProbabilityState;
  /** Continues from `exportState`'s state. */
  importState(state: AdaptiveProbabilityState): void;
}

/**
 * The augmenter of a step's settings: without `ada`, every augmentation applies to every image
 * (p = 1, DiffAugment); with it, p starts at 0 and follows ADA's rule.
 *
 * @param settings The augmentations, whether their probability adapts, and the objective (ADA
 * reads D's outputs against the objective's decision boundary: 0, or ½ for `ls`'s 0-1 targets).
 * @param random The step's random numbers.
 * @returns The augmenter.
 * @throws {RangeError} For `ada` with `wgan-gp`, whose critic has no decision boundary.
 */
export function createAugmenter(
  settings: { augment: readonly AugmentName[]; ada: boolean; loss: LossName },
  random: Random,
): Augmenter {
  const { augment: names, ada, loss } = settings;
  if (ada && loss === "wgan-gp") {
    throw new RangeError(
      "GanStep: ada reads the sign of D's outputs on reals; a Wasserstein critic's has no meaning",
    );
  }
  const adaptive = ada ? new AdaptiveProbability() : undefined;
  const boundary = loss === "ls" ? 0.5 : 0;
  const probability = () => (names.length === 0 ? 0 : adaptive ? adaptive.p : 1);
  return {
    get probability() {
      return probability();
    },
    apply: (x) => (names.length === 0 ? x : augment(x as Tensor4D, names, probability(), random)),
    observe(realLogits) {
      adaptive?.observe(boundary ? realLogits.map((x) => x - boundary) : realLogits);
    },
    exportState: () => adaptive!.exportState(),
    importState(state) {
      adaptive?.importState(state);
    },
  };
}
