/**
 * Gradients of activations and BatchNorm in one kernel each, where tf.js composes three to five:
 * LeakyRelu's `where(x > 0, dy, dy·α)`, Relu's `dy·step(x)`, Tanh's `(1 - y²)·dy`; and
 * BatchNorm's gradient without the `Tile` tf.js builds (its slowest kernel on wasm) where plain
 * broadcasting gives the same numbers.
 *
 * The gradient functions replace tf.js's while our kernels are active. On every backend but wasm,
 * and with tf.js's kernels in place, they compute with tf.js's own operations, unchanged.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { heapKernels } from "./module.ts";
import { splitRange } from "./pool.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

/** An elementwise kernel of two float32 inputs of one shape on our WASM module. */
function binaryKernel(
  run: (
    kernels: ReturnType<typeof heapKernels>,
    a: number,
    b: number,
    out: number,
    n: number,
    attrs: tf.NamedAttrMap,
  ) => void,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const [a, b] = Object.values(args.inputs) as tf.TensorInfo[];
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const out = backend.makeOutput(a.shape.slice(), "float32");
    const n = a.shape.reduce((p, q) => p * q, 1);
    run(
      kernels,
      kernels.offset(a.dataId),
      kernels.offset(b.dataId),
      kernels.offset(out.dataId),
      n,
      args.attrs ?? {},
    );
    return out;
  };
}

/** Our gradient kernels for "wasm": inputs in the order (forward value, dy). */
export const GRADIENT_KERNELS: { name: string; kernelFunc: tf.KernelFunc }[] = [
  {
    name: "GanLeakyReluGrad",
    kernelFunc: binaryKernel((k, x, dy, out, n, attrs) =>
      splitRange(k, "leaky_relu_grad", [x, dy, out], n, [attrs.alpha as number])
    ),
  },
  {
    name: "GanReluGrad",
    kernelFunc: binaryKernel((k, x, dy, out, n) => splitRange(k, "relu_grad", [x, dy, out], n)),
  },
  {
    name: "GanTanhGrad",
    kernelFunc: binaryKernel((k, y, dy, out, n) => splitRange(k, "tanh_grad", [y, dy, out], n)),
  },
];

/** Whether a gradient is being computed under an outer tape, which records it to differentiate it. */
const secondOrder = (): boolean =>
  (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;

/** Whether `dy` and `x` can go to one of our kernels now. */
function fused(kernel: string, x: tf.Tensor, dy: tf.Tensor): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel(kernel, "wasm") !== undefined &&
    x.dtype === "float32" && dy.dtype === "float32" && x.size === dy.size;
}

/**
 * Gradients of our gradient kernels, for second derivatives (gradient penalties differentiate a
 * gradient): `leakyReluGrad(x, dy)` and `reluGrad(x, dy)` are linear in `dy` with a slope that is
 * constant in `x` almost everywhere; `tanhGrad(y, dy) = (1 - y²)·dy`.
 */
export const SECOND_ORDER_GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: "GanLeakyReluGrad",
    inputsToSave: ["x"],
    gradFunc: (ddx, saved, attrs) => {
      const [x] = saved;
      const { alpha } = attrs as unknown as { alpha: number };
      const d = ddx as tf.Tensor;
      return {
        x: () => tf.zerosLike(x),
        dy: () => tf.engine().runKernel("GanLeakyReluGrad", { x, dy: d }, { alpha }) as tf.Tensor,
      };
    },
  },
  {
    kernelName: "GanReluGrad",
    inputsToSave: ["x"],
    gradFunc: (ddx, saved) => {
      const [x] = saved;
      const d = ddx as tf.Tensor;
      return {
        x: () => tf.zerosLike(x),
        dy: () => tf.engine().runKernel("GanReluGrad", { x, dy: d }, {}) as tf.Tensor,
      };
    },
  },
  {
    kernelName: "GanTanhGrad",
    inputsToSave: ["y", "dy"],
    gradFunc: (ddx, saved) => {
      const [y, dy] = saved;
      const d = ddx as tf.Tensor;
      return {
        // d/dy (1 - y²)·dy = -2y·dy
        y: () => tf.mul(tf.mul(tf.mul(y, -2), dy), d),
        dy: () => tf.engine().runKernel("GanTanhGrad", { y, dy: d }, {}) as tf.Tensor,
      };
    },
  },
];

/**
 * Tanh's gradient: ours on wasm, tf.js's arithmetic elsewhere; under an outer tape it computes
 * `tanh(x)` again rather than use the saved output (see inside), so that it can be differentiated
 * (penalties.ts registers it on every backend).
 */
export const TANH_GRADIENT: tf.GradConfig = {
  kernelName: "Tanh",
  inputsToSave: ["x"],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, savedY] = saved;
    const d = dy as tf.Tensor;
    // tf.js records the copy of a saved output before the op that made it, so a gradient of
    // this gradient (a penalty's) would not reach x through it: there, tanh(x) again.
    const y = secondOrder() ? tf.tanh(x) : savedY;
    return {
      x: () =>
        fused("GanTanhGrad", y, d)
          ? tf.engine().runKernel("GanTanhGrad", { y, dy: d }, {}) as tf.Tensor
          : tf.mul(tf.sub(tf.scalar(1), tf.square(y)), d),
    };
  },
};

/** The replacement gradient configurations. */
export const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: "LeakyRelu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { alpha } = attrs as unknown as { alpha: number };
      const d = dy as tf.Tensor;
      return {
        x: () =>
          fused("GanLeakyReluGrad", x, d)
            ? tf.engine().runKernel("GanLeakyReluGrad", { x, dy: d }, { alpha }) as tf.Tensor
            : tf.where(tf.greater(x, 0), d, tf.mul(d, alpha)),
      };
    },
  },
  {
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      return {
        x: () =>
          fused("GanReluGrad", x, d)
            ? tf.engine().runKernel("GanReluGrad", { x, dy: d }, {}) as tf.Tensor
            : tf.mul(d, tf.cast(tf.step(x), "float32")),
      };
    },
  },
  TANH_GRADIENT,
  {
    // tf.js's FusedBatchNorm gradient, with `tile(reshape(r, [1, 1, 1, C]), …)` replaced by `r`:
    // broadcasting multiplies by the same values.
    kernelName: "FusedBatchNorm",
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: (dy, saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const d = dy as tf.Tensor;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScaleValue = tf.mul(d, scaleValue);
      const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(
        tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance),
        tf.scalar(-0.5),
      );
      const reduce = (t: tf.Tensor) => (mean.rank === 1 ? tf.sum(t, reductionAxes) : t);
      return {
        x: () => tf.reshape(tf.mul(tf.mul(d, oneOverSqrtVariance), scaleValue), x.shape),
        mean: () =>
          tf.reshape(
            reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScaleValue)),
            mean.shape,
          ),
        variance: () =>
          tf.reshape(
            reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)),
            mean.shape,
          ),
        scale: () =>
          tf.reshape(reduce(tf.mul(d, tf.mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
        offset: () => tf.reshape(reduce(d), mean.shape),
      };
    },
  },
];
