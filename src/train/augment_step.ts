/**
 * The step's side of augmentation: which augmentations D's images get, with which probability,
 * and ADA's adaptation of that probability from the signs of D's outputs on reals.
 *
 * @module
 */

import type { Tensor } from "../tf_types.ts";
import type { Random } from "../random.ts";
import type { AugmentName } from "./augment.ts";

/** What a checkpoint keeps of adaptive augmentation. */
export interface AugmentState {
  /** The probability of each augmentation. */
  probability: number;
  /** The sum of the mean signs of D(x) since the last adjustment. */
  signs: number;
  /** D updates since the last adjustment. */
  count: number;
}

/** Augments D's batches and adapts the probability. */
export interface Augmenter {
  /** The current probability (0 without augmentation). */
  readonly probability: number;
  /** D's view of a batch: augmented, or `x` itself without augmentation. */
  apply(x: Tensor): Tensor;
  /** Records the mean sign of D's outputs on the reals of one D update. */
  observe(realSign: number): void;
  /** ADA's state. */
  exportState(): AugmentState;
  /** Continues from `exportState`'s state. */
  importState(state: AugmentState): void;
}

/**
 * The augmenter of a step's settings.
 *
 * @param settings The augmentations, and whether their probability adapts.
 * @param _random The step's random numbers.
 * @returns The augmenter.
 */
export function createAugmenter(
  settings: { augment: readonly AugmentName[]; ada: boolean; batchSize: number },
  _random: Random,
): Augmenter {
  if (settings.augment.length > 0) {
    throw new RangeError("GanStep: augmentation is not available yet");
  }
  const state: AugmentState = { probability: 0, signs: 0, count: 0 };
  return {
    get probability() {
      return state.probability;
    },
    apply: (x) => x,
    observe() {},
    exportState: () => ({ ...state }),
    importState(s) {
      Object.assign(state, s);
    },
  };
}
