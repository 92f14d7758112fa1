/**
 * The CIFAR-10 classifier the evaluator judges 32×32 colour samples with: a small all-convolutional
 * CNN whose weights ship inside the package as float16 (`cifar_classifier_weights.json`, made by
 * `deno task train-cifar-classifier --data DIR`). Its penultimate layer (64 units, before their
 * ReLU) gives the features for FID and precision/recall; its softmax the class probabilities.
 * Like the MNIST classifier it stands in for Inception: its numbers compare runs of this library,
 * not papers' Inception FIDs.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import type { LayersModel } from "../tf_types.ts";
import { classifierFromFiles } from "./classifier.ts";
import { CIFAR_CLASSIFIER_FILES } from "./classifier_data.ts";

/** Units of the CIFAR classifier's penultimate layer: the size of its features. */
export const CIFAR_FEATURE_DIM = 64;
/** The image shape the CIFAR classifier takes: `[height, width, channels]`. */
export const CIFAR_CLASSIFIER_IMAGE_SHAPE: readonly [number, number, number] = [32, 32, 3];

/**
 * The CIFAR classifier's layers, untrained: Glorot-uniform kernels seeded from `seed`, zero biases.
 *
 * @param seed Seed of the initial weights.
 * @returns A layers model from `(B, 32, 32, 3)` images in [-1, 1] to `(B, 10)` logits.
 */
export function createCifarClassifier(seed: number): LayersModel {
  let next = seed >>> 0;
  const init = () => tfl.initializers.glorotUniform({ seed: next++ });
  const conv = (name: string, filters: number, strides: number, first = false) =>
    tfl.layers.conv2d({
      name,
      ...(first ? { inputShape: [...CIFAR_CLASSIFIER_IMAGE_SHAPE] } : {}),
      filters,
      kernelSize: 3,
      strides,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(),
    });
  return tfl.sequential({
    name: "cifar_classifier",
    layers: [
      // (B, 32, 32, 3) -> (B, 32, 32, 32)
      conv("conv1", 32, 1, true),
      // (B, 32, 32, 32) -> (B, 16, 16, 64)
      conv("conv2", 64, 2),
      // (B, 16, 16, 64) -> (B, 8, 8, 96)
      conv("conv3", 96, 2),
      // (B, 8, 8, 96) -> (B, 4, 4, 128)
      conv("conv4", 128, 2),
      // (B, 4, 4, 128) -> (B, 2048)
      tfl.layers.flatten({ name: "flatten" }),
      // (B, 2048) -> (B, 64): the features, taken before the ReLU
      tfl.layers.dense({ name: "features", units: CIFAR_FEATURE_DIM, kernelInitializer: init() }),
      tfl.layers.activation({ name: "features_relu", activation: "relu" }),
      // (B, 64) -> (B, 10): logits
      tfl.layers.dense({ name: "logits", units: 10, kernelInitializer: init() }),
    ],
  });
}

let shipped: Promise<LayersModel> | undefined;

/**
 * The shipped CIFAR-10 classifier (built once, then shared): what {@linkcode evaluate} judges
 * 32×32×3 images with.
 *
 * @returns The classifier, from `(B, 32, 32, 3)` images in [-1, 1] to `(B, 10)` logits.
 *
 * @example Classify colour images
 * ```ts
 * import { classifyImages, loadCifarClassifier } from "@gan/mnist";
 *
 * const model = await loadCifarClassifier();
 * const images = {
 *   count: 2, height: 32, width: 32, channels: 3,
 *   pixels: new Float32Array(2 * 32 * 32 * 3),
 * };
 * const { probabilities } = await classifyImages(model, images);
 * console.log(probabilities.length); // 20
 * ```
 */
export function loadCifarClassifier(): Promise<LayersModel> {
  shipped ??= classifierFromFiles(CIFAR_CLASSIFIER_FILES);
  return shipped;
}
