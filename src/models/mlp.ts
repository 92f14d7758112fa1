/**
 * The MLP generator's and discriminator's layers, as plain tf.js layers, so that stock tf.js can
 * load what we save: Dense layers with PyTorch's `nn.Linear` initialisation (or Glorot, or
 * N(0, σ)), BatchNorm in the generator, Dropout in the discriminator. `createGenerator` and
 * `createDiscriminator` (src/models/create.ts) build them for `architecture: "mlp"`.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import type { Activation, DiscriminatorOptions, GeneratorOptions, Initializer } from "./presets.ts";
import type { SeedStream } from "./seeds.ts";

type TfInitializer = ReturnType<typeof tfl.initializers.zeros>;
type TfLayer = tfl.layers.Layer;

function kernelAndBias(
  initializer: Initializer,
  fanIn: number,
  stddev: number,
  seeds: SeedStream,
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

/** The MLP generator's layers; the first takes `inputShape` when given (a Sequential model). */
export function mlpGenerator(
  o: GeneratorOptions,
  seeds: SeedStream,
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
 * The MLP discriminator's layers; `flat`: its input is already a vector (image ‖ label), so no
 * Flatten of the image first.
 */
export function mlpDiscriminator(
  o: DiscriminatorOptions,
  seeds: SeedStream,
  flat = false,
): TfLayer[] {
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

/**
 * A conditional MLP discriminator's input: the flattened image and the one-hot label, joined.
 *
 * @param image The image input, `(B, height, width, channels)`.
 * @param label The one-hot label input, `(B, classes)`.
 * @returns `(B, height·width·channels + classes)`.
 */
export function mlpLabelJoin(
  image: tfl.SymbolicTensor,
  label: tfl.SymbolicTensor,
): tfl.SymbolicTensor {
  // (B, height, width, channels) -> (B, height·width·channels) ‖ (B, classes)
  const flat = tfl.layers.flatten({ name: "d_flatten" }).apply(image) as tfl.SymbolicTensor;
  return tfl.layers.concatenate({ name: "d_join" }).apply([flat, label]) as tfl.SymbolicTensor;
}
