/**
 * The small kernels that, together, cost a training step as much as a matrix product: tf.js-wasm
 * copies every tensor it saves for the backward pass (`Identity`), adds gradients with a slow
 * general kernel (`Add`), and sums over leading axes (every bias and BatchNorm gradient) by
 * transposing first (`Sum`). Each replacement handles the common float32 case and hands the rest
 * to tf.js's kernel.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import { type HeapKernels, heapKernels } from "./module.ts";
import { splitRange } from "./pool.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  incRef(dataId: object): void;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * `Identity` that shares the input's data, as tf.js's cpu backend and wasm's own `Reshape` do:
 * tensors are immutable, so a copy only costs time. tf.js runs it for every tensor it keeps for
 * the backward pass.
 */
export function identityKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  (args.backend as unknown as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/**
 * `Add` of two float32 tensors of one shape on our kernel; tf.js's otherwise.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function addKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const same = a.dtype === "float32" && b.dtype === "float32" &&
      a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (!same) return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const out = backend.makeOutput(a.shape.slice(), "float32");
    splitRange(kernels, "add", [
      kernels.offset(a.dataId),
      kernels.offset(b.dataId),
      kernels.offset(out.dataId),
    ], size(a.shape));
    return out;
  };
}

/**
 * `Sum` over all axes but the last (bias and BatchNorm gradients) on our kernel; tf.js's
 * otherwise.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function sumKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [
      ...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a))),
    ]
      .sort((p, q) => p - q);
    const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading) return original(args);
    const cols = x.shape[rank - 1];
    const rows = size(x.shape) / Math.max(cols, 1);
    const shape = keepDims ? [...new Array(rank - 1).fill(1), cols] : [cols];
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const out = backend.makeOutput(shape, "float32");
    kernels.exports.sum_rows(kernels.offset(x.dataId), kernels.offset(out.dataId), rows, cols);
    return out;
  };
}

/** An elementwise kernel of one float32 input on our module; tf.js's for other types. */
function unaryKernel(
  original: tf.KernelFunc,
  run: (kernels: HeapKernels, x: number, out: number, n: number, attrs: tf.NamedAttrMap) => void,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype !== "float32") return original(args);
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const out = backend.makeOutput(x.shape.slice(), "float32");
    run(
      kernels,
      kernels.offset(x.dataId),
      kernels.offset(out.dataId),
      size(x.shape),
      args.attrs ?? {},
    );
    return out;
  };
}

/**
 * `Tanh` on our SIMD kernel (within 2 ulp of the exact value, where tf.js-wasm calls the scalar
 * `tanhf` per element).
 *
 * @param original tf.js's kernel, for non-float32 data.
 * @returns The kernel function.
 */
export function tanhKernel(original: tf.KernelFunc): tf.KernelFunc {
  return unaryKernel(original, (k, x, out, n) => splitRange(k, "tanh_f32", [x, out], n));
}

/**
 * `LeakyRelu` on our SIMD kernel.
 *
 * @param original tf.js's kernel, for non-float32 data.
 * @returns The kernel function.
 */
export function leakyReluKernel(original: tf.KernelFunc): tf.KernelFunc {
  return unaryKernel(
    original,
    (k, x, out, n, attrs) => splitRange(k, "leaky_relu", [x, out], n, [attrs.alpha as number]),
  );
}
