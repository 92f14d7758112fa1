/**
 * Convolutions for tf.js-wasm on our matrix multiply: `Conv2D`, `Conv2DBackpropInput` (also the
 * forward pass of a transposed convolution) and `Conv2DBackpropFilter`, plus
 * `UnsortedSegmentSum` (the gradient of a Gather, e.g. an Embedding layer).
 *
 * tf.js 4.22's WASM backend cannot train a convolutional network: `Conv2DBackpropFilter` and
 * `UnsortedSegmentSum` are not registered at all (tfjs issue 8474), and `Conv2DBackpropInput` is a
 * scalar loop. Here each convolution is one product on our SIMD kernel (`wasm/gemm.c`) with the
 * im2col `cols(x)` (every receptive field laid out as one row) as an operand, or its adjoint
 * col2im applied to the result:
 *
 * - forward: `y = cols(x) · W`, W the HWIO filter read as a `(fh·fw·inC) × outC` matrix;
 * - filter gradient: `dW = cols(x)ᵀ · dy`;
 * - input gradient: `dx = col2im(dy · Wᵀ)`.
 *
 * The im2col is never written out (implicit GEMM): the product packs its panels of `cols(x)`
 * straight from the image, and adds each entry of `dy · Wᵀ` into dx as it stores it, reading
 * where through a table of the convolution's positions and field entries (abi.ts's CONV_SHAPE).
 *
 * NHWC (channelsLast) only, as tf.js-wasm itself; anything else goes to tf.js's kernel.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { type HeapKernels, heapKernels, type WasmBackendInternals } from "./module.ts";
import { splitGemm } from "./pool.ts";
import { CONV, CONV_SHAPE, CONV_TABLE_START, EPILOGUE, epilogueCode } from "./abi.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

interface Backend extends WasmBackendInternals {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

/** The convolution's geometry by the names of abi.ts's CONV_SHAPE. */
const shapeFields = (info: ConvInfo): Record<(typeof CONV_SHAPE)[number], number> => ({
  batch: info.batchSize,
  inH: info.inHeight,
  inW: info.inWidth,
  inC: info.inChannels,
  outH: info.outHeight,
  outW: info.outWidth,
  fH: info.filterHeight,
  fW: info.filterWidth,
  strideH: info.strideHeight,
  strideW: info.strideWidth,
  padTop: info.padInfo.top,
  padLeft: info.padInfo.left,
  dilH: info.dilationHeight,
  dilW: info.dilationWidth,
});

/**
 * Writes the convolution's table (abi.ts's CONV_SHAPE, then per output position and per field
 * entry where im2col reads it) on the heap and returns its offset.
 */
function tableOf(kernels: HeapKernels, info: ConvInfo): number {
  const f = shapeFields(info);
  const positions = f.batch * f.outH * f.outW, entries = f.fH * f.fW * f.inC;
  const at = kernels.buffer("conv-table", CONV_TABLE_START + 3 * (positions + entries));
  const table = new Int32Array(
    kernels.memory.buffer,
    at,
    CONV_TABLE_START + 3 * (positions + entries),
  );
  table.set(CONV_SHAPE.map((name) => f[name]));
  let i = CONV_TABLE_START;
  // (b, oy, ox): the field's first input row and column, and that pixel's offset
  for (let b = 0; b < f.batch; b++) {
    for (let oy = 0; oy < f.outH; oy++) {
      const iy = oy * f.strideH - f.padTop;
      for (let ox = 0; ox < f.outW; ox++, i += 3) {
        const ix = ox * f.strideW - f.padLeft;
        table[i] = iy;
        table[i + 1] = ix;
        table[i + 2] = ((b * f.inH + iy) * f.inW + ix) * f.inC;
      }
    }
  }
  // (ky, kx, c): its row and column offsets, and its offset from the position's pixel
  for (let ky = 0; ky < f.fH; ky++) {
    for (let kx = 0; kx < f.fW; kx++) {
      for (let c = 0; c < f.inC; c++, i += 3) {
        table[i] = ky * f.dilH;
        table[i + 1] = kx * f.dilW;
        table[i + 2] = (ky * f.dilH * f.inW + kx * f.dilW) * f.inC + c;
      }
    }
  }
  return at;
}

/** The products' sizes: rows = output positions (B·outH·outW), width = one field (fh·fw·inC). */
const sizes = (info: ConvInfo): { rows: number; width: number } => ({
  rows: info.batchSize * info.outHeight * info.outWidth,
  width: info.filterHeight * info.filterWidth * info.inChannels,
});

/** Whether the input is already its own im2col (a 1×1 filter, stride 1, no padding). */
const pointwise = (info: ConvInfo): boolean =>
  info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 &&
  info.strideWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0;

/** The attributes the convolution kernels share. */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

type Shape4 = [number, number, number, number];

/** The convolution's geometry (tf.js's own computation of it). */
const convInfo = (
  input: number[],
  filter: number[],
  a: ConvAttrs,
  dilations: ConvAttrs["strides"],
) =>
  tf.backend_util.computeConv2DInfo(
    input as Shape4,
    filter as Shape4,
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
  );

const isNhwc = (dataFormat: unknown): boolean =>
  dataFormat === undefined || dataFormat === "NHWC" || dataFormat === "channelsLast";

const float32 = (...ts: tf.TensorInfo[]): boolean => ts.every((t) => t.dtype === "float32");

/**
 * `Conv2D`, or `FusedConv2D` (with a bias and an activation, as tf.js-layers' Conv2D runs), on
 * our kernel; tf.js's `original` for what it does not cover.
 *
 * @param original tf.js's kernel.
 * @param fused Whether this is `FusedConv2D`.
 * @returns The kernel function.
 */
export function conv2dKernel(original: tf.KernelFunc, fused = false): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as {
      x: tf.TensorInfo;
      filter: tf.TensorInfo;
      bias?: tf.TensorInfo;
      preluActivationWeights?: tf.TensorInfo;
    };
    const a = args.attrs as unknown as ConvAttrs & {
      dilations: [number, number] | number;
      activation?: string;
      leakyreluAlpha?: number;
    };
    // Activations the product's epilogue applies; for others (undefined) tf.js's kernel runs.
    const act = fused ? epilogueCode(a.activation) : EPILOGUE.linear;
    const outChannels = filter.shape[3];
    if (
      !isNhwc(a.dataFormat) || !float32(x, filter) || act === undefined ||
      preluActivationWeights ||
      (bias && (bias.dtype !== "float32" || tf.util.sizeFromShape(bias.shape) !== outChannels))
    ) {
      return original(args);
    }
    const backend = args.backend as unknown as Backend;
    const kernels = heapKernels(backend);
    const info = convInfo(x.shape, filter.shape, a, a.dilations);
    const out = backend.makeOutput(info.outShape, "float32");
    const { rows, width } = sizes(info);
    if (rows === 0 || info.outChannels === 0) return out;
    // (B·outH·outW) × (fh·fw·inC) · (fh·fw·inC) × outC → NHWC output, + bias, activation
    const direct = pointwise(info);
    splitGemm(kernels, {
      a: kernels.offset(x.dataId),
      ...(direct ? {} : { conv: CONV.cols, table: tableOf(kernels, info) }),
      b: kernels.offset(filter.dataId),
      c: kernels.offset(out.dataId),
      m: rows,
      n: info.outChannels,
      k: width,
      transA: false,
      transB: false,
      bias: bias ? kernels.offset(bias.dataId) : 0,
      act,
      alpha: a.leakyreluAlpha ?? 0.2,
    });
    return out;
  };
}

/**
 * `Conv2DBackpropInput` (dx of a convolution; the forward pass of a transposed one) on our kernel.
 *
 * @param original tf.js's kernel.
 * @returns The kernel function.
 */
export function conv2dBackpropInputKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
    if (!isNhwc(a.dataFormat) || !float32(dy, filter)) return original(args);
    const backend = args.backend as unknown as Backend;
    const kernels = heapKernels(backend);
    const info = convInfo(a.inputShape, filter.shape, a, 1);
    const dx = backend.makeOutput(info.inShape, "float32");
    const { rows, width } = sizes(info);
    const dxOffset = kernels.offset(dx.dataId);
    if (rows === 0 || width === 0) {
      new Float32Array(kernels.memory.buffer, dxOffset, tf.util.sizeFromShape(info.inShape))
        .fill(0);
      return dx;
    }
    // dx = col2im(dy · Wᵀ): (B·outH·outW) × outC · outC × (fh·fw·inC), each entry added into dx
    // as it is stored (the rows of one image write only that image).
    const direct = pointwise(info);
    if (!direct) {
      new Float32Array(kernels.memory.buffer, dxOffset, tf.util.sizeFromShape(info.inShape))
        .fill(0);
    }
    splitGemm(kernels, {
      a: kernels.offset(dy.dataId),
      b: kernels.offset(filter.dataId),
      c: dxOffset,
      m: rows,
      n: width,
      k: info.outChannels,
      transA: false,
      transB: true,
      ...(direct ? {} : {
        conv: CONV.col2im,
        table: tableOf(kernels, info),
        rowsPerImage: info.outHeight * info.outWidth,
      }),
    });
    return dx;
  };
}

/**
 * `Conv2DBackpropFilter` (dW of a convolution), which tf.js-wasm lacks, on our kernel.
 *
 * @param args Inputs x, dy; attrs strides, pad, dataFormat, dimRoundingMode, filterShape.
 * @returns dW in the filter's HWIO shape.
 */
export function conv2dBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  if (!isNhwc(a.dataFormat)) {
    throw new Error("Conv2DBackpropFilter on wasm: only the NHWC (channelsLast) format");
  }
  if (!float32(x, dy)) throw new Error("Conv2DBackpropFilter on wasm: float32 only");
  const backend = args.backend as unknown as Backend;
  const kernels = heapKernels(backend);
  const info = convInfo(x.shape, a.filterShape, a, 1);
  const dw = backend.makeOutput(a.filterShape, "float32");
  const { rows, width } = sizes(info);
  if (width === 0 || info.outChannels === 0) return dw;
  // dW = colsᵀ · dy: (fh·fw·inC) × (B·outH·outW) · (B·outH·outW) × outC
  const direct = pointwise(info);
  splitGemm(kernels, {
    a: kernels.offset(x.dataId),
    ...(direct ? {} : { conv: CONV.colsT, table: tableOf(kernels, info) }),
    b: kernels.offset(dy.dataId),
    c: kernels.offset(dw.dataId),
    m: width,
    n: info.outChannels,
    k: rows,
    transA: true,
    transB: false,
  });
  return dw;
}

/**
 * `UnsortedSegmentSum`, which tf.js-wasm lacks: `out[ids[i]] += x[i]` over the first axis.
 *
 * @param args Inputs x (float32 or int32), segmentIds (int32, one per row of x); attr numSegments.
 * @returns `(numSegments, ...x.shape[1:])`.
 */
export function unsortedSegmentSumKernel(args: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const segments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as unknown as Backend;
  const kernels = heapKernels(backend);
  const rows = segmentIds.shape.reduce((p, d) => p * d, 1);
  const inner = tf.util.sizeFromShape(x.shape) / Math.max(rows, 1);
  const out = backend.makeOutput([segments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  const ids = kernels.offset(segmentIds.dataId);
  if (x.dtype === "float32") {
    kernels.exports.segment_sum(
      kernels.offset(x.dataId),
      ids,
      kernels.offset(out.dataId),
      rows,
      inner,
      segments,
    );
    return out;
  }
  // int32: a plain loop (rare, and small).
  const heap = kernels.memory.buffer;
  const values = new Int32Array(heap, kernels.offset(x.dataId), rows * inner);
  const idValues = new Int32Array(heap, ids, rows);
  const result = new Int32Array(heap, kernels.offset(out.dataId), segments * inner).fill(0);
  for (let i = 0; i < rows; i++) {
    const id = idValues[i];
    if (id < 0 || id >= segments) continue;
    for (let j = 0; j < inner; j++) result[id * inner + j] += values[i * inner + j];
  }
  return out;
}
