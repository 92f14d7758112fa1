/**
 * A style-based generator (Karras et al. 2019, "A Style-Based Generator Architecture for GANs",
 * with StyleGAN2's modulated/demodulated convolutions and skip connections, Karras et al. 2020),
 * scaled down for 28×28 digits, as one tf.js layer that the library registers:
 *
 * - the **mapping network**: z → pixel norm → (with classes, joined to a normalised class
 *   embedding) → `mappingLayers` equalised Dense layers at 1/100 of the learning rate → w;
 * - the **synthesis network**: a learned constant r₀×r₀×C₀, then per resolution (×2 nearest
 *   up-sampling first, above r₀) modulated 3×3 convolutions, each followed by per-pixel noise
 *   times a learned strength, a bias and LeakyReLU(0.2); each resolution's modulated 1×1 toRGB
 *   added to the image bilinearly up-sampled from the one below (StyleGAN2's skip generator);
 * - **styles per layer**: every convolution (and toRGB) has its own affine map of its own w, so
 *   `synthesis` takes one w per layer (`numWs` of them): the same w in each for an ordinary
 *   sample, different ones for style mixing;
 * - **style mixing regularisation** while training: with probability `mixing`, an image's ws
 *   switch from one z's w to a second z's at a random layer;
 * - the **truncation trick** (`truncate`): w pulled towards the average w.
 *
 * Random numbers inside (the noise maps, the mixing) come from the run's step while training, so
 * a resumed run draws what the uninterrupted one drew, and from {@linkcode StyleGANGenerator.noiseSeed}
 * otherwise, so that a sample is the same every time it is drawn.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../random.ts";
import { batchOf, type Kwargs, type LayerArgs, ProgressLayer, type Shapes } from "./layer_base.ts";
import {
  equalizedDense,
  lrelu,
  LRELU_GAIN,
  modulatedConv,
  pixelNorm,
  upsample,
  upsampleBilinear,
} from "./ops.ts";
import { resolutionsOf } from "./progan.ts";

/** The sizes of a style-based generator. */
export interface StyleGANConfig {
  /** Length of z. */
  latentDim: number;
  /** Length of w. */
  styleDim: number;
  /** Dense layers of the mapping network (8 in the papers). */
  mappingLayers: number;
  /** Channels per resolution, lowest first (each doubles the side). */
  channels: number[];
  /** The image, `[height, width, channels]`. */
  imageShape: [number, number, number];
  /** Classes of a conditional generator (input `[z, oneHot]`), 0 for none. */
  classes?: number;
  /** Probability that a training image mixes two ws (0.9 in the papers). */
  mixing?: number;
  /**
   * How the skip generator up-samples each resolution's image before adding the next one's:
   * `bilinear` (StyleGAN2's smooth filter, the default) or `nearest` (what model files written
   * before this option used, and get when they are read).
   */
  skipUpsample?: "bilinear" | "nearest";
  /** Seed of the initial weights. */
  seed?: number;
}

/** The mapping network's learning-rate multiplier (StyleGAN §C). */
const MAPPING_LR = 0.01;

/** A 32-bit mix of a few integers: the seed of one noise map or one mixing draw. */
function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

/** What one synthesis layer is: a modulated 3×3 convolution at a resolution. */
interface SynthesisConv {
  /** Index of the layer, and of its w. */
  index: number;
  resolution: number;
  inChannels: number;
  outChannels: number;
  /** Up-sample its input first (the first convolution of each resolution above r₀). */
  up: boolean;
}

/**
 * StyleGAN's generator as one layer: `(B, latentDim)` noise (and with `classes`, `(B, classes)`
 * one-hot labels) → `(B, H, W, C)` images; {@linkcode StyleGANGenerator.mapping},
 * {@linkcode StyleGANGenerator.synthesis} and {@linkcode StyleGANGenerator.truncate} take it apart.
 *
 * @example Map, truncate and draw
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { StyleGANGenerator } from "./stylegan.ts";
 *
 * const layer = new StyleGANGenerator({
 *   latentDim: 16, styleDim: 16, mappingLayers: 2, channels: [16, 8, 4], imageShape: [28, 28, 1], seed: 1,
 * });
 * tfl.sequential({ layers: [layer] });
 * const w = layer.mapping(tf.randomNormal([2, 16]) as tf.Tensor2D);
 * const ws = layer.broadcast(layer.truncate(w, layer.averageW(), 0.7));
 * console.log(layer.synthesis(ws).shape); // [2, 28, 28, 1]
 * ```
 */
export class StyleGANGenerator extends ProgressLayer {
  /** The class name in model.json. */
  static className = "StyleGANGenerator";
  readonly config: StyleGANConfig;
  readonly resolutions: number[];
  readonly convs: SynthesisConv[];
  /** ws the synthesis takes: one per convolution and one for the last toRGB. */
  readonly numWs: number;
  /** Seed of the noise maps outside training; change it to redraw the noise on fixed ws. */
  noiseSeed = 0;
  #calls = 0;

  constructor(args: StyleGANConfig & LayerArgs) {
    super({
      ...args,
      ...(args.classes ? {} : { inputShape: args.inputShape ?? [args.latentDim] }),
    });
    this.config = {
      latentDim: args.latentDim,
      styleDim: args.styleDim,
      mappingLayers: args.mappingLayers,
      channels: [...args.channels],
      imageShape: [...args.imageShape],
      classes: args.classes ?? 0,
      mixing: args.mixing ?? 0.9,
      skipUpsample: args.skipUpsample ?? "bilinear",
    };
    this.resolutions = resolutionsOf(this.config);
    const convs: SynthesisConv[] = [];
    this.config.channels.forEach((c, k) => {
      const resolution = this.resolutions[k];
      if (k === 0) convs.push({ index: 0, resolution, inChannels: c, outChannels: c, up: false });
      else {
        const cin = this.config.channels[k - 1];
        convs.push({ index: convs.length, resolution, inChannels: cin, outChannels: c, up: true });
        convs.push({ index: convs.length, resolution, inChannels: c, outChannels: c, up: false });
      }
    });
    this.convs = convs;
    this.numWs = convs.length + 1;
  }

  /**
   * The ws of each resolution, lowest first: coarse, middle, fine. Each resolution's
   * convolutions' ws (a toRGB takes the w of the next resolution's first convolution); the last
   * one also holds the last toRGB's. For 7 → 14 → 28: `[[0], [1, 2], [3, 4, 5]]`.
   */
  get wsByResolution(): number[][] {
    return this.resolutions.map((r, k) => {
      const mine = this.convs.filter((c) => c.resolution === r).map((c) => c.index);
      return k === this.resolutions.length - 1 ? [...mine, this.numWs - 1] : mine;
    });
  }

  /** The w index of each resolution's toRGB: the one after its last convolution's. */
  #toRGBw(k: number): number {
    const r = this.resolutions[k];
    return Math.max(...this.convs.filter((c) => c.resolution === r).map((c) => c.index)) + 1;
  }

  override build(): void {
    const { latentDim, styleDim, mappingLayers, channels, imageShape, classes } = this.config;
    if (classes) this.weight("embed", [classes, styleDim], { stddev: 1 });
    for (let i = 0; i < mappingLayers; i++) {
      const fanIn = i === 0 ? latentDim + (classes ? styleDim : 0) : styleDim;
      this.weight(`map${i}_kernel`, [fanIn, styleDim], { stddev: 1 / MAPPING_LR });
      this.weight(`map${i}_bias`, [styleDim], { fill: 0 });
    }
    const [r0] = this.resolutions;
    this.weight("const", [1, r0, r0, channels[0]], { stddev: 1 });
    for (const conv of this.convs) {
      const i = conv.index;
      this.weight(`affine${i}_kernel`, [styleDim, conv.inChannels], { stddev: 1 });
      this.weight(`affine${i}_bias`, [conv.inChannels], { fill: 1 });
      this.weight(`conv${i}_kernel`, [3, 3, conv.inChannels, conv.outChannels], { stddev: 1 });
      this.weight(`conv${i}_bias`, [conv.outChannels], { fill: 0 });
      this.weight(`noise${i}_strength`, [1], { fill: 0 });
    }
    channels.forEach((c, k) => {
      const r = this.resolutions[k];
      this.weight(`torgb${r}_affine_kernel`, [styleDim, c], { stddev: 1 });
      this.weight(`torgb${r}_affine_bias`, [c], { fill: 1 });
      this.weight(`torgb${r}_kernel`, [1, 1, c, imageShape[2]], { stddev: 1 });
      this.weight(`torgb${r}_bias`, [imageShape[2]], { fill: 0 });
    });
    this.addProgress();
    this.built = true;
  }

  override computeOutputShape(inputShape: Shapes): Shapes {
    return [batchOf(inputShape), ...this.config.imageShape];
  }

  override prepareStep(progress: { globalStep: number; imagesSeen: number }): void {
    super.prepareStep(progress);
    this.#calls = 0;
  }

  /**
   * The mapping network: z (and the class) → w.
   *
   * @param z `(B, latentDim)`.
   * @param label `(B, classes)` one-hot, for a conditional generator.
   * @returns `(B, styleDim)`.
   */
  mapping(z: tf.Tensor2D, label?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      // (B, latentDim), unit RMS
      let x = pixelNorm(z) as tf.Tensor2D;
      if (this.config.classes) {
        if (!label) throw new RangeError("StyleGANGenerator: a conditional generator needs labels");
        // (B, classes) @ (classes, styleDim), unit RMS; joined: (B, latentDim + styleDim)
        const embedded = pixelNorm(tf.matMul(label, this.p("embed") as tf.Tensor2D));
        x = tf.concat([x, embedded], 1) as tf.Tensor2D;
      }
      for (let i = 0; i < this.config.mappingLayers; i++) {
        // (B, in) -> (B, styleDim)
        const y = equalizedDense(
          x,
          this.p(`map${i}_kernel`) as tf.Tensor2D,
          this.p(`map${i}_bias`),
          LRELU_GAIN,
          MAPPING_LR,
        );
        x = lrelu(y) as tf.Tensor2D;
      }
      return x;
    });
  }

  /**
   * One w for every synthesis layer.
   *
   * @param w `(B, styleDim)`.
   * @returns `(B, numWs, styleDim)`.
   */
  broadcast(w: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => tf.tile(tf.expandDims(w, 1), [1, this.numWs, 1]) as tf.Tensor3D);
  }

  /**
   * The truncation trick: `w̄ + ψ·(w − w̄)`.
   *
   * @param w `(B, styleDim)` or `(B, numWs, styleDim)`.
   * @param average `(styleDim)` or `(B, styleDim)` (one per class), from {@linkcode StyleGANGenerator.averageW}.
   * @param psi 1 leaves w as it is, 0 gives the average.
   * @returns The same shape as w.
   */
  truncate<T extends tf.Tensor>(w: T, average: tf.Tensor, psi: number): T {
    return tf.tidy(() => {
      const avg = w.rank === 3 && average.rank === 2 ? tf.expandDims(average, 1) : average;
      return tf.add(avg, tf.mul(tf.sub(w, avg), psi)) as T;
    });
  }

  /**
   * The average w over `n` mapped z (the truncation trick's centre), in batches of 1,000.
   *
   * @param n How many z (10,000 in the papers).
   * @param seed Seed of the z.
   * @param label A one-hot `(1, classes)` label: the average of that class's ws.
   * @returns `(styleDim)`.
   */
  averageW(n = 10_000, seed = 0, label?: tf.Tensor2D): tf.Tensor1D {
    const random = new Random(seed);
    let sum = tf.zeros([this.config.styleDim]);
    for (let done = 0; done < n; done += 1000) {
      const b = Math.min(1000, n - done);
      const next = tf.tidy(() => {
        const z = tf.tensor2d(random.fillNormal(new Float32Array(b * this.config.latentDim)), [
          b,
          this.config.latentDim,
        ]);
        const labels = label ? tf.tile(label, [b, 1]) as tf.Tensor2D : undefined;
        return tf.add(sum, tf.sum(this.mapping(z, labels), 0));
      });
      sum.dispose();
      sum = next;
    }
    const mean = tf.div(sum, n) as tf.Tensor1D;
    sum.dispose();
    return mean;
  }

  /**
   * Layer `index`'s noise: while training a fresh `(B, H, W, 1)` map per image from the step;
   * otherwise one `(1, H, W, 1)` map from {@linkcode StyleGANGenerator.noiseSeed}, shared by every
   * image (StyleGAN's constant noise), so an image does not depend on its place in the batch.
   */
  #noise(shape: [number, number, number], index: number, training: boolean): tf.Tensor4D {
    const [b, h, w] = shape;
    const images = training ? b : 1;
    const seed = training
      ? mixSeed(this.seed, this.globalStep, this.#calls, index)
      : mixSeed(this.noiseSeed, 0x6e6f6973, index);
    const values = new Random(seed).fillNormal(new Float32Array(images * h * w));
    return tf.tensor4d(values, [images, h, w, 1]);
  }

  /**
   * The synthesis network: a w per layer → an image.
   *
   * @param ws `(B, numWs, styleDim)`.
   * @param training Training noise (from the step) rather than {@linkcode StyleGANGenerator.noiseSeed}'s.
   * @returns `(B, H, W, C)`, linear (the layer's call clips it outside training).
   */
  synthesis(ws: tf.Tensor3D, training = false): tf.Tensor4D {
    return tf.tidy(() => {
      const [b] = ws.shape;
      // (B, numWs, styleDim) -> numWs × (B, styleDim)
      const w = tf.unstack(ws, 1) as tf.Tensor2D[];
      const style = (name: string, i: number) =>
        equalizedDense(w[i], this.p(`${name}_kernel`) as tf.Tensor2D, this.p(`${name}_bias`), 1);
      // (1, r0, r0, C0) -> (B, r0, r0, C0): the learned constant
      let h = tf.tile(this.p("const"), [b, 1, 1, 1]) as tf.Tensor4D;
      let image: tf.Tensor4D | undefined;
      for (const [k, r] of this.resolutions.entries()) {
        for (const conv of this.convs.filter((c) => c.resolution === r)) {
          const i = conv.index;
          // (B, r/2, r/2, Cin) -> (B, r, r, Cin) for the first conv above r0
          if (conv.up) h = upsample(h, 2);
          // (B, r, r, Cin) -> (B, r, r, Cout): modulated by w_i's style, demodulated
          let y = modulatedConv(
            h,
            this.p(`conv${i}_kernel`) as tf.Tensor4D,
            style(`affine${i}`, i),
            true,
          );
          // + per-pixel noise (B, r, r, 1) · strength + bias
          const noise = this.#noise([b, r, r], i, training);
          y = tf.add(
            tf.add(y, tf.mul(noise, this.p(`noise${i}_strength`))),
            this.p(`conv${i}_bias`),
          );
          // LeakyReLU times √2 (StyleGAN2's activation gain): demodulation keeps a convolution's
          // output at its input's scale, and without the gain every layer would shrink it.
          h = tf.mul(lrelu(y), LRELU_GAIN) as tf.Tensor4D;
        }
        // toRGB with the next layer's w: (B, r, r, Ck) -> (B, r, r, C), added to the image below
        const last = this.#toRGBw(k);
        const rgb = tf.add(
          modulatedConv(
            h,
            this.p(`torgb${r}_kernel`) as tf.Tensor4D,
            style(`torgb${r}_affine`, last),
            false,
          ),
          this.p(`torgb${r}_bias`),
        ) as tf.Tensor4D;
        // (B, r/2, r/2, C) -> (B, r, r, C): the image so far, smoothly up-sampled
        const below = image &&
          (this.config.skipUpsample === "nearest" ? upsample(image, 2) : upsampleBilinear(image));
        image = below ? tf.add(below, rgb) as tf.Tensor4D : rgb;
      }
      return image!;
    });
  }

  /**
   * Training's style mixing: each image's ws switch, with probability `mixing`, from w to a
   * second z's w at a layer drawn uniformly from 1 … numWs − 1.
   */
  #mixed(w: tf.Tensor2D, label: tf.Tensor2D | undefined): tf.Tensor3D {
    const b = w.shape[0];
    const random = new Random(mixSeed(this.seed, this.globalStep, this.#calls, 0x6d6978));
    const mixing = this.config.mixing ?? 0;
    // (B, numWs, 1): 1 where the second w takes over
    const mask = new Float32Array(b * this.numWs);
    let any = false;
    for (let i = 0; i < b; i++) {
      if (random.uniform() >= mixing) continue;
      const cut = 1 + random.int(this.numWs - 1);
      for (let j = cut; j < this.numWs; j++) mask[i * this.numWs + j] = 1;
      any = true;
    }
    const ws = this.broadcast(w);
    if (!any) return ws;
    const z2 = tf.tensor2d(random.fillNormal(new Float32Array(b * this.config.latentDim)), [
      b,
      this.config.latentDim,
    ]);
    // Gradients flow through both ws: both z's mappings learn.
    const ws2 = this.broadcast(this.mapping(z2, label));
    return lerp3(ws, ws2, tf.tensor3d(mask, [b, this.numWs, 1]));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs = {}): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const z = list[0] as tf.Tensor2D;
      const label = list[1] as tf.Tensor2D | undefined;
      const training = kwargs.training === true;
      // (B, latentDim) -> (B, styleDim)
      const w = this.mapping(z, label);
      // (B, numWs, styleDim)
      const ws = training && (this.config.mixing ?? 0) > 0
        ? this.#mixed(w, label)
        : this.broadcast(w);
      const image = this.synthesis(ws, training);
      if (training) this.#calls++;
      return training ? image : tf.clipByValue(image, -1, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      latentDim: this.config.latentDim,
      styleDim: this.config.styleDim,
      mappingLayers: this.config.mappingLayers,
      channels: [...this.config.channels],
      imageShape: [...this.config.imageShape],
      classes: this.config.classes ?? 0,
      mixing: this.config.mixing ?? 0.9,
      skipUpsample: this.config.skipUpsample ?? "bilinear",
    } as unknown as tf.serialization.ConfigDict;
  }

  /** Reads a layer from model.json; files without `skipUpsample` were written with `nearest`. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({ skipUpsample: "nearest", ...config });
  }
}

/** `a·(1 − m) + b·m`. */
function lerp3(a: tf.Tensor3D, b: tf.Tensor3D, mask: tf.Tensor3D): tf.Tensor3D {
  return tf.add(tf.mul(a, tf.sub(1, mask)), tf.mul(b, mask)) as tf.Tensor3D;
}

tf.serialization.registerClass(StyleGANGenerator);
