/**
 * Conv2D layers without wasted gradients.
 *
 * tf.js-layers' Conv2D runs `tf.fused.conv2d` (the bias, and at inference the activation, in
 * the product). Its gradient (a `customGrad`) computes the input's and the filter's gradient
 * together whichever the tape asks for: a discriminator's step pays for the gradient of its
 * input images, a generator's step for the discriminator's filter gradients.
 *
 * While our kernels are active, `tf.fused.conv2d` runs our kernel `GanConv2D` instead for what
 * it covers: the very function registered as `FusedConv2D` on wasm (so the values are the same,
 * bit for bit), recorded with a gradient that computes each input's gradient only if asked for
 * (tf.js's own `Conv2D` gradient for the input and the filter, a sum for the bias). On other
 * backends, and for what `GanConv2D` does not cover, tf.js's own function runs. Transposed
 * convolutions need nothing: `tf.conv2dTranspose` is the kernel `Conv2DBackpropInput`, whose
 * gradients tf.js already computes one by one.
 *
 * @example A user's Conv2D layer, trained on wasm with our kernels
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { selectBackend } from "../select.ts";
 *
 * await selectBackend("wasm"); // registers our kernels, and GanConv2D with them
 * const conv = tfl.layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [8, 8, 1] });
 * const x = tf.randomNormal([2, 8, 8, 1]);
 * const loss = () => tf.sum(conv.apply(x) as tf.Tensor) as tf.Scalar;
 * tf.dispose(loss()); // builds the layer
 * // The weights' gradients only: no Conv2DBackpropInput is computed for x.
 * const { value, grads } = tf.variableGrads(loss);
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/**
 * The kernel's name.
 *
 * @example
 * ```ts
 * import { GAN_CONV2D } from "./conv_layers.ts";
 *
 * GAN_CONV2D; // "GanConv2D"
 * ```
 */
export const GAN_CONV2D = "GanConv2D";

type FusedConv2d = typeof tf.fused.conv2d;
type FusedArgs = Parameters<FusedConv2d>[0];

/** The attributes `GanConv2D` is run with (those of `FusedConv2D`). */
interface GanConv2DAttrs {
  strides: [number, number] | number;
  pad: FusedArgs["pad"];
  dataFormat: "NHWC";
  dilations: [number, number] | number;
  activation: "linear";
}

/**
 * The gradient of `GanConv2D`: tf.js's own `Conv2D` gradient (one closure for the input, one for
 * the filter: the products tf.js's fused gradient computes) and the bias's, each computed only if
 * the tape asks for it.
 */
function ganConv2dGradient(conv2dGradient: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: GAN_CONV2D,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const dz = dy as tf.Tensor4D;
      const grads = conv2dGradient.gradFunc(dz, saved, attrs) as Record<string, () => tf.Tensor>;
      // (B, outH, outW, outC) -> (outC)
      return { x: grads.x, filter: grads.filter, bias: () => tf.sum(dz, [0, 1, 2]) };
    },
  };
}

let original: FusedConv2d | undefined;

const isOne = (v: [number, number] | number | undefined) =>
  v === undefined || (Array.isArray(v) ? v[0] === 1 && v[1] === 1 : v === 1);

/**
 * Our `fused.conv2d`: `GanConv2D` on wasm for rank-4 float32 NHWC convolutions with no dilation,
 * no rounding mode, an outC-vector bias or none and no activation (the only fused form tf.js
 * records gradients for; with an activation it runs `tf.conv2d`, bias and activation apart);
 * tf.js's function otherwise.
 */
function lazyFusedConv2d(args: FusedArgs): tf.Tensor {
  const { x, filter, bias, activation = "linear" } = args;
  const dataFormat = args.dataFormat ?? "NHWC";
  const eligible = tf.getBackend() === "wasm" && x instanceof tf.Tensor &&
    filter instanceof tf.Tensor && x.rank === 4 && filter.rank === 4 &&
    x.dtype === "float32" && filter.dtype === "float32" && x.shape[3] === filter.shape[2] &&
    dataFormat === "NHWC" && isOne(args.dilations) && args.dimRoundingMode == null &&
    activation === "linear" && args.preluActivationWeights == null &&
    (bias == null ||
      (bias instanceof tf.Tensor && bias.dtype === "float32" && bias.rank === 1 &&
        bias.size === filter.shape[3]));
  if (!eligible) return original!(args);
  const attrs: GanConv2DAttrs = {
    strides: args.strides,
    pad: args.pad,
    dataFormat: "NHWC",
    dilations: args.dilations ?? [1, 1],
    activation: "linear",
  };
  // (B, h, w, inC) * (fh, fw, inC, outC) [+ (outC)] -> (B, outH, outW, outC)
  const inputs = bias == null ? { x, filter } : { x, filter, bias };
  return tf.engine().runKernel(
    GAN_CONV2D,
    inputs as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor;
}

/**
 * Registers `GanConv2D` for "wasm" (it runs the kernel registered there as `FusedConv2D`) and
 * routes `tf.fused.conv2d`, and with it tf.js-layers' Conv2D, through it. Idempotent.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { useLazyConv } from "./conv_layers.ts";
 *
 * await tf.setBackend("wasm");
 * useLazyConv();
 * ```
 */
export function useLazyConv(): void {
  if (!tf.getKernel(GAN_CONV2D, "wasm")) {
    tf.registerKernel({
      kernelName: GAN_CONV2D,
      backendName: "wasm",
      // Looked up on every call: whatever FusedConv2D is now (ours, or tf.js's before ours).
      kernelFunc: (args) => tf.getKernel("FusedConv2D", "wasm")!.kernelFunc(args),
    });
  }
  if (!tf.getGradient(GAN_CONV2D)) {
    tf.registerGradient(ganConv2dGradient(tf.getGradient("Conv2D")!));
  }
  if (original === undefined) {
    original = tf.fused.conv2d;
    (tf.fused as { conv2d: FusedConv2d }).conv2d = lazyFusedConv2d as FusedConv2d;
  }
}

/**
 * Restores tf.js's own `tf.fused.conv2d` and unregisters `GanConv2D`.
 *
 * @example
 * ```ts
 * import { useStockConv } from "./conv_layers.ts";
 *
 * useStockConv(); // tf.js-layers' Conv2D runs tf.js's fused op again
 * ```
 */
export function useStockConv(): void {
  if (original !== undefined) {
    (tf.fused as { conv2d: FusedConv2d }).conv2d = original;
    original = undefined;
  }
  if (tf.getKernel(GAN_CONV2D, "wasm")) tf.unregisterKernel(GAN_CONV2D, "wasm");
}
