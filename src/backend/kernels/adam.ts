/**
 * A fused Adam update for tf.js-wasm: one kernel call per variable, where tf.js's optimiser runs
 * about ten operations (each a kernel call with its own allocation and bookkeeping).
 *
 * The kernel `AdamUpdate` takes the variable, its gradient and both moments and returns their new
 * values; {@linkcode TensorAdam} (src/train/adam.ts) assigns them.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import { heapKernels } from "./module.ts";
import { splitRange } from "./pool.ts";

/** The kernel's name. */
export const ADAM_UPDATE = "AdamUpdate";

/** The kernel's scalar settings, as float32 values. */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * The `AdamUpdate` kernel for the "wasm" backend.
 *
 * @param args Inputs `x`, `g`, `m`, `v` (float32, one shape) and {@linkcode AdamUpdateAttrs}.
 * @returns The new `x`, `m` and `v`.
 */
export function adamUpdateKernel(args: KernelArgs): tf.TensorInfo[] {
  const { x, g, m, v } = args.inputs as Record<"x" | "g" | "m" | "v", tf.TensorInfo>;
  const o = args.attrs as unknown as AdamUpdateAttrs;
  const backend = args.backend as unknown as {
    makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  };
  const kernels = heapKernels(backend);
  const outputs = [x, m, v].map((t) => backend.makeOutput(t.shape.slice(), "float32"));
  const n = x.shape.reduce((a, b) => a * b, 1);
  splitRange(
    kernels,
    "adam",
    [x, g, m, v, ...outputs].map((t) => kernels.offset(t.dataId)),
    n,
    [
      o.learningRate,
      o.beta1,
      o.beta2,
      o.oneMinusBeta1,
      o.oneMinusBeta2,
      o.oneMinusAccBeta1,
      o.oneMinusAccBeta2,
      o.epsilon,
    ],
  );
  return outputs;
}
