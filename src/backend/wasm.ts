/**
 * Fixes for tf.js's WASM backend that training needs.
 *
 * tf.js-wasm's `BatchMatMul` takes its fast XNNPACK path only when neither operand is transposed;
 * the gradient of every Dense layer multiplies by a transposed operand and so falls into a scalar
 * loop about 10× slower. Transposing explicitly (a cheap copy) and then taking the fast path makes
 * a training step of the standard preset about 3× faster, with the same arithmetic.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

type KernelArgs = Parameters<tf.KernelFunc>[0];

const KERNELS = ["BatchMatMul", "_FusedMatMul"] as const;

/** tf.js's own kernels, kept so that the patch can be undone (for side-by-side benchmarks). */
const originals = new Map<string, tf.KernelConfig>();

/** Swaps the last two axes: the permutation for a batched matrix transpose. */
function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/** Wraps a matMul kernel so that it never sees a transposed operand. */
function uprightKernel(original: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original(args);
    const backend = args.backend as tf.KernelBackend;
    const temporaries: tf.TensorInfo[] = [];
    const upright = (x: tf.TensorInfo, flip: boolean): tf.TensorInfo => {
      if (!flip) return x;
      const perm = lastTwoSwapped(x.shape.length);
      const t = transpose({ inputs: { x }, attrs: { perm }, backend }) as tf.TensorInfo;
      temporaries.push(t);
      return t;
    };
    const inputs = {
      ...args.inputs,
      a: upright(args.inputs.a!, transposeA),
      b: upright(args.inputs.b!, transposeB),
    };
    try {
      const attrs = { ...args.attrs, transposeA: false, transposeB: false };
      return original({ ...args, inputs, attrs });
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Re-registers the WASM backend's matrix multiplications so that transposed operands are copied
 * into place and the fast path is used. Idempotent.
 */
export function patchWasmMatMul(): void {
  const transpose = tf.getKernel("Transpose", "wasm")?.kernelFunc;
  if (!transpose) return;
  for (const name of KERNELS) {
    const kernel = tf.getKernel(name, "wasm");
    if (!kernel || originals.has(name)) continue;
    originals.set(name, kernel);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...kernel, kernelFunc: uprightKernel(kernel.kernelFunc, transpose) });
  }
}

/** Puts tf.js's own WASM matrix multiplications back (for benchmarks against stock tf.js). */
export function unpatchWasmMatMul(): void {
  for (const [name, kernel] of originals) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(kernel);
  }
  originals.clear();
}
