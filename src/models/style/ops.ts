/**
 * The operations that ProGAN (Karras et al. 2018) and StyleGAN (Karras et al. 2019, 2020) build
 * their networks from, as plain tf.js operations: equalised learning rate, pixel-wise feature
 * normalisation, the minibatch standard deviation, nearest-neighbour up- and average
 * down-sampling, modulated/demodulated convolution and noise inputs. Every one is differentiable
 * by tf.js's autograd, twice where a gradient penalty needs it; none needs a kernel that tf.js's
 * WASM backend or ours lacks (`Conv2D` and its gradients are ours, src/backend/kernels/).
 *
 * The layers that use them are in progan.ts and stylegan.ts; docs/style-gans.md explains each
 * next to its code.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/** LeakyReLU's slope below 0 in both papers' networks. */
export const LRELU_ALPHA = 0.2;

/** He's gain for layers followed by a LeakyReLU (√2), as both papers use. */
export const LRELU_GAIN = Math.SQRT2;

/**
 * Equalised learning rate (ProGAN §4.1): weights are stored as N(0, 1) and scaled at run time by
 * He's constant `gain / √fanIn` (times `lrMultiplier`, StyleGAN's slower mapping network), so
 * that Adam's step is the same size for every layer whatever its fan-in.
 *
 * @param gain √2 before a LeakyReLU, 1 before none.
 * @param fanIn Inputs of one output unit: `kh·kw·inChannels` for a convolution.
 * @param lrMultiplier The layer's learning-rate multiplier (its weights start N(0, 1/lrMul²)).
 * @returns The run-time scale of the stored weights.
 *
 * @example
 * ```ts
 * import { equalizedScale } from "./ops.ts";
 *
 * console.log(equalizedScale(Math.SQRT2, 9 * 64)); // 0.0589…
 * ```
 */
export function equalizedScale(gain: number, fanIn: number, lrMultiplier = 1): number {
  return (gain / Math.sqrt(fanIn)) * lrMultiplier;
}

/**
 * Pixel-wise feature normalisation (ProGAN §4.2): each pixel's feature vector divided by its root
 * mean square, `x / √(mean_c x² + 1e-8)`. Also StyleGAN's normalisation of z.
 *
 * @param x `(..., C)`.
 * @returns The same shape, each last-axis vector of unit RMS.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { pixelNorm } from "./ops.ts";
 *
 * pixelNorm(tf.tensor2d([[3, 4]])).print(); // [[0.8485, 1.1314]]
 * ```
 */
export function pixelNorm(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-8))));
}

/**
 * The largest group size at most `wanted` that divides `batch`. A real batch and a generated one
 * judged as one batch of 2B never share a group when B is a multiple of it; the training step
 * judges them apart otherwise (src/train/autograd_step.ts).
 *
 * @param batch Images in the batch.
 * @param wanted The preferred group size (4 in StyleGAN2).
 * @returns A divisor of `batch`, 1 at least.
 *
 * @example
 * ```ts
 * import { groupSizeOf } from "./ops.ts";
 *
 * console.log(groupSizeOf(64, 4), groupSizeOf(6, 4), groupSizeOf(7, 4)); // 4 3 1
 * ```
 */
export function groupSizeOf(batch: number, wanted: number): number {
  for (let g = Math.min(wanted, batch); g > 1; g--) if (batch % g === 0) return g;
  return 1;
}

/**
 * Minibatch standard deviation (ProGAN §3): within each group of `groupSize` consecutive images,
 * the standard deviation of every feature over the group, averaged over features and pixels to
 * one number, appended to each image of the group as a constant feature map. It lets D see a
 * batch's lack of variety. A group of 1 appends zeros.
 *
 * @param x `(B, H, W, C)`.
 * @param groupSize The wanted group size; the largest divisor of B up to it is used.
 * @returns `(B, H, W, C + 1)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { minibatchStdDev } from "./ops.ts";
 *
 * console.log(minibatchStdDev(tf.randomNormal([8, 7, 7, 16]), 4).shape); // [8, 7, 7, 17]
 * ```
 */
export function minibatchStdDev(x: tf.Tensor4D, groupSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const g = groupSizeOf(b, groupSize);
    // (B/G, G, H, W, C): group j holds images jG … jG + G − 1, so a batch of reals followed by
    // one of fakes (each a multiple of G) never shares a group
    const grouped = tf.reshape(x, [b / g, g, h, w, c]);
    const centred = tf.sub(grouped, tf.mean(grouped, 1, true));
    // (B/G, H, W, C): the standard deviation over each group; +1e-8 keeps √'s gradient finite
    const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 1), 1e-8));
    // (B/G): one number per group
    const perGroup = tf.mean(std, [1, 2, 3]);
    // (B/G, G, H, W, 1): each image of a group gets its group's number
    // (a broadcast: tf.js has no gradient for a rank-5 Tile)
    const maps = tf.mul(tf.reshape(perGroup, [b / g, 1, 1, 1, 1]), tf.ones([1, g, h, w, 1]));
    return tf.concat([x, tf.reshape(maps, [b, h, w, 1])], 3) as tf.Tensor4D;
  });
}

/**
 * Nearest-neighbour up-sampling by an integer factor, as a broadcast (its gradient is a sum,
 * which every backend has; tf.js's `ResizeNearestNeighborGrad` is missing on WASM).
 *
 * @param x `(B, H, W, C)`.
 * @param factor How many times larger each side gets.
 * @returns `(B, H·factor, W·factor, C)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { upsample } from "./ops.ts";
 *
 * console.log(upsample(tf.zeros([1, 7, 7, 3]) as tf.Tensor4D, 2).shape); // [1, 14, 14, 3]
 * ```
 */
export function upsample(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (factor === 1) return x;
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    // (B, H, 1, W, 1, C) · (1, 1, f, 1, f, 1) -> (B, H, f, W, f, C)
    const spread = tf.mul(
      tf.reshape(x, [b, h, 1, w, 1, c]),
      tf.ones([1, 1, factor, 1, factor, 1]),
    );
    return tf.reshape(spread, [b, h * factor, w * factor, c]) as tf.Tensor4D;
  });
}

/**
 * Bilinear ×2 up-sampling (the pixel grid of `tf.image.resizeBilinear` with half-pixel centres:
 * each new pixel is ¾ of its nearest old one and ¼ of the next one towards it, the edges
 * repeated), as slices, sums and an interleave, so its gradient needs no `ResizeBilinearGrad`
 * (which tf.js's WASM backend lacks). StyleGAN2's skip generator up-samples each resolution's
 * image with such a smooth filter, where nearest neighbours would leave 2×2 blocks.
 *
 * @param x `(B, H, W, C)`.
 * @returns `(B, 2H, 2W, C)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { upsampleBilinear } from "./ops.ts";
 *
 * const x = tf.tensor4d([0, 4], [1, 1, 2, 1]);
 * console.log(upsampleBilinear(x).shape); // [1, 2, 4, 1]; each row 0, 1, 3, 4
 * ```
 */
export function upsampleBilinear(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => doubleAxis(doubleAxis(x, 1), 2));
}

/** One side of {@linkcode upsampleBilinear}: `(…, n, …)` -> `(…, 2n, …)` along `axis` (1 or 2). */
function doubleAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const n = x.shape[axis];
  const shape = x.shape;
  const take = (from: number, size: number) => {
    const begin = [0, 0, 0, 0], sizes = [...shape];
    begin[axis] = from;
    sizes[axis] = size;
    return tf.slice(x, begin, sizes);
  };
  // the neighbours before and after each entry along the axis, the edges repeated
  const before = n > 1 ? tf.concat([take(0, 1), take(0, n - 1)], axis) : x;
  const after = n > 1 ? tf.concat([take(1, n - 1), take(n - 1, 1)], axis) : x;
  const near = tf.mul(x, 0.75);
  const even = tf.add(near, tf.mul(before, 0.25));
  const odd = tf.add(near, tf.mul(after, 0.25));
  // (…, n, 2, …) -> (…, 2n, …): entry 2i is even[i], 2i + 1 is odd[i]
  // (a Concat of two reshapes rather than a Stack, whose Pack kernel is not everywhere)
  const both = tf.concat([tf.expandDims(even, axis + 1), tf.expandDims(odd, axis + 1)], axis + 1);
  const out: [number, number, number, number] = [...shape];
  out[axis] = 2 * n;
  return tf.reshape(both, out);
}

/**
 * Average down-sampling by an integer factor (2×2 average pooling for 2), as a reshape and a
 * mean: the exact inverse of {@linkcode upsample} on its output.
 *
 * @param x `(B, H, W, C)` with H and W multiples of `factor`.
 * @param factor How many times smaller each side gets.
 * @returns `(B, H/factor, W/factor, C)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { downsample } from "./ops.ts";
 *
 * console.log(downsample(tf.zeros([1, 28, 28, 1]) as tf.Tensor4D, 4).shape); // [1, 7, 7, 1]
 * ```
 */
export function downsample(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (factor === 1) return x;
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    // (B, H/f, f, W/f, f, C) -> (B, H/f, W/f, C)
    const blocks = tf.reshape(x, [b, h / factor, factor, w / factor, factor, c]);
    return tf.mean(blocks, [2, 4]) as tf.Tensor4D;
  });
}

/**
 * A "same"-padded, stride-1 convolution with equalised weights and a bias.
 *
 * @param x `(B, H, W, inC)`.
 * @param filter Stored weights `(k, k, inC, outC)`, N(0, 1).
 * @param bias `(outC)`, or undefined for none.
 * @param gain √2 before a LeakyReLU, 1 otherwise.
 * @returns `(B, H, W, outC)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { equalizedConv } from "./ops.ts";
 *
 * const y = equalizedConv(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 5]) as tf.Tensor4D, undefined, 1);
 * console.log(y.shape); // [1, 4, 4, 5]
 * ```
 */
export function equalizedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor | undefined,
  gain: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, , inC] = filter.shape;
    const scaled = tf.mul(filter, equalizedScale(gain, k * k * inC)) as tf.Tensor4D;
    const y = tf.conv2d(x, scaled, 1, "same");
    return (bias ? tf.add(y, bias) : y) as tf.Tensor4D;
  });
}

/**
 * A Dense layer with equalised weights: `x·(W·c) + b·lrMul`.
 *
 * @param x `(B, in)`.
 * @param kernel Stored weights `(in, out)`.
 * @param bias `(out)`, or undefined.
 * @param gain √2 before a LeakyReLU, 1 otherwise.
 * @param lrMultiplier StyleGAN's mapping network trains at 0.01 of the rate.
 * @returns `(B, out)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { equalizedDense } from "./ops.ts";
 *
 * console.log(equalizedDense(tf.ones([2, 4]) as tf.Tensor2D, tf.ones([4, 3]) as tf.Tensor2D, undefined, 1).shape); // [2, 3]
 * ```
 */
export function equalizedDense(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor | undefined,
  gain: number,
  lrMultiplier = 1,
): tf.Tensor2D {
  return tf.tidy(() => {
    const scale = equalizedScale(gain, kernel.shape[0], lrMultiplier);
    const y = tf.mul(tf.matMul(x, kernel), scale);
    return (bias
      ? tf.add(y, lrMultiplier === 1 ? bias : tf.mul(bias, lrMultiplier))
      : y) as tf.Tensor2D;
  });
}

/**
 * A LeakyReLU with the papers' slope 0.2.
 *
 * @param x Any tensor.
 * @returns `max(x, 0.2·x)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { lrelu } from "./ops.ts";
 *
 * lrelu(tf.tensor1d([-1, 2])).print(); // [-0.2, 2]
 * ```
 */
export function lrelu(x: tf.Tensor): tf.Tensor {
  return tf.leakyRelu(x, LRELU_ALPHA);
}

/**
 * StyleGAN2's modulated convolution (Karras et al. 2020, §2.2), computed as its "non-fused"
 * form: scale the input's channels by the style, convolve with the shared weights, then divide
 * each output channel by the norm the modulated weights would have (demodulation). The same
 * numbers as a per-sample convolution with `w'ᵢⱼₖ = sᵢ·wᵢⱼₖ / √(Σᵢₖ (sᵢ·wᵢⱼₖ)² + ε)`, without
 * per-sample weights.
 *
 * @param x `(B, H, W, inC)`.
 * @param filter Stored weights `(k, k, inC, outC)`, N(0, 1).
 * @param style `(B, inC)`: the layer's style, an affine map of w.
 * @param demodulate Divide by the weights' norm (off for toRGB).
 * @returns `(B, H, W, outC)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { modulatedConv } from "./ops.ts";
 *
 * const y = modulatedConv(tf.randomNormal([2, 7, 7, 4]) as tf.Tensor4D, tf.randomNormal([3, 3, 4, 8]) as tf.Tensor4D, tf.ones([2, 4]) as tf.Tensor2D, true);
 * console.log(y.shape); // [2, 7, 7, 8]
 * ```
 */
export function modulatedConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  style: tf.Tensor2D,
  demodulate: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [k, , inC, outC] = filter.shape;
    const [b] = x.shape;
    const scale = equalizedScale(1, k * k * inC);
    const w = tf.mul(filter, scale) as tf.Tensor4D;
    // (B, H, W, inC) · (B, 1, 1, inC): modulation
    const modulated = tf.mul(x, tf.reshape(style, [b, 1, 1, inC])) as tf.Tensor4D;
    const y = tf.conv2d(modulated, w, 1, "same");
    if (!demodulate) return y;
    // (B, inC) @ (inC, outC): Σᵢₖ sᵢ² wᵢⱼₖ² for each sample and output channel
    const wSquared = tf.reshape(tf.sum(tf.square(w), [0, 1]), [inC, outC]) as tf.Tensor2D;
    const norms = tf.matMul(tf.square(style), wSquared);
    // (B, outC) -> (B, 1, 1, outC)
    const demod = tf.reshape(tf.rsqrt(tf.add(norms, 1e-8)), [b, 1, 1, outC]);
    return tf.mul(y, demod) as tf.Tensor4D;
  });
}

/**
 * `a + (b − a)·t`: ProGAN's fade-in of a new block, StyleGAN's truncation.
 *
 * @param a The value at t = 0.
 * @param b The value at t = 1.
 * @param t The blend.
 * @returns The blend of a and b.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { lerp } from "./ops.ts";
 *
 * lerp(tf.scalar(1), tf.scalar(3), 0.25).print(); // 1.5
 * ```
 */
export function lerp(a: tf.Tensor, b: tf.Tensor, t: number): tf.Tensor {
  if (t === 0) return a;
  if (t === 1) return b;
  return tf.tidy(() => tf.add(a, tf.mul(tf.sub(b, a), t)));
}
