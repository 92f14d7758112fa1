/**
 * Differentiable augmentation (placeholder until the module lands: the names only).
 *
 * @module
 */

/** The augmentations `augment` applies. */
export type AugmentName = "translation" | "cutout" | "color";

/**
 * Every {@linkcode AugmentName}.
 *
 * @example
 * ```ts
 * import { AUGMENT_NAMES } from "@gan/mnist";
 *
 * console.log(AUGMENT_NAMES.join(",")); // translation,cutout,color
 * ```
 */
export const AUGMENT_NAMES: readonly AugmentName[] = Object.freeze([
  "translation",
  "cutout",
  "color",
]);
