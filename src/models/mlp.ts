/**
 * The MLP generator and discriminator of the original systems' as plain tf.js layers models, so that
 * stock tf.js can load what we save.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import type { LayersModel } from "../tf_types.ts";
import { checkInteger, checkNumber } from "../errors.ts";
import { Random } from "../random.ts";
import { dcganDiscriminator, dcganGenerator } from "./dcgan.ts";
import { latentMixtureProblem, setLatentMixture } from "./prior.ts";
import {
  type Activation,
  DEFAULT_PRESET,
  type DiscriminatorOptions,
  type GeneratorOptions,
  getPreset,
  type Initializer,
  type PresetName,
} from "./presets.ts";

/** Options of {@linkcode createGenerator}: a preset, and any field of it to override. */
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

/** Options of {@linkcode createDiscriminator}: a preset, and any field of it to override. */
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

/** Draws initializer seeds from the model's seed, or leaves them unseeded. */
class SeedSource {
  #random: Random | undefined;
  constructor(seed: number | undefined, salt: number) {
    this.#random = seed === undefined ? undefined : new Random((seed ^ salt) >>> 0);
  }
  next(): number | undefined {
    return this.#random?.uint32();
  }
}

type TfInitializer = ReturnType<typeof tfl.initializers.zeros>;
type TfLayer = tfl.layers.Layer;

function kernelAndBias(
  initializer: Initializer,
  fanIn: number,
  stddev: number,
  seeds: SeedSource,
): { kernelInitializer: TfInitializer; biasInitializer: TfInitializer } {
  if (initializer === "torch") {
    // nn.Linear's reset_parameters: kaiming_uniform(a=√5) is uniform in ±1/√fan_in, i.e. variance
    // scaling with scale 1/3; the bias is uniform in the same range.
    const limit = 1 / Math.sqrt(fanIn);
    return {
      kernelInitializer: tfl.initializers.varianceScaling({
        scale: 1 / 3,
        mode: "fanIn",
        distribution: "uniform",
        seed: seeds.next(),
      }),
      biasInitializer: tfl.initializers.randomUniform({
        minval: -limit,
        maxval: limit,
        seed: seeds.next(),
      }),
    };
  }
  const kernelInitializer = initializer === "glorot"
    ? tfl.initializers.glorotUniform({ seed: seeds.next() })
    : tfl.initializers.randomNormal({ mean: 0, stddev, seed: seeds.next() });
  return { kernelInitializer, biasInitializer: tfl.initializers.zeros() };
}

/** The layer for an activation: LeakyReLU is a layer of its own in tf.js, the rest are not. */
function activationLayer(
  activation: Activation,
  alpha: number,
  name: string,
): TfLayer {
  return activation === "leaky_relu"
    ? tfl.layers.leakyReLU({ alpha, name })
    : tfl.layers.activation({ activation, name });
}

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
  if (options.architecture !== undefined && !["mlp", "dcgan"].includes(options.architecture)) {
    throw new RangeError(
      `${where}: architecture must be "mlp" or "dcgan", got "${options.architecture}"`,
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

/**
 * Builds an MLP generator: z → (Dense → [BatchNorm] → activation) × hidden → Dense → image.
 *
 * @param options A preset (default `"quick"`, {@linkcode DEFAULT_PRESET}) and any fields to override.
 * @returns A tf.js layers model from `(B, latentDim)` noise to `(B, height, width, channels)`
 * images in the output activation's range.
 *
 * @example The standard generator, and a wider variant of the lite one
 * ```ts
 * import { createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * console.log(generator.countParams()); // 293136
 * const wide = createGenerator({ preset: "lite", hiddenUnits: [256, 512, 1024] });
 * console.log(wide.outputs[0].shape); // [null, 28, 28, 1]
 * ```
 */
export function createGenerator(options: CreateGeneratorOptions = {}): LayersModel {
  const o = resolveGeneratorOptions(options);
  const seeds = new SeedSource(options.seed, 0x47454e);
  const classes = o.classes ?? 0;
  // Unconditional: a Sequential model from z. Conditional: z and the one-hot label joined first.
  const inputShape = classes ? undefined : [o.latentDim];
  const layers = o.architecture === "dcgan"
    ? dcganGenerator(o, seeds, inputShape)
    : mlpGenerator(o, seeds, inputShape);
  let model: LayersModel;
  if (!classes) {
    model = tfl.sequential({ name: "generator", layers });
  } else {
    const z = tfl.input({ shape: [o.latentDim], name: "z" });
    const label = tfl.input({ shape: [classes], name: "label" });
    // (B, latentDim) ‖ (B, classes) -> (B, latentDim + classes)
    let x = tfl.layers.concatenate({ name: "g_join" }).apply([z, label]) as tfl.SymbolicTensor;
    for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
    model = tfl.model({ inputs: [z, label], outputs: x, name: "generator" });
  }
  if (o.latentMixture) setLatentMixture(model, o.latentMixture);
  return model;
}

/** The MLP generator's layers; the first takes `inputShape` when given (a Sequential model). */
function mlpGenerator(
  o: GeneratorOptions,
  seeds: SeedSource,
  inputShape: number[] | undefined,
): TfLayer[] {
  const [height, width, channels] = o.imageShape;
  const layers: TfLayer[] = [];
  let fanIn = o.latentDim + (o.classes ?? 0);
  o.hiddenUnits.forEach((units, i) => {
    const n = i + 1;
    // (B, fanIn) -> (B, units)
    layers.push(tfl.layers.dense({
      units,
      inputShape: i === 0 ? inputShape : undefined,
      name: `g_dense_${n}`,
      ...kernelAndBias(o.initializer, fanIn, o.initStddev, seeds),
    }));
    if (o.batchNorm) {
      // (B, units) -> (B, units); PyTorch's BatchNorm1d defaults: momentum 0.1, eps 1e-5
      layers.push(
        tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `g_bn_${n}` }),
      );
    }
    // (B, units) -> (B, units)
    layers.push(activationLayer(o.activation, o.leakyReluAlpha, `g_${o.activation}_${n}`));
    fanIn = units;
  });
  // (B, fanIn) -> (B, height·width·channels)
  layers.push(tfl.layers.dense({
    units: height * width * channels,
    inputShape: o.hiddenUnits.length === 0 ? inputShape : undefined,
    name: "g_dense_out",
    ...kernelAndBias(o.initializer, fanIn, o.initStddev, seeds),
  }));
  // (B, height·width·channels) -> (B, height·width·channels), in (-1, 1) for tanh
  layers.push(activationLayer(o.outputActivation, o.leakyReluAlpha, `g_${o.outputActivation}_out`));
  // (B, height·width·channels) -> (B, height, width, channels)
  layers.push(tfl.layers.reshape({ targetShape: [height, width, channels], name: "g_image" }));
  return layers;
}

/**
 * Builds an MLP discriminator: image → flatten → (Dense → activation → [Dropout]) × hidden → Dense
 * → one logit. It outputs logits, not probabilities: the loss applies the sigmoid (stably), and
 * `tf.sigmoid(logit)` is the probability that the image is real.
 *
 * @param options A preset (default `"quick"`, {@linkcode DEFAULT_PRESET}) and any fields to override.
 * @returns A tf.js layers model from `(B, height, width, channels)` images to `(B, 1)` logits.
 *
 * @example The standard discriminator
 * ```ts
 * import { createDiscriminator } from "@gan/mnist";
 *
 * const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
 * console.log(discriminator.countParams()); // 267009
 * ```
 */
export function createDiscriminator(options: CreateDiscriminatorOptions = {}): LayersModel {
  const o = resolveDiscriminatorOptions(options);
  const seeds = new SeedSource(options.seed, 0x444953);
  const [height, width, channels] = o.imageShape;
  const classes = o.classes ?? 0;
  const dcgan = o.architecture === "dcgan";
  if (!classes) {
    const layers = dcgan ? dcganDiscriminator(o, seeds, o.imageShape) : mlpDiscriminator(o, seeds);
    return tfl.sequential({ name: "discriminator", layers });
  }
  const image = tfl.input({ shape: [height, width, channels], name: "image" });
  const label = tfl.input({ shape: [classes], name: "label" });
  let x: tfl.SymbolicTensor;
  if (dcgan) {
    // The label as `classes` constant maps beside the image's channels:
    // (B, classes) -> (B, 1, 1, classes) -> (B, height, width, classes)
    const flat = tfl.layers.reshape({ targetShape: [1, 1, classes], name: "d_label_pixel" });
    const maps = tfl.layers.upSampling2d({ size: [height, width], name: "d_label_maps" })
      .apply(flat.apply(label)) as tfl.SymbolicTensor;
    // (B, height, width, channels + classes)
    x = tfl.layers.concatenate({ name: "d_join" }).apply([image, maps]) as tfl.SymbolicTensor;
  } else {
    // (B, height, width, channels) -> (B, height·width·channels) ‖ (B, classes)
    const flat = tfl.layers.flatten({ name: "d_flatten" }).apply(image) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate({ name: "d_join" }).apply([flat, label]) as tfl.SymbolicTensor;
  }
  const layers = dcgan ? dcganDiscriminator(o, seeds, undefined) : mlpDiscriminator(o, seeds, true);
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [image, label], outputs: x, name: "discriminator" });
}

/**
 * The MLP discriminator's layers; `flat`: its input is already a vector (image ‖ label), so no
 * Flatten of the image first.
 */
function mlpDiscriminator(o: DiscriminatorOptions, seeds: SeedSource, flat = false): TfLayer[] {
  const [height, width, channels] = o.imageShape;
  const layers: TfLayer[] = [];
  if (!flat) {
    // (B, height, width, channels) -> (B, height·width·channels)
    layers.push(tfl.layers.flatten({ inputShape: [height, width, channels], name: "d_flatten" }));
  }
  let fanIn = height * width * channels + (flat ? o.classes ?? 0 : 0);
  o.hiddenUnits.forEach((units, i) => {
    const n = i + 1;
    // (B, fanIn) -> (B, units)
    layers.push(tfl.layers.dense({
      units,
      name: `d_dense_${n}`,
      ...kernelAndBias(o.initializer, fanIn, o.initStddev, seeds),
    }));
    // (B, units) -> (B, units)
    layers.push(activationLayer(o.activation, o.leakyReluAlpha, `d_${o.activation}_${n}`));
    if (o.dropout > 0) {
      // (B, units) -> (B, units)
      layers.push(
        tfl.layers.dropout({ rate: o.dropout, seed: seeds.next(), name: `d_dropout_${n}` }),
      );
    }
    fanIn = units;
  });
  // (B, fanIn) -> (B, 1): the logit of "real"
  layers.push(tfl.layers.dense({
    units: 1,
    name: "d_logit",
    ...kernelAndBias(o.initializer, fanIn, o.initStddev, seeds),
  }));
  return layers;
}
