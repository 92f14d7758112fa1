/**
 * ProGAN (Karras et al. 2018, "Progressive Growing of GANs") for small images, as two tf.js
 * layers that the library registers (register.ts), so that `tf.loadLayersModel` reads them back:
 *
 * - {@linkcode ProGANGenerator}: z → pixel norm → Dense to r₀×r₀×C₀ → 3×3 conv, then per further
 *   resolution ×2 nearest up-sampling → two 3×3 convs, each followed by LeakyReLU(0.2) and pixel
 *   norm; a 1×1 "toRGB" convolution per resolution; equalised learning rate everywhere.
 * - {@linkcode ProGANDiscriminator}: the mirror, a 1×1 "fromRGB" per resolution, two 3×3 convs and
 *   2×2 average pooling per block, and at r₀ the minibatch standard deviation → 3×3 conv → Dense
 *   → Dense to one logit. StyleGAN (stylegan.ts) uses it too, grown from the start.
 *
 * Growing: both layers read the schedule (growth.ts) from the images seen. In phase p only the
 * blocks up to resolution p run; while block p fades in, G's image is
 * `(1 − α)·up(toRGB₍ₚ₋₁₎(h₍ₚ₋₁₎)) + α·toRGBₚ(hₚ)` and D's features
 * `(1 − α)·fromRGB₍ₚ₋₁₎(down(x)) + α·blockₚ(fromRGBₚ(x))`. The generator's output is always the
 * full image (the phase's image up-sampled, nearest), and D takes the full image and averages it
 * down to the phase's resolution, so the training loop, the data and every tool see 28×28 (or
 * 32×32) images throughout, and D sees exactly ProGAN's low-resolution reals.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { growthAt, type GrowthSchedule } from "./growth.ts";
import { batchOf, type Kwargs, type LayerArgs, ProgressLayer, type Shapes } from "./layer_base.ts";
import {
  downsample,
  equalizedConv,
  equalizedDense,
  lerp,
  lrelu,
  LRELU_GAIN,
  minibatchStdDev,
  pixelNorm,
  upsample,
} from "./ops.ts";

/** The sizes both ProGAN layers are made from. */
export interface ProGANConfig {
  /** Channels of the feature maps per resolution, lowest first (each resolution doubles the side). */
  channels: number[];
  /** The full image, `[height, width, channels]`; its side halves down to the lowest resolution. */
  imageShape: [number, number, number];
  /** Images per phase; absent (or 0s) for a network grown from the start. */
  growth?: GrowthSchedule | null;
  /** Seed of the initial weights. */
  seed?: number;
}

/**
 * The sides of every resolution, lowest first: `imageShape`'s side halved `channels.length − 1`
 * times.
 *
 * @param config The sizes.
 * @returns The sides, e.g. `[7, 14, 28]`.
 * @throws {RangeError} If the side does not halve that often.
 *
 * @example
 * ```ts
 * import { resolutionsOf } from "./progan.ts";
 *
 * console.log(resolutionsOf({ channels: [128, 64, 32], imageShape: [28, 28, 1] })); // [7, 14, 28]
 * ```
 */
export function resolutionsOf(config: Pick<ProGANConfig, "channels" | "imageShape">): number[] {
  const [height, width] = config.imageShape;
  const phases = config.channels.length;
  if (height !== width) {
    throw new RangeError(`ProGAN: images must be square, got ${height}×${width}`);
  }
  if (phases < 1) throw new RangeError("ProGAN: channels must name at least one resolution");
  const lowest = height / 2 ** (phases - 1);
  if (!Number.isInteger(lowest) || lowest < 2) {
    throw new RangeError(
      `ProGAN: a ${height}-pixel side does not halve ${
        phases - 1
      } times to a whole side of 2 or more`,
    );
  }
  return config.channels.map((_, k) => lowest * 2 ** k);
}

/** Whether a network grows (a schedule with images in it). */
function isGrowing(config: ProGANConfig): boolean {
  const schedule = config.growth;
  return !!schedule && (schedule.stableImages > 0 || schedule.fadeImages > 0);
}

/** Where a layer of a (possibly growing) network stands. */
function growthOf(layer: ProgressLayer & { config: ProGANConfig }) {
  const phases = layer.config.channels.length;
  if (!isGrowing(layer.config)) return { phase: phases - 1, alpha: 1 };
  return growthAt(layer.imagesSeen, layer.config.growth!, phases);
}

/** The config as saved in model.json (plain numbers and arrays). */
function configDict(config: ProGANConfig): tf.serialization.ConfigDict {
  return {
    channels: [...config.channels],
    imageShape: [...config.imageShape],
    growth: config.growth ? { ...config.growth } : null,
  } as unknown as tf.serialization.ConfigDict;
}

/** The generator's options: ProGAN's sizes, z's length, and an optional class input. */
export interface ProGANGeneratorConfig extends ProGANConfig {
  /** Length of z. */
  latentDim: number;
}

/**
 * ProGAN's generator as one layer: `(B, latentDim)` noise → `(B, H, W, C)` images. Outside
 * training its output is clipped to [-1, 1] (the network's output is linear, as in the paper).
 *
 * @example A 7 → 14 → 28 generator, grown to its last phase
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { ProGANGenerator } from "./progan.ts";
 *
 * const layer = new ProGANGenerator({ latentDim: 16, channels: [16, 8, 4], imageShape: [28, 28, 1], seed: 1 });
 * const g = tfl.sequential({ layers: [layer] });
 * console.log((g.predict(tf.randomNormal([2, 16])) as tf.Tensor).shape); // [2, 28, 28, 1]
 * ```
 */
export class ProGANGenerator extends ProgressLayer {
  /** The class name in model.json. */
  static className = "ProGANGenerator";
  readonly config: ProGANGeneratorConfig;
  readonly resolutions: number[];

  constructor(args: ProGANGeneratorConfig & LayerArgs) {
    super({ ...args, inputShape: args.inputShape ?? [args.latentDim] });
    this.config = {
      latentDim: args.latentDim,
      channels: [...args.channels],
      imageShape: [...args.imageShape],
      growth: args.growth ?? null,
    };
    this.resolutions = resolutionsOf(this.config);
  }

  override build(): void {
    const { latentDim, channels, imageShape } = this.config;
    const [r0] = this.resolutions;
    // z (latentDim) -> r0·r0·C0: the paper's "4×4 conv" on a 1×1 input is this Dense
    this.weight("dense_kernel", [latentDim, r0 * r0 * channels[0]], { stddev: 1 });
    this.weight("dense_bias", [r0 * r0 * channels[0]], { fill: 0 });
    channels.forEach((c, k) => {
      const r = this.resolutions[k];
      const convs = k === 0 ? [[c, c]] : [[channels[k - 1], c], [c, c]];
      convs.forEach(([cin, cout], j) => {
        this.weight(`conv${r}_${j}_kernel`, [3, 3, cin, cout], { stddev: 1 });
        this.weight(`conv${r}_${j}_bias`, [cout], { fill: 0 });
      });
      this.weight(`torgb${r}_kernel`, [1, 1, c, imageShape[2]], { stddev: 1 });
      this.weight(`torgb${r}_bias`, [imageShape[2]], { fill: 0 });
    });
    this.addProgress();
    this.built = true;
  }

  override computeOutputShape(inputShape: Shapes): Shapes {
    return [batchOf(inputShape), ...this.config.imageShape];
  }

  /** A conv → LeakyReLU → pixel norm, as every G layer is. */
  #conv(x: tf.Tensor4D, r: number, j: number): tf.Tensor4D {
    const y = equalizedConv(
      x,
      this.p(`conv${r}_${j}_kernel`) as tf.Tensor4D,
      this.p(`conv${r}_${j}_bias`),
      LRELU_GAIN,
    );
    return pixelNorm(lrelu(y)) as tf.Tensor4D;
  }

  #toRGB(h: tf.Tensor4D, r: number): tf.Tensor4D {
    return equalizedConv(h, this.p(`torgb${r}_kernel`) as tf.Tensor4D, this.p(`torgb${r}_bias`), 1);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs = {}): tf.Tensor {
    return tf.tidy(() => {
      const z = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const training = kwargs.training === true;
      const { phase, alpha } = growthOf(this);
      const { channels, imageShape } = this.config;
      const [r0] = this.resolutions;
      const b = z.shape[0];
      // (B, latentDim) -> (B, r0·r0·C0) -> (B, r0, r0, C0)
      const dense = equalizedDense(
        pixelNorm(z) as tf.Tensor2D,
        this.p("dense_kernel") as tf.Tensor2D,
        this.p("dense_bias"),
        LRELU_GAIN / r0,
      );
      let h = pixelNorm(lrelu(tf.reshape(dense, [b, r0, r0, channels[0]]))) as tf.Tensor4D;
      // (B, r0, r0, C0) -> (B, r0, r0, C0)
      h = this.#conv(h, r0, 0);
      let previous = h;
      for (let k = 1; k <= phase; k++) {
        const r = this.resolutions[k];
        previous = h;
        // (B, r/2, r/2, C(k-1)) -> (B, r, r, C(k-1)) -> (B, r, r, Ck) -> (B, r, r, Ck)
        h = this.#conv(this.#conv(upsample(h, 2), r, 0), r, 1);
      }
      const r = this.resolutions[phase];
      // (B, r, r, Ck) -> (B, r, r, image channels)
      let image: tf.Tensor4D = this.#toRGB(h, r);
      if (phase > 0 && alpha < 1) {
        // The fade-in: the block below's image, up-sampled, blended with the new block's.
        const below = upsample(this.#toRGB(previous, r / 2), 2);
        image = lerp(below, image, alpha) as tf.Tensor4D;
      }
      // (B, r, r, C) -> (B, H, W, C): nearest up-sampling to the full image
      image = upsample(image, imageShape[0] / r);
      return training ? image : tf.clipByValue(image, -1, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...configDict(this.config), latentDim: this.config.latentDim };
  }
}

/** The discriminator's options: ProGAN's sizes, and classes for a projection discriminator. */
export interface ProGANDiscriminatorConfig extends ProGANConfig {
  /** Classes of a conditional discriminator (input `[image, oneHot]`), 0 for none. */
  classes?: number;
  /** Group size of the minibatch standard deviation (4, StyleGAN2's). */
  groupSize?: number;
}

/**
 * ProGAN's discriminator as one layer: `(B, H, W, C)` images (and with `classes`, a one-hot
 * label: a projection discriminator, as StyleGAN2-ADA's) → `(B, 1)` logits.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { ProGANDiscriminator } from "./progan.ts";
 *
 * const layer = new ProGANDiscriminator({ channels: [16, 8, 4], imageShape: [28, 28, 1], seed: 1 });
 * const d = tfl.sequential({ layers: [layer] });
 * console.log((d.predict(tf.zeros([4, 28, 28, 1])) as tf.Tensor).shape); // [4, 1]
 * ```
 */
export class ProGANDiscriminator extends ProgressLayer {
  /** The class name in model.json. */
  static className = "ProGANDiscriminator";
  readonly config: ProGANDiscriminatorConfig;
  readonly resolutions: number[];

  constructor(args: ProGANDiscriminatorConfig & LayerArgs) {
    super({
      ...args,
      ...(args.classes ? {} : { inputShape: args.inputShape ?? [...args.imageShape] }),
    });
    this.config = {
      channels: [...args.channels],
      imageShape: [...args.imageShape],
      growth: args.growth ?? null,
      classes: args.classes ?? 0,
      groupSize: args.groupSize ?? 4,
    };
    this.resolutions = resolutionsOf(this.config);
  }

  override build(): void {
    const { channels, imageShape, classes } = this.config;
    const [r0] = this.resolutions;
    // A network grown from the start reads images at the top resolution only.
    const growing = isGrowing(this.config);
    channels.forEach((c, k) => {
      const r = this.resolutions[k];
      if (growing || k === channels.length - 1) {
        this.weight(`fromrgb${r}_kernel`, [1, 1, imageShape[2], c], { stddev: 1 });
        this.weight(`fromrgb${r}_bias`, [c], { fill: 0 });
      }
      // Block k: Ck -> Ck -> C(k-1), then 2×2 average pooling. At r0: minibatch std, conv.
      const convs = k === 0 ? [[c + 1, c]] : [[c, c], [c, channels[k - 1]]];
      convs.forEach(([cin, cout], j) => {
        this.weight(`conv${r}_${j}_kernel`, [3, 3, cin, cout], { stddev: 1 });
        this.weight(`conv${r}_${j}_bias`, [cout], { fill: 0 });
      });
    });
    const c0 = channels[0];
    this.weight("dense_kernel", [r0 * r0 * c0, c0], { stddev: 1 });
    this.weight("dense_bias", [c0], { fill: 0 });
    this.weight("out_kernel", [c0, 1], { stddev: 1 });
    this.weight("out_bias", [1], { fill: 0 });
    // A projection discriminator's class embedding: logit += ⟨features, E·y⟩ / √C0.
    if (classes) this.weight("embed", [classes, c0], { stddev: 1 });
    this.addProgress();
    this.built = true;
  }

  override computeOutputShape(inputShape: Shapes): Shapes {
    return [batchOf(inputShape), 1];
  }

  #conv(x: tf.Tensor4D, r: number, j: number): tf.Tensor4D {
    const y = equalizedConv(
      x,
      this.p(`conv${r}_${j}_kernel`) as tf.Tensor4D,
      this.p(`conv${r}_${j}_bias`),
      LRELU_GAIN,
    );
    return lrelu(y) as tf.Tensor4D;
  }

  #fromRGB(x: tf.Tensor4D, r: number): tf.Tensor4D {
    const y = equalizedConv(
      x,
      this.p(`fromrgb${r}_kernel`) as tf.Tensor4D,
      this.p(`fromrgb${r}_bias`),
      LRELU_GAIN,
    );
    return lrelu(y) as tf.Tensor4D;
  }

  /** Block k: (B, r, r, Ck) → (B, r/2, r/2, C(k−1)). */
  #block(h: tf.Tensor4D, k: number): tf.Tensor4D {
    const r = this.resolutions[k];
    return downsample(this.#conv(this.#conv(h, r, 0), r, 1), 2);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs = {}): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0] as tf.Tensor4D;
      const label = list[1] as tf.Tensor2D | undefined;
      const { phase, alpha } = growthOf(this);
      const { channels, imageShape } = this.config;
      const [r0] = this.resolutions;
      const r = this.resolutions[phase];
      // (B, H, W, C) -> (B, r, r, C): the full image averaged down to the phase's resolution
      const xr = downsample(x, imageShape[0] / r);
      // (B, r, r, C) -> (B, r, r, C_phase)
      let h = this.#fromRGB(xr, r);
      if (phase > 0) {
        h = this.#block(h, phase);
        if (alpha < 1) {
          // The fade-in: the block below's features of the image averaged down.
          h = lerp(this.#fromRGB(downsample(xr, 2), r / 2), h, alpha) as tf.Tensor4D;
        }
      }
      for (let k = phase - 1; k >= 1; k--) h = this.#block(h, k);
      // (B, r0, r0, C0) -> (B, r0, r0, C0 + 1) -> (B, r0, r0, C0)
      h = this.#conv(minibatchStdDev(h, this.config.groupSize!), r0, 0);
      const b = h.shape[0];
      const c0 = channels[0];
      // (B, r0·r0·C0) -> (B, C0)
      const features = lrelu(
        equalizedDense(
          tf.reshape(h, [b, r0 * r0 * c0]) as tf.Tensor2D,
          this.p("dense_kernel") as tf.Tensor2D,
          this.p("dense_bias"),
          LRELU_GAIN,
        ),
      ) as tf.Tensor2D;
      // (B, C0) -> (B, 1)
      let logit = equalizedDense(
        features,
        this.p("out_kernel") as tf.Tensor2D,
        this.p("out_bias"),
        1,
      );
      if (label && this.config.classes) {
        // (B, classes) @ (classes, C0) -> (B, C0); ⟨features, embedding⟩ / √C0 -> (B, 1)
        const embedding = tf.matMul(label, this.p("embed") as tf.Tensor2D);
        const projection = tf.sum(tf.mul(features, embedding), 1, true);
        logit = tf.add(logit, tf.mul(projection, 1 / Math.sqrt(c0))) as tf.Tensor2D;
      }
      return logit;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...configDict(this.config),
      classes: this.config.classes ?? 0,
      groupSize: this.config.groupSize ?? 4,
    };
  }
}

tf.serialization.registerClass(ProGANGenerator);
tf.serialization.registerClass(ProGANDiscriminator);
