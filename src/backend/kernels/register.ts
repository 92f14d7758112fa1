/**
 * Registers our kernels over tf.js-wasm's, and can put tf.js's back (for side-by-side
 * benchmarks and tests).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE, adamUpdateKernel } from "./adam.ts";
import { BATCH_NORM_KERNELS } from "./batch_norm.ts";
import { useLazyConv, useStockConv } from "./conv_layers.ts";
import { CONCAT_GRADIENT, COPY_KERNELS } from "./copies.ts";
import { useLazyDense, useStockDense } from "./dense.ts";
import {
  addKernel,
  identityKernel,
  leakyReluKernel,
  sumKernel,
  tanhKernel,
} from "./elementwise.ts";
import { GRADIENT_KERNELS, GRADIENTS, SECOND_ORDER_GRADIENTS } from "./gradients.ts";
import { matMulKernel } from "./matmul.ts";
import {
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  conv2dKernel,
  unsortedSegmentSumKernel,
} from "./conv.ts";

const REPLACED = [
  { name: "BatchMatMul", make: (original: tf.KernelFunc) => matMulKernel(original, false) },
  { name: "_FusedMatMul", make: (original: tf.KernelFunc) => matMulKernel(original, true) },
  { name: "Identity", make: () => identityKernel },
  { name: "Add", make: addKernel },
  { name: "Sum", make: sumKernel },
  { name: "Tanh", make: tanhKernel },
  { name: "LeakyRelu", make: leakyReluKernel },
  { name: "Conv2D", make: (original: tf.KernelFunc) => conv2dKernel(original) },
  { name: "FusedConv2D", make: (original: tf.KernelFunc) => conv2dKernel(original, true) },
  { name: "Conv2DBackpropInput", make: conv2dBackpropInputKernel },
  ...COPY_KERNELS,
];

/** Kernels of our own, registered for "wasm" beside tf.js's (and two that tf.js-wasm lacks). */
const ADDED: { name: string; kernelFunc: tf.KernelFunc }[] = [
  { name: ADAM_UPDATE, kernelFunc: adamUpdateKernel },
  { name: "Conv2DBackpropFilter", kernelFunc: conv2dBackpropFilterKernel as tf.KernelFunc },
  { name: "UnsortedSegmentSum", kernelFunc: unsortedSegmentSumKernel as tf.KernelFunc },
  ...GRADIENT_KERNELS,
  ...BATCH_NORM_KERNELS,
];

/** tf.js's gradient configurations, kept while ours are registered. */
const originalGradients = new Map<string, tf.GradConfig>();

/** tf.js's own kernels, kept while ours are registered. */
const originals = new Map<string, tf.KernelConfig>();

/** Registers our kernels for the "wasm" backend. Idempotent. */
export function useOurKernels(): void {
  for (const { name, make } of REPLACED) {
    const kernel = tf.getKernel(name, "wasm");
    if (!kernel || originals.has(name)) continue;
    originals.set(name, kernel);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...kernel, kernelFunc: make(kernel.kernelFunc) });
  }
  for (const { name, kernelFunc } of ADDED) {
    if (!tf.getKernel(name, "wasm")) {
      tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
    }
  }
  for (const gradient of SECOND_ORDER_GRADIENTS) {
    if (!tf.getGradient(gradient.kernelName)) tf.registerGradient(gradient);
  }
  for (const gradient of [...GRADIENTS, CONCAT_GRADIENT]) {
    if (originalGradients.has(gradient.kernelName)) continue;
    const original = tf.getGradient(gradient.kernelName);
    if (original) originalGradients.set(gradient.kernelName, original);
    tf.registerGradient(gradient);
  }
  useLazyDense();
  useLazyConv();
}

/** Puts tf.js's own "wasm" kernels back. */
export function useStockKernels(): void {
  useStockDense();
  useStockConv();
  for (const { name } of ADDED) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  }
  for (const original of originalGradients.values()) tf.registerGradient(original);
  originalGradients.clear();
  for (const [name, kernel] of originals) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(kernel);
  }
  originals.clear();
}
