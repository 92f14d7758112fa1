/**
 * A comparison's variants: a loss, optionally followed by modifiers, written as one word such as
 * `hinge`, `ns+r1=10`, `ns+augment=translation/cutout`, `ns+ada` or `wgan-gp+gp=5+dsteps=5`,
 * and what each sets among `trainRun`'s options.
 *
 * ```
 * VARIANT   = LOSS ("+" MODIFIER)*
 * LOSS      = ns | hinge | ls | wgan-gp
 * MODIFIER  = gp=λ | dsteps=N | gsteps=N | r1=γ | r1every=K | augment=A[/A…] | ada | sn
 * ```
 *
 * @module
 */

import type { AugmentName } from "../train/augment.ts";
import { AUGMENT_NAMES } from "../train/augment.ts";
import { LOSS_NAMES, type LossName } from "../train/losses.ts";
import type { TrainRunOptions } from "../train/run/options.ts";

/**
 * What a variant sets among `trainRun`'s options; the rest comes from the comparison's preset.
 */
export type VariantOptions =
  & Pick<
    TrainRunOptions,
    | "learningRate"
    | "gradientPenalty"
    | "discriminatorSteps"
    | "generatorSteps"
    | "r1"
    | "r1Every"
    | "augment"
    | "ada"
    | "spectralNorm"
  >
  & { loss: LossName };

/** One variant of a comparison. */
export interface Variant {
  /** The variant as written canonically (numbers as JavaScript prints them), e.g. `ns+r1=10`. */
  name: string;
  /** Its run directory's name inside the comparison: the name with `/` as `-`. */
  dir: string;
  /** What it sets among `trainRun`'s options. */
  options: VariantOptions;
}

/** A modifier: its key, what its value may be, and the option it sets. */
interface Modifier {
  /** How it is written, e.g. `r1=γ`. */
  usage: string;
  /** Sets the option from the value (undefined for a modifier without one), or names the fault. */
  apply: (options: VariantOptions, value: string | undefined) => string | undefined;
}

/** A number in [low, high] (an integer where asked), or undefined. */
function numberIn(raw: string | undefined, low: number, high: number, integer = false) {
  if (raw === undefined || raw.trim() === "") return undefined;
  const x = Number(raw);
  return Number.isFinite(x) && x >= low && x <= high && (!integer || Number.isInteger(x))
    ? x
    : undefined;
}

function numeric(
  key: keyof VariantOptions,
  usage: string,
  low: number,
  high: number,
  integer: boolean,
): Modifier {
  return {
    usage,
    apply: (options, raw) => {
      const x = numberIn(raw, low, high, integer);
      if (x === undefined) {
        return `expected ${integer ? "an integer" : "a number"} from ${low} to ${high}, got "${
          raw ?? ""
        }"`;
      }
      (options as unknown as Record<string, unknown>)[key] = x;
    },
  };
}

function flag(key: "ada" | "spectralNorm", usage: string): Modifier {
  return {
    usage,
    apply: (options, raw) => {
      if (raw !== undefined) return `takes no value (write "${usage}")`;
      options[key] = true;
    },
  };
}

/** The modifiers, in the order a variant's canonical name lists them. */
const MODIFIERS: Readonly<Record<string, Modifier>> = {
  lr: numeric("learningRate", "lr=X", 1e-8, 10, false),
  gp: numeric("gradientPenalty", "gp=λ", 0, 1e6, false),
  dsteps: numeric("discriminatorSteps", "dsteps=N", 1, 100, true),
  gsteps: numeric("generatorSteps", "gsteps=N", 1, 16, true),
  r1: numeric("r1", "r1=γ", 0, 1e6, false),
  r1every: numeric("r1Every", "r1every=K", 1, 1000, true),
  augment: {
    usage: "augment=A[/A…]",
    apply: (options, raw) => {
      const names = (raw ?? "").split("/");
      const bad = names.find((n) => !(AUGMENT_NAMES as readonly string[]).includes(n));
      if (bad !== undefined) {
        return `unknown augmentation "${bad}" (augmentations: ${AUGMENT_NAMES.join(", ")})`;
      }
      if (new Set(names).size < names.length) return "an augmentation is named twice";
      options.augment = names as AugmentName[];
    },
  },
  ada: flag("ada", "ada"),
  sn: flag("spectralNorm", "sn"),
};

/** The option each modifier sets, for the canonical name. */
const WRITTEN: Readonly<Record<string, (o: VariantOptions) => string | undefined>> = {
  lr: (o) => o.learningRate === undefined ? undefined : `lr=${o.learningRate}`,
  gp: (o) => o.gradientPenalty === undefined ? undefined : `gp=${o.gradientPenalty}`,
  dsteps: (o) => o.discriminatorSteps === undefined ? undefined : `dsteps=${o.discriminatorSteps}`,
  gsteps: (o) => o.generatorSteps === undefined ? undefined : `gsteps=${o.generatorSteps}`,
  r1: (o) => o.r1 === undefined ? undefined : `r1=${o.r1}`,
  r1every: (o) => o.r1Every === undefined ? undefined : `r1every=${o.r1Every}`,
  augment: (o) => o.augment === undefined ? undefined : `augment=${o.augment.join("/")}`,
  ada: (o) => o.ada ? "ada" : undefined,
  sn: (o) => o.spectralNorm ? "sn" : undefined,
};

/**
 * How variants are written, for help texts and errors.
 *
 * @example
 * ```ts
 * import { VARIANT_SYNTAX } from "./variants.ts";
 *
 * console.log(VARIANT_SYNTAX); // LOSS[+MODIFIER…]: LOSS ns | hinge | ls | wgan-gp; …
 * ```
 */
export const VARIANT_SYNTAX: string = `LOSS[+MODIFIER…]: LOSS ${LOSS_NAMES.join(" | ")}; MODIFIER ${
  Object.values(MODIFIERS).map((m) => m.usage).join(", ")
}`;

/**
 * Reads one variant.
 *
 * @param text The variant as written, e.g. `ns+r1=10` or `wgan-gp+gp=5+dsteps=5`.
 * @returns The variant, with its canonical name (modifiers in a fixed order) and options.
 * @throws {RangeError} If it is not a variant, naming it and the fault, e.g.
 * `variant "ns+foo": unknown modifier "foo" (modifiers: gp=λ, …)`.
 *
 * @example
 * ```ts
 * import { parseVariant } from "./variants.ts";
 *
 * const v = parseVariant("ns+augment=translation/cutout+r1=10");
 * console.log(v.name); // ns+r1=10+augment=translation/cutout
 * console.log(v.dir); // ns+r1=10+augment=translation-cutout
 * console.log(v.options); // { loss: "ns", r1: 10, augment: ["translation", "cutout"] }
 * ```
 */
export function parseVariant(text: string): Variant {
  const fail = (fault: string): never => {
    throw new RangeError(`variant "${text}": ${fault}`);
  };
  const [loss, ...parts] = text.trim().split("+");
  if (!(LOSS_NAMES as readonly string[]).includes(loss)) {
    fail(
      `unknown loss "${loss}" (losses: ${LOSS_NAMES.join(", ")}; written ${VARIANT_SYNTAX})`,
    );
  }
  const options: VariantOptions = { loss: loss as LossName };
  const seen = new Set<string>();
  for (const part of parts) {
    const at = part.indexOf("=");
    const key = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? undefined : part.slice(at + 1);
    const modifier = Object.hasOwn(MODIFIERS, key) ? MODIFIERS[key] : undefined;
    if (!modifier) {
      fail(
        `unknown modifier "${key}" (modifiers: ${
          Object.values(MODIFIERS).map((m) => m.usage).join(", ")
        })`,
      );
    }
    if (seen.has(key)) fail(`modifier "${key}" given twice`);
    seen.add(key);
    const fault = modifier!.apply(options, value);
    if (fault !== undefined) fail(`${key}: ${fault}`);
  }
  if (options.gradientPenalty !== undefined && options.loss !== "wgan-gp") {
    fail("gp= is the gradient penalty of wgan-gp; this variant's loss is " + options.loss);
  }
  if (options.ada && options.augment === undefined) {
    fail(
      "ada adapts the augmentations' probability: give augment= too (e.g. ns+augment=translation+ada)",
    );
  }
  if (options.r1Every !== undefined && options.r1 === undefined) {
    fail("r1every= says how often R1 runs: give r1=γ too");
  }
  const name = [options.loss, ...Object.keys(MODIFIERS).map((k) => WRITTEN[k](options))]
    .filter((part) => part !== undefined).join("+");
  return { name, dir: name.replaceAll("/", "-"), options };
}

/**
 * Reads a comma-separated list of variants.
 *
 * @param list E.g. `ns,hinge,ls,wgan-gp` or `ns,ns+r1=10`.
 * @returns The variants, in the order given.
 * @throws {RangeError} If one is not a variant, the list is empty, or a variant comes twice.
 *
 * @example
 * ```ts
 * import { parseVariants } from "./variants.ts";
 *
 * console.log(parseVariants("ns,hinge,wgan-gp+dsteps=5").map((v) => v.name));
 * // ["ns", "hinge", "wgan-gp+dsteps=5"]
 * ```
 */
export function parseVariants(list: string): Variant[] {
  const words = list.split(",").map((w) => w.trim());
  if (words.some((w) => w === "")) {
    throw new RangeError(`variants "${list}": an empty variant (write e.g. ns,hinge,ls,wgan-gp)`);
  }
  const variants = words.map(parseVariant);
  const names = new Set<string>();
  for (const [i, variant] of variants.entries()) {
    if (names.has(variant.name)) {
      throw new RangeError(`variant "${words[i]}": given twice (as ${variant.name})`);
    }
    names.add(variant.name);
  }
  return variants;
}
