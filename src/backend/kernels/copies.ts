/**
 * Kernels that only move data: `Concat`, `SplitV`, `Slice`, and `ResizeNearestNeighbor` from a
 * 1×1 map (a broadcast). tf.js-wasm writes them in JavaScript with one `subarray` and one `set`
 * per run of contiguous values, which is fast for long runs and slow for short ones: joining a
 * conditional DCGAN's 1-channel image to its 10 label maps along the channels makes 50,000 runs of
 * 1 and 10 values each (about 5 ms a call). These copy blocks of rows on tf.js's heap directly,
 * element by element for short rows and with `copyWithin` for long ones. They copy bits (through
 * integer views), so their results are tf.js's exactly.
 *
 * {@linkcode CONCAT_GRADIENT} replaces tf.js's gradient of `Concat`, which splits the gradient
 * into every input's part even where only one is asked for (the image's, never the label maps'):
 * it slices each part only when the tape asks for it.
 *
 * `useOurKernels` (register.ts) puts them in place of tf.js-wasm's, so every op that runs one
 * (`tf.concat`, `tf.split`, `tf.slice`, `tf.image.resizeNearestNeighbor`) uses them.
 *
 * @example A conditional DCGAN's label join, on these kernels
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { selectBackend } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * // (2, 10) one-hot -> (2, 28, 28, 10) constant maps, joined to (2, 28, 28, 1) images
 * const label = tf.reshape(tf.oneHot(tf.tensor1d([3, 7], "int32"), 10), [2, 1, 1, 10]);
 * const maps = tf.image.resizeNearestNeighbor(tf.cast(label, "float32") as tf.Tensor4D, [28, 28]);
 * const joined = tf.concat([tf.zeros([2, 28, 28, 1]), maps], 3);
 * console.log(joined.shape); // [2, 28, 28, 11]
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { heapKernels } from "./module.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

/** Rows shorter than this are copied element by element; longer ones with `copyWithin`. */
const SHORT_ROW = 24;

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The dtypes these kernels copy: 4-byte ones and bool's bytes. */
const copyable = (dtype: string): boolean =>
  dtype === "float32" || dtype === "int32" || dtype === "bool";

/**
 * A view of the heap in which one element of `dtype` is one item. Made after the outputs: making
 * an output can grow the heap, and a view of the memory from before would miss the new part.
 */
function heapView(memory: WebAssembly.Memory, dtype: string): Int32Array | Uint8Array {
  // Integer views copy float32 bits unchanged (a float view could rewrite a NaN's payload).
  return dtype === "bool" ? new Uint8Array(memory.buffer) : new Int32Array(memory.buffer);
}

/** Where a tensor's data starts, in items of a view. */
function at(
  kernels: ReturnType<typeof heapKernels>,
  t: tf.TensorInfo,
  view: Int32Array | Uint8Array,
): number {
  return kernels.offset(t.dataId) / view.BYTES_PER_ELEMENT;
}

/**
 * Copies `rows` rows of `width` items from `src` (rows `srcStride` apart) to `dst` (rows
 * `dstStride` apart), all in items of `heap`.
 */
function copyRows(
  heap: Int32Array | Uint8Array,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  width: number,
): void {
  if (rows === 0 || width === 0) return;
  if (width === srcStride && width === dstStride) {
    heap.copyWithin(dst, src, src + rows * width);
  } else if (width >= SHORT_ROW) {
    for (let r = 0; r < rows; r++, src += srcStride, dst += dstStride) {
      heap.copyWithin(dst, src, src + width);
    }
  } else if (width === 1) {
    for (let r = 0; r < rows; r++, src += srcStride, dst += dstStride) heap[dst] = heap[src];
  } else {
    for (let r = 0; r < rows; r++, src += srcStride, dst += dstStride) {
      for (let j = 0; j < width; j++) heap[dst + j] = heap[src + j];
    }
  }
}

/**
 * `Concat` of float32, int32 or bool tensors as row copies; tf.js's kernel otherwise (and for a
 * single non-empty input, which it passes on without a copy).
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function concatKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const filled = inputs.filter((t) => size(t.shape) > 0);
    if (!copyable(inputs[0].dtype) || filled.length < 2) return original(args);
    const rank = inputs[0].shape.length;
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, inputs[0].shape)[0];
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const out = backend.makeOutput(outShape, inputs[0].dtype);
    const view = heapView(kernels.memory, out.dtype);
    // Each input is `outer` rows of `width` items, side by side in the output's rows.
    const outer = size(outShape.slice(0, axis));
    const rowWidth = size(outShape.slice(axis, rank));
    let column = at(kernels, out, view);
    for (const t of filled) {
      const width = size(t.shape.slice(axis));
      copyRows(view, at(kernels, t, view), width, column, rowWidth, outer, width);
      column += width;
    }
    return out;
  };
}

/**
 * `SplitV` of a float32, int32 or bool tensor as row copies; tf.js's kernel otherwise.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function splitVKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    if (!copyable(x.dtype)) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const outer = size(x.shape.slice(0, $axis));
    const inner = size(x.shape.slice($axis + 1));
    const rowWidth = x.shape[$axis] * inner;
    const outs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[$axis] = s;
      return backend.makeOutput(shape, x.dtype);
    });
    const view = heapView(kernels.memory, x.dtype);
    let column = at(kernels, x, view);
    sizes.forEach((s, i) => {
      copyRows(view, column, rowWidth, at(kernels, outs[i], view), s * inner, outer, s * inner);
      column += s * inner;
    });
    return outs;
  };
}

/**
 * A slice's shape with every axis that it takes whole merged into the one before it: the
 * fewest axes that describe the same copy. Returns the merged shape, begin and size.
 */
function mergeAxes(shape: number[], begin: number[], sizes: number[]): number[][] {
  const s = [shape[0]], b = [begin[0]], n = [sizes[0]];
  for (let i = 1; i < shape.length; i++) {
    const last = s.length - 1;
    if (begin[i] === 0 && sizes[i] === shape[i]) {
      s[last] *= shape[i];
      b[last] *= shape[i];
      n[last] *= shape[i];
    } else {
      s.push(shape[i]);
      b.push(begin[i]);
      n.push(sizes[i]);
    }
  }
  return [s, b, n];
}

/**
 * `Slice` of a float32, int32 or bool tensor as row copies; tf.js's kernel otherwise.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function sliceKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    if (!copyable(x.dtype) || x.shape.length === 0) return original(args);
    const { begin, size: requested } = args.attrs as { begin: number[]; size: number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, requested);
    const out = backend.makeOutput(size_, x.dtype);
    if (size(size_) === 0) return out;
    const view = heapView(kernels.memory, x.dtype);
    // The last merged axis is a row's width, the one before it the rows; any further axes
    // before them are counted through like an odometer.
    const [shape, start, sizes] = mergeAxes(x.shape, begin_, size_);
    const rank = shape.length;
    const strides = shape.map((_, i) => size(shape.slice(i + 1)));
    const width = sizes[rank - 1];
    const rows = rank > 1 ? sizes[rank - 2] : 1;
    const rowStride = rank > 1 ? strides[rank - 2] : 0;
    const outer = sizes.slice(0, Math.max(rank - 2, 0));
    const index = outer.map(() => 0);
    const src = at(kernels, x, view) + start.reduce((o, b, i) => o + b * strides[i], 0);
    let dst = at(kernels, out, view);
    for (let block = size(outer); block > 0; block--) {
      let from = src;
      for (let i = 0; i < outer.length; i++) from += index[i] * strides[i];
      copyRows(view, from, rowStride, dst, width, rows, width);
      dst += rows * width;
      for (let i = outer.length - 1; i >= 0 && ++index[i] === outer[i]; i--) index[i] = 0;
    }
    return out;
  };
}

/**
 * `ResizeNearestNeighbor` from 1×1 maps (every output pixel is the input's one pixel, whatever
 * the corner and centre conventions) as doubling copies; tf.js's kernel for any other size.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function resizeNearestNeighborKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const images = args.inputs.images as tf.TensorInfo;
    const [batch, height, width, channels] = images.shape;
    if (images.dtype !== "float32" || height !== 1 || width !== 1) return original(args);
    const [newHeight, newWidth] = args.attrs!.size as [number, number];
    const backend = args.backend as unknown as WasmBackend;
    const kernels = heapKernels(backend);
    const out = backend.makeOutput([batch, newHeight, newWidth, channels], "float32");
    const pixels = newHeight * newWidth;
    if (batch * pixels * channels === 0) return out;
    const view = heapView(kernels.memory, "float32");
    const src = at(kernels, images, view), dst = at(kernels, out, view);
    const map = pixels * channels;
    for (let b = 0; b < batch; b++) {
      const start = dst + b * map;
      copyRows(view, src + b * channels, channels, start, channels, 1, channels);
      // Each copy doubles what is filled.
      for (let filled = channels; filled < map; filled *= 2) {
        view.copyWithin(start + filled, start, start + Math.min(filled, map - filled));
      }
    }
    return out;
  };
}

/** tf.js's kernels these replace on "wasm", each with its replacement's maker. */
export const COPY_KERNELS: { name: string; make: (original: tf.KernelFunc) => tf.KernelFunc }[] = [
  { name: "Concat", make: concatKernel },
  { name: "SplitV", make: splitVKernel },
  { name: "Slice", make: sliceKernel },
  { name: "ResizeNearestNeighbor", make: resizeNearestNeighborKernel },
];

/**
 * `Concat`'s gradient: each input's part of `dy`, sliced only when the tape asks for it. tf.js's
 * splits `dy` into all the parts whichever are needed; the values are the same.
 */
export const CONCAT_GRADIENT: tf.GradConfig = {
  kernelName: "Concat",
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const d = dy as tf.Tensor;
    const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
    // The inputs are named by their places, "0", "1", ….
    const parts: Record<string, () => tf.Tensor> = {};
    let offset = 0;
    saved.forEach((input, i) => {
      const begin = input.shape.map((_, j) => (j === axis ? offset : 0));
      offset += input.shape[axis];
      parts[i] = () => tf.slice(d, begin, input.shape);
    });
    return parts;
  },
};
