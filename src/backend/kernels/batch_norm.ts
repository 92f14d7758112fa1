/**
 * BatchNorm in training mode as two kernels: one forward (batch mean and variance, normalise,
 * scale, shift) and one backward (the gradient for x, through the batch statistics, and for the
 * scale and shift). tf.js's layer composes `moments`, `FusedBatchNorm` and the moving-average
 * updates from about forty small kernels per layer and step, forward and backward; on wasm each
 * costs more in bookkeeping than in arithmetic.
 *
 * {@linkcode fusedBatchNormCall} gives a training-mode call of a tf.js BatchNormalization layer
 * that uses them, with the layer's own moving-average update, where it applies (wasm with our
 * kernels, 2-D input, normalising the last axis); elsewhere training calls the layer as usual.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { heapKernels, type WasmBackendInternals } from "./module.ts";

/** Our kernel names. */
export const GAN_BATCH_NORM = "GanBatchNormTrain";
/** The gradient kernel's name. */
export const GAN_BATCH_NORM_GRAD = "GanBatchNormTrainGrad";

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Inputs x (rows × cols), gamma, beta (cols); outputs y, mean, variance. */
function batchNormKernel(args: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const backend = args.backend as unknown as WasmBackendInternals;
  const k = heapKernels(backend);
  const [rows, cols] = x.shape;
  const y = backend.makeOutput([rows, cols], "float32") as unknown as tf.TensorInfo;
  const mean = backend.makeOutput([cols], "float32") as unknown as tf.TensorInfo;
  const variance = backend.makeOutput([cols], "float32") as unknown as tf.TensorInfo;
  const at = (t: tf.TensorInfo) => k.offset(t.dataId);
  k.exports.batch_norm_train(
    at(x),
    at(gamma),
    at(beta),
    at(y),
    at(mean),
    at(variance),
    rows,
    cols,
    args.attrs!.epsilon as number,
  );
  return [y, mean, variance];
}

/** Inputs x, dy, gamma, mean, variance; outputs dx, dgamma, dbeta. */
function batchNormGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const { x, dy, gamma, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
  const backend = args.backend as unknown as WasmBackendInternals;
  const k = heapKernels(backend);
  const [rows, cols] = x.shape;
  const dx = backend.makeOutput([rows, cols], "float32") as unknown as tf.TensorInfo;
  const dgamma = backend.makeOutput([cols], "float32") as unknown as tf.TensorInfo;
  const dbeta = backend.makeOutput([cols], "float32") as unknown as tf.TensorInfo;
  const at = (t: tf.TensorInfo) => k.offset(t.dataId);
  k.exports.batch_norm_train_grad(
    at(x),
    at(dy),
    at(gamma),
    at(mean),
    at(variance),
    at(dx),
    at(dgamma),
    at(dbeta),
    rows,
    cols,
    args.attrs!.epsilon as number,
  );
  return [dx, dgamma, dbeta];
}

/** Our BatchNorm kernels, registered for "wasm". */
export const BATCH_NORM_KERNELS: { name: string; kernelFunc: tf.KernelFunc }[] = [
  { name: GAN_BATCH_NORM, kernelFunc: batchNormKernel as tf.KernelFunc },
  { name: GAN_BATCH_NORM_GRAD, kernelFunc: batchNormGradKernel as tf.KernelFunc },
];

/**
 * BatchNorm of a batch in training mode on our kernels, differentiable for x, gamma and beta.
 *
 * @param x `(rows, cols)`.
 * @param gamma `(cols)` scale.
 * @param beta `(cols)` shift.
 * @param epsilon Added to the variance.
 * @param statistics Called with the batch mean and (biased) variance while they exist (they are
 * disposed after the forward pass), e.g. to update moving averages; they carry no gradient.
 * @returns The normalised batch.
 */
export function batchNormTraining(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  statistics?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor2D {
  const forward = tf.customGrad(
    ((
      x: tf.Tensor,
      gamma: tf.Tensor,
      beta: tf.Tensor,
      save: tf.GradSaveFunc,
    ) => {
      const [y, m, v] = tf.engine().runKernel(
        GAN_BATCH_NORM,
        { x, gamma, beta } as unknown as tf.NamedTensorMap,
        { epsilon },
      ) as tf.Tensor[];
      statistics?.(m as tf.Tensor1D, v as tf.Tensor1D);
      save([x, gamma, m, v]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [x, gamma, m, v] = saved;
          return tf.engine().runKernel(
            GAN_BATCH_NORM_GRAD,
            { x, dy, gamma, mean: m, variance: v } as unknown as tf.NamedTensorMap,
            { epsilon },
          ) as tf.Tensor[];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return forward(x, gamma, beta) as tf.Tensor2D;
}

/** tf.js's layer's update, operation for operation: `moving -= (moving - batch) · (1 - momentum)`. */
function movingAverage(
  variable: { read(): tf.Tensor; write(value: tf.Tensor): void },
  batch: tf.Tensor,
  momentum: number,
): void {
  const value = variable.read();
  variable.write(tf.sub(value, tf.mul(tf.sub(value, batch), 1 - momentum)));
}

/** The parts of tf.js's BatchNormalization layer that a training call uses. */
interface BatchNormLayer {
  getClassName(): string;
  axis: number;
  center: boolean;
  scale: boolean;
  momentum: number;
  epsilon: number;
  gamma?: { read(): tf.Tensor };
  beta?: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
}

/**
 * A training-mode call of a BatchNormalization layer on our kernels, or undefined where they do
 * not apply (a layer without both scale and shift); at call time it falls back to the layer's own
 * call on another backend, with our kernels off, or for a layer that does not normalise the last
 * axis (2-D input, or feature maps normalised per channel). It updates the moving mean and variance exactly as the
 * layer does: `moving -= (moving - batch) · (1 - momentum)`.
 *
 * @param layer A tf.js layer.
 * @returns The call, or undefined.
 */
export function fusedBatchNormCall(layer: object): ((x: tf.Tensor) => tf.Tensor) | undefined {
  const bn = layer as BatchNormLayer;
  if (bn.getClassName?.() !== "BatchNormalization") return undefined;
  if (!bn.center || !bn.scale || !bn.gamma || !bn.beta) return undefined;
  return (x) => {
    const axis = bn.axis < 0 ? bn.axis + x.rank : bn.axis;
    if (
      x.rank < 2 || axis !== x.rank - 1 || tf.getBackend() !== "wasm" ||
      !tf.getKernel(GAN_BATCH_NORM, "wasm") || x.dtype !== "float32"
    ) {
      return (layer as { call(x: tf.Tensor, kwargs: object): tf.Tensor }).call(x, {
        training: true,
      });
    }
    if (x.rank > 2) {
      // Feature maps (B, H, W, C): the statistics are per channel over B·H·W positions, which is
      // the 2-D case on (B·H·W, C).
      const call = fusedBatchNormCall(layer)!;
      return tf.reshape(call(tf.reshape(x, [-1, x.shape[x.rank - 1]])), x.shape);
    }
    return batchNormTraining(
      x as tf.Tensor2D,
      bn.gamma!.read() as tf.Tensor1D,
      bn.beta!.read() as tf.Tensor1D,
      bn.epsilon,
      (mean, variance) =>
        tf.tidy(() => {
          movingAverage(bn.movingMean, mean, bn.momentum);
          movingAverage(bn.movingVariance, variance, bn.momentum);
        }),
    );
  };
}
