/**
 * `BatchMatMul` and `_FusedMatMul` for tf.js-wasm, on our SIMD kernel: every transpose case is
 * packed into place inside the kernel (tf.js's own kernel falls into a scalar loop for any
 * transposed operand, which every Dense gradient has), with no per-call operator preparation,
 * and the bias and activation applied as the tiles are written.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import { type HeapKernels, heapKernels } from "./module.ts";
import { splitGemm } from "./pool.ts";
import { EPILOGUE, epilogueCode } from "./abi.ts";

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The shape of a batched product, or undefined where the batches do not broadcast simply. */
function productShape(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transA: boolean,
  transB: boolean,
):
  | { m: number; n: number; k: number; batchA: number; batchB: number; shape: number[] }
  | undefined {
  const ra = a.shape.length, rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`,
    );
  }
  // Equal batches, or one of them 1 (broadcast); anything else is left to tf.js.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  const outer = batchA >= batchB ? outerA : outerB;
  return { m, n, k, batchA, batchB, shape: [...outer, m, n] };
}

/** Runs the product on the heap and returns the output tensor. */
function multiply(
  kernels: HeapKernels,
  backend: { makeOutput(shape: number[], dtype: string): tf.TensorInfo },
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  p: NonNullable<ReturnType<typeof productShape>>,
  transA: boolean,
  transB: boolean,
  bias: tf.TensorInfo | undefined,
  act: number,
  alpha: number,
): tf.TensorInfo {
  const out = backend.makeOutput(p.shape, "float32");
  const { m, n, k } = p;
  if (m === 0 || n === 0) return out;
  const aOffset = kernels.offset(a.dataId);
  const bOffset = kernels.offset(b.dataId);
  const cOffset = kernels.offset(out.dataId);
  const biasOffset = bias ? kernels.offset(bias.dataId) : 0;
  const batch = Math.max(p.batchA, p.batchB);
  for (let t = 0; t < batch; t++) {
    splitGemm(kernels, {
      a: aOffset + (p.batchA === 1 ? 0 : t * m * k * 4),
      b: bOffset + (p.batchB === 1 ? 0 : t * k * n * 4),
      c: cOffset + t * m * n * 4,
      m,
      n,
      k,
      transA,
      transB,
      bias: biasOffset,
      act,
      alpha,
    });
  }
  return out;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Kernel functions for `BatchMatMul` and `_FusedMatMul` that use our kernel where it applies
 * and tf.js's original kernel otherwise (non-float32 data, broadcasting batches, PReLU, ELU or
 * sigmoid epilogues, biases of another shape).
 *
 * @param original tf.js's kernel function of the same name.
 * @param fused Whether this is `_FusedMatMul` (with bias and activation).
 * @returns The replacement kernel function.
 */
export function matMulKernel(original: tf.KernelFunc, fused: boolean): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const bias = fused ? (args.inputs as { bias?: tf.TensorInfo }).bias : undefined;
    // Activations the kernel applies itself; for others (undefined) tf.js's kernel runs.
    const act = fused ? epilogueCode(attrs.activation) : EPILOGUE.linear;
    const p = productShape(a, b, attrs.transposeA, attrs.transposeB);
    const supported = p !== undefined && act !== undefined && a.dtype === "float32" &&
      b.dtype === "float32" && (!bias || (bias.dtype === "float32" && size(bias.shape) === p.n)) &&
      !(fused && (args.inputs as { preluActivationWeights?: unknown }).preluActivationWeights);
    if (!supported) return original(args);
    const kernels = heapKernels(args.backend as object);
    return multiply(
      kernels,
      args.backend as unknown as { makeOutput(shape: number[], dtype: string): tf.TensorInfo },
      a,
      b,
      p!,
      attrs.transposeA,
      attrs.transposeB,
      bias,
      act,
      attrs.leakyreluAlpha ?? 0.2,
    );
  };
}
