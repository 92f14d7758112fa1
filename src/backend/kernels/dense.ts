/**
 * Dense layers without wasted gradients.
 *
 * tf.js-layers computes a Dense layer with `tf.fused.matMul`, whose gradient (a `customGrad`)
 * always computes the gradients of both operands and the bias. Training a GAN, half of them are
 * thrown away: the discriminator's step needs no gradient for its input images, the generator's
 * step none for the discriminator's weights; about a fifth of a training step's arithmetic.
 *
 * While our kernels are active, `tf.fused.matMul` runs our kernel `GanMatMul` instead, whose
 * registered gradient computes each operand's gradient lazily, only if the tape asks for it.
 * Results are the same; on other backends, and for what `GanMatMul` does not cover, tf.js's own
 * function runs.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { matMulKernel } from "./matmul.ts";

/** The kernel's name. */
export const GAN_MATMUL = "GanMatMul";

type FusedMatMul = typeof tf.fused.matMul;
type FusedArgs = Parameters<FusedMatMul>[0];

/** The gradient of `GanMatMul`: each input's gradient is computed only if asked for. */
const ganMatMulGradient: tf.GradConfig = {
  kernelName: GAN_MATMUL,
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
    };
    const dz = dy as tf.Tensor;
    // The same products tf.js's fused matMul gradient uses, one per transpose case.
    const grads: Record<string, () => tf.Tensor> = {
      a: () =>
        !transposeA ? tf.matMul(dz, b, false, !transposeB) : tf.matMul(b, dz, transposeB, true),
      b: () =>
        !transposeB ? tf.matMul(a, dz, !transposeA, false) : tf.matMul(dz, a, true, transposeA),
      bias: () => tf.sum(dz, 0),
    };
    return grads;
  },
};

let original: FusedMatMul | undefined;

/**
 * Our `fused.matMul`: `GanMatMul` on wasm for rank-2 float32 products with an N-vector bias and
 * no activation (the only fused form tf.js records gradients for); tf.js's function otherwise.
 */
function lazyFusedMatMul(args: FusedArgs): tf.Tensor {
  const { a, b, transposeA = false, transposeB = false, bias, activation = "linear" } = args;
  const eligible = tf.getBackend() === "wasm" && a instanceof tf.Tensor && b instanceof tf.Tensor &&
    a.rank === 2 && b.rank === 2 && a.dtype === "float32" && b.dtype === "float32" &&
    activation === "linear" && args.preluActivationWeights == null &&
    (bias == null ||
      (bias instanceof tf.Tensor && bias.rank === 1 &&
        bias.size === (transposeB ? b.shape[0] : b.shape[1])));
  if (!eligible) return original!(args);
  const inputs = bias == null ? { a, b } : { a, b, bias };
  return tf.engine().runKernel(GAN_MATMUL, inputs as tf.NamedTensorMap, {
    transposeA,
    transposeB,
    activation,
  }) as tf.Tensor;
}

/** Registers `GanMatMul` for "wasm" and routes `tf.fused.matMul` through it. Idempotent. */
export function useLazyDense(): void {
  if (!tf.getKernel(GAN_MATMUL, "wasm")) {
    const fused = tf.getKernel("_FusedMatMul", "wasm")!.kernelFunc;
    tf.registerKernel({
      kernelName: GAN_MATMUL,
      backendName: "wasm",
      kernelFunc: matMulKernel(fused, true),
    });
  }
  if (!tf.getGradient(GAN_MATMUL)) tf.registerGradient(ganMatMulGradient);
  if (original === undefined) {
    original = tf.fused.matMul;
    (tf.fused as { matMul: FusedMatMul }).matMul = lazyFusedMatMul as FusedMatMul;
  }
}

/** Restores tf.js's own `tf.fused.matMul`. */
export function useStockDense(): void {
  if (original !== undefined) {
    (tf.fused as { matMul: FusedMatMul }).matMul = original;
    original = undefined;
  }
  if (tf.getKernel(GAN_MATMUL, "wasm")) tf.unregisterKernel(GAN_MATMUL, "wasm");
}
