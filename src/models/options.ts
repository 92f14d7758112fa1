/**
 * The options of `createGenerator` and `createDiscriminator`: a preset and
 * overrides, resolved to every field and checked.
 *
 * @module
 */

import { checkInteger, checkNumber } from "../errors.ts";
import { latentMixtureProblem } from "./prior.ts";
import {
  type Activation,
  type Architecture,
  DEFAULT_PRESET,
  type DiscriminatorOptions,
  type GeneratorOptions,
  getPreset,
  type Initializer,
  type PresetName,
} from "./presets.ts";

/** Options of `createGenerator`: a preset, and any field of it to override. */
export interface CreateGeneratorOptions extends Partial<GeneratorOptions> {
  /**
   * The preset the other fields start from.
   * @default {"quick"}
   */
  preset?: PresetName;
  /**
   * Start from the original recipe exactly as written (`ORIGINAL_PRESETS`).
   * @default {false}
   */
  faithful?: boolean;
  /** Seed of the initial weights; unseeded (different every time) when absent. */
  seed?: number;
}

/** Options of `createDiscriminator`: a preset, and any field of it to override. */
export interface CreateDiscriminatorOptions extends Partial<DiscriminatorOptions> {
  /**
   * The preset the other fields start from.
   * @default {"quick"}
   */
  preset?: PresetName;
  /**
   * Start from the original recipe exactly as written (`ORIGINAL_PRESETS`).
   * @default {false}
   */
  faithful?: boolean;
  /** Seed of the initial weights; unseeded (different every time) when absent. */
  seed?: number;
}

const ACTIVATIONS: readonly Activation[] = [
  "relu",
  "leaky_relu",
  "tanh",
  "sigmoid",
  "elu",
  "linear",
];
const INITIALIZERS: readonly Initializer[] = ["torch", "glorot", "normal"];
const ARCHITECTURES: readonly Architecture[] = ["mlp", "dcgan", "progan", "stylegan"];

function checkShared(
  where: string,
  options: Pick<
    GeneratorOptions,
    | "architecture"
    | "classes"
    | "hiddenUnits"
    | "activation"
    | "leakyReluAlpha"
    | "imageShape"
    | "initializer"
    | "initStddev"
  >,
): void {
  if (options.classes !== undefined) checkInteger(where, "classes", options.classes, 0, 1000);
  if (options.architecture !== undefined && !ARCHITECTURES.includes(options.architecture)) {
    throw new RangeError(
      `${where}: architecture must be one of ${
        ARCHITECTURES.join(", ")
      }, got "${options.architecture}"`,
    );
  }
  if (!Array.isArray(options.hiddenUnits)) {
    throw new RangeError(`${where}: hiddenUnits must be an array`);
  }
  options.hiddenUnits.forEach((u, i) => checkInteger(where, `hiddenUnits[${i}]`, u));
  if (!ACTIVATIONS.includes(options.activation)) {
    throw new RangeError(
      `${where}: activation must be one of ${ACTIVATIONS.join(", ")}, got "${options.activation}"`,
    );
  }
  checkNumber(where, "leakyReluAlpha", options.leakyReluAlpha, 0, 1, "[]");
  if (options.imageShape?.length !== 3) {
    throw new RangeError(`${where}: imageShape must be [height, width, channels]`);
  }
  options.imageShape.forEach((d, i) => checkInteger(where, `imageShape[${i}]`, d));
  if (!INITIALIZERS.includes(options.initializer)) {
    throw new RangeError(
      `${where}: initializer must be one of ${
        INITIALIZERS.join(", ")
      }, got "${options.initializer}"`,
    );
  }
  checkNumber(where, "initStddev", options.initStddev, 0, Infinity);
}

/**
 * The full generator options: the preset's, with the given fields over them.
 *
 * @param options A preset name and overrides.
 * @returns Every field, checked.
 */
export function resolveGeneratorOptions(options: CreateGeneratorOptions = {}): GeneratorOptions {
  const { preset = DEFAULT_PRESET, faithful, seed: _seed, ...overrides } = options;
  const resolved: GeneratorOptions = {
    ...getPreset(preset, faithful).generator,
    ...withoutUndefined(overrides),
  };
  checkShared("createGenerator", resolved);
  checkInteger("createGenerator", "latentDim", resolved.latentDim);
  if (resolved.latentMixture != null) {
    const problem = latentMixtureProblem(resolved.latentMixture, resolved.latentDim);
    if (problem) throw new RangeError(`createGenerator: latentMixture ${problem}`);
  }
  if (!ACTIVATIONS.includes(resolved.outputActivation)) {
    throw new RangeError(
      `createGenerator: outputActivation must be one of ${
        ACTIVATIONS.join(", ")
      }, got "${resolved.outputActivation}"`,
    );
  }
  const { latentMixture, ...rest } = resolved;
  return {
    ...rest,
    hiddenUnits: [...resolved.hiddenUnits],
    imageShape: [...resolved.imageShape],
    ...(latentMixture ? { latentMixture: { ...latentMixture } } : {}),
  };
}

/**
 * The full discriminator options: the preset's, with the given fields over them.
 *
 * @param options A preset name and overrides.
 * @returns Every field, checked.
 */
export function resolveDiscriminatorOptions(
  options: CreateDiscriminatorOptions = {},
): DiscriminatorOptions {
  const { preset = DEFAULT_PRESET, faithful, seed: _seed, ...overrides } = options;
  const resolved: DiscriminatorOptions = {
    ...getPreset(preset, faithful).discriminator,
    ...withoutUndefined(overrides),
  };
  checkShared("createDiscriminator", resolved);
  checkNumber("createDiscriminator", "dropout", resolved.dropout, 0, 1, "[)");
  return {
    ...resolved,
    hiddenUnits: [...resolved.hiddenUnits],
    imageShape: [...resolved.imageShape],
  };
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<
    T
  >;
}
