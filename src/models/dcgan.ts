/**
 * DCGAN models (Radford et al. 2015) for small images: transposed convolutions up from a small
 * feature map in the generator, strided convolutions down in the discriminator, BatchNorm between,
 * weights drawn from N(0, 0.02). {@linkcode createGenerator} and {@linkcode createDiscriminator}
 * build these when the options say `architecture: "dcgan"` (the `dcgan` and `dcgan32` presets).
 *
 * `hiddenUnits` gives the channels: for the generator from the first feature map down (each
 * transposed convolution doubles the side), for the discriminator from the first convolution up
 * (each halves it). Every filter is 4×4 with stride 2 and "same" padding: PyTorch's
 * `kernel_size=4, stride=2, padding=1`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { DiscriminatorOptions, GeneratorOptions } from "./presets.ts";
import type { SeedStream } from "./seeds.ts";

type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];
type Conv2DLayer = ReturnType<typeof tfl.layers.conv2d>;
/** tf.js-layers' own Conv2D class (the package exports only its factory). */
const Conv2DBase = tfl.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as new (
  args: Conv2DArgs,
) => Conv2DLayer;

/**
 * tf.js-layers' Conv2D with the same forward pass through plain `tf.conv2d` (+ bias, activation)
 * instead of `tf.fused.conv2d`. The fused op's gradient computes the input's and the filter's
 * gradients together whichever is asked for, so the generator's step paid for the
 * discriminator's filter gradients (a fifth of a DCGAN step's products) and the discriminator's
 * step for the image's gradient; `tf.conv2d`'s are computed only where needed. Saved as a plain
 * `Conv2D`: stock tf.js loads it unchanged. On wasm with our kernels a stock Conv2D gets the same
 * (src/backend/kernels/conv_layers.ts, bit-identical training); this one keeps it on every backend.
 */
class Conv2D extends Conv2DBase {
  static className = "Conv2D";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      // (B, h, w, inC) -> (B, h', w', filters)
      let y: tf.Tensor = tf.conv2d(
        x,
        this.kernel.read() as tf.Tensor4D,
        this.strides as [number, number],
        this.padding as "same" | "valid",
        "NHWC",
        this.dilationRate as [number, number],
      );
      if (this.useBias) y = tf.add(y, this.bias.read());
      return this.activation ? this.activation.apply(y) : y;
    });
  }
}

/** Side of every filter. */
const KERNEL = 4;

function normal(stddev: number, seeds: SeedStream) {
  return tfl.initializers.randomNormal({ mean: 0, stddev, seed: seeds.next() });
}

/**
 * The side of the generator's first feature map: the image side halved once per transposed
 * convolution.
 *
 * @param side The image's height or width.
 * @param upsamplings Transposed convolutions.
 * @returns The first map's side.
 * @throws {RangeError} If the side does not halve that often.
 */
export function firstSide(side: number, upsamplings: number): number {
  const first = side / 2 ** upsamplings;
  if (!Number.isInteger(first) || first < 1) {
    throw new RangeError(
      `a DCGAN with ${upsamplings} upsampling layers needs an image side divisible by ${
        2 ** upsamplings
      }, got ${side}`,
    );
  }
  return first;
}

/**
 * The DCGAN generator: z → Dense → (BatchNorm → ReLU → transposed conv) × layers → Tanh.
 *
 * @param o Resolved generator options (`hiddenUnits`: channels of each feature map).
 * @param seeds Seeds of the initialisers.
 * @param inputShape The first layer's input shape, for a Sequential model.
 * @returns The layers, `(B, latentDim [+ classes])` → `(B, height, width, channels)`.
 */
export function dcganGenerator(
  o: GeneratorOptions,
  seeds: SeedStream,
  inputShape: number[] | undefined,
): tfl.layers.Layer[] {
  const [height, width, channels] = o.imageShape;
  const maps = o.hiddenUnits;
  if (maps.length === 0) throw new RangeError("createGenerator: a DCGAN needs hiddenUnits");
  const h0 = firstSide(height, maps.length), w0 = firstSide(width, maps.length);
  const layers: tfl.layers.Layer[] = [];
  // (B, latentDim [+ classes]) -> (B, h0·w0·maps[0]); no bias: BatchNorm's shift replaces it
  layers.push(tfl.layers.dense({
    units: h0 * w0 * maps[0],
    useBias: false,
    inputShape,
    kernelInitializer: normal(o.initStddev, seeds),
    name: "g_dense",
  }));
  // (B, h0·w0·maps[0]) -> (B, h0, w0, maps[0])
  layers.push(tfl.layers.reshape({ targetShape: [h0, w0, maps[0]], name: "g_map" }));
  let side = [h0, w0];
  maps.forEach((_, i) => {
    const n = i + 1;
    const last = i === maps.length - 1;
    const out = last ? channels : maps[i + 1];
    // (B, h, w, maps[i]) -> same, normalised per channel over batch and positions
    layers.push(tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `g_bn_${n}` }));
    // (B, h, w, maps[i]) -> same
    layers.push(tfl.layers.activation({ activation: "relu", name: `g_relu_${n}` }));
    side = [side[0] * 2, side[1] * 2];
    // (B, h, w, maps[i]) -> (B, 2h, 2w, out)
    layers.push(tfl.layers.conv2dTranspose({
      filters: out,
      kernelSize: KERNEL,
      strides: 2,
      padding: "same",
      useBias: last,
      kernelInitializer: normal(o.initStddev, seeds),
      name: last ? "g_deconv_out" : `g_deconv_${n}`,
    }));
  });
  // (B, height, width, channels) in (-1, 1)
  const name = `g_${o.outputActivation}_out`;
  layers.push(
    o.outputActivation === "leaky_relu"
      ? tfl.layers.leakyReLU({ alpha: o.leakyReluAlpha, name })
      : tfl.layers.activation({ activation: o.outputActivation, name }),
  );
  return layers;
}

/**
 * The DCGAN discriminator: image → (strided conv → [BatchNorm] → LeakyReLU) × layers → Dense →
 * one logit; BatchNorm after every convolution but the first.
 *
 * @param o Resolved discriminator options (`hiddenUnits`: channels of each convolution).
 * @param seeds Seeds of the initialisers.
 * @param inputShape The first layer's input shape, for a Sequential model.
 * @returns The layers, `(B, height, width, channels [+ classes])` → `(B, 1)` logits.
 */
export function dcganDiscriminator(
  o: DiscriminatorOptions,
  seeds: SeedStream,
  inputShape: number[] | undefined,
): tfl.layers.Layer[] {
  const maps = o.hiddenUnits;
  if (maps.length === 0) throw new RangeError("createDiscriminator: a DCGAN needs hiddenUnits");
  const layers: tfl.layers.Layer[] = [];
  maps.forEach((filters, i) => {
    const n = i + 1;
    // (B, h, w, c) -> (B, ⌈h/2⌉, ⌈w/2⌉, filters)
    layers.push(
      new Conv2D({
        filters,
        kernelSize: KERNEL,
        strides: 2,
        padding: "same",
        useBias: i === 0,
        inputShape: i === 0 ? inputShape : undefined,
        kernelInitializer: normal(o.initStddev, seeds),
        name: `d_conv_${n}`,
      }),
    );
    if (i > 0) {
      // (B, h, w, filters) -> same
      layers.push(
        tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `d_bn_${n}` }),
      );
    }
    // (B, h, w, filters) -> same
    layers.push(tfl.layers.leakyReLU({ alpha: o.leakyReluAlpha, name: `d_lrelu_${n}` }));
    if (o.dropout > 0) {
      layers.push(
        tfl.layers.dropout({ rate: o.dropout, seed: seeds.next(), name: `d_dropout_${n}` }),
      );
    }
  });
  // (B, h, w, c) -> (B, h·w·c)
  layers.push(tfl.layers.flatten({ name: "d_flatten" }));
  // (B, h·w·c) -> (B, 1): the logit of "real"
  layers.push(tfl.layers.dense({
    units: 1,
    kernelInitializer: normal(o.initStddev, seeds),
    name: "d_logit",
  }));
  return layers;
}

/**
 * A conditional DCGAN discriminator's input: the label as `classes` constant maps beside the
 * image's channels.
 *
 * @param image The image input, `(B, height, width, channels)`.
 * @param label The one-hot label input, `(B, classes)`.
 * @param o Resolved discriminator options (`imageShape`, `classes`).
 * @returns `(B, height, width, channels + classes)`.
 */
export function dcganLabelJoin(
  image: tfl.SymbolicTensor,
  label: tfl.SymbolicTensor,
  o: DiscriminatorOptions,
): tfl.SymbolicTensor {
  const [height, width] = o.imageShape;
  const classes = o.classes ?? 0;
  // (B, classes) -> (B, 1, 1, classes) -> (B, height, width, classes)
  const flat = tfl.layers.reshape({ targetShape: [1, 1, classes], name: "d_label_pixel" });
  const maps = tfl.layers.upSampling2d({ size: [height, width], name: "d_label_maps" })
    .apply(flat.apply(label)) as tfl.SymbolicTensor;
  // (B, height, width, channels + classes)
  return tfl.layers.concatenate({ name: "d_join" }).apply([image, maps]) as tfl.SymbolicTensor;
}
