/**
 * The names of the differentiable augmentations, the order they are applied in, and the
 * per-sample choice that the probability `p` makes.
 *
 * @module
 */

import type { Random } from "../../random.ts";

/** A differentiable augmentation (DiffAugment, Zhao et al. 2020). */
export type AugmentName = "translation" | "cutout" | "color";

/**
 * Every augmentation, in the order {@linkcode augment} applies them whatever order they are named
 * in: the official DiffAugment policy's, `color,translation,cutout`.
 *
 * @example List the choices
 * ```ts
 * import { AUGMENT_NAMES } from "@gan/mnist";
 *
 * console.log(AUGMENT_NAMES.join(", ")); // color, translation, cutout
 * ```
 */
export const AUGMENT_NAMES: readonly AugmentName[] = Object.freeze(
  [
    "color",
    "translation",
    "cutout",
  ] as const,
);

/**
 * Checks a list of augmentation names (JavaScript callers can pass anything) and returns them in
 * the order they are applied ({@linkcode AUGMENT_NAMES}).
 *
 * @param where The function or option the list belongs to, for the message.
 * @param names The names.
 * @returns The same names, each once, in {@linkcode AUGMENT_NAMES}' order.
 * @throws {RangeError} On an unknown name or a repeated one.
 *
 * @example
 * ```ts
 * import { checkAugmentNames } from "@gan/mnist";
 *
 * console.log(checkAugmentNames("train", ["cutout", "translation"])); // ["translation", "cutout"]
 * ```
 */
export function checkAugmentNames(where: string, names: readonly string[]): AugmentName[] {
  if (!Array.isArray(names)) {
    throw new RangeError(`${where}: augment must be a list of names, got ${names}`);
  }
  for (const [i, name] of names.entries()) {
    if (!AUGMENT_NAMES.includes(name as AugmentName)) {
      throw new RangeError(
        `${where}: augment must name ${AUGMENT_NAMES.join(", ")}, got "${name}"`,
      );
    }
    if (names.indexOf(name) !== i) {
      throw new RangeError(`${where}: augment names "${name}" twice`);
    }
  }
  return AUGMENT_NAMES.filter((name) => names.includes(name));
}

/**
 * Reads a comma-separated list such as the CLI's `--augment translation,cutout`.
 *
 * @param text The names separated by commas (spaces around them allowed); `""` is none.
 * @returns The names in {@linkcode AUGMENT_NAMES}' order.
 * @throws {RangeError} On an unknown or repeated name.
 *
 * @example
 * ```ts
 * import { parseAugmentNames } from "@gan/mnist";
 *
 * console.log(parseAugmentNames("translation, cutout")); // ["translation", "cutout"]
 * ```
 */
export function parseAugmentNames(text: string): AugmentName[] {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  return checkAugmentNames("--augment", names);
}

/**
 * Whether an augmentation applies to the next sample: always when `p` is 1 (no number drawn),
 * else when one uniform number from `random` is below `p`.
 *
 * @param random The source of the draw.
 * @param p The probability, in (0, 1].
 * @returns Whether to apply it.
 */
export function chosen(random: Random, p: number): boolean {
  return p >= 1 || random.uniform() < p;
}
