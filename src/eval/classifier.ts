/**
 * The MNIST classifier the evaluator judges samples with: a small CNN whose weights ship inside
 * the package (`classifier_weights.json`, made by `deno task train-classifier`), so that it loads
 * without file access, in Deno or a browser. Its penultimate layer (64 units, before their ReLU)
 * gives the features for FID and precision/recall; its softmax gives the class probabilities.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { ImageSet } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import type { LayersModel } from "../tf_types.ts";
import { CLASSIFIER_FILES } from "./classifier_data.ts";

/** Units of the penultimate layer: the size of the features. */
export const FEATURE_DIM = 64;
/** The classes. */
export const CLASS_COUNT = 10;
/** The image shape the classifier takes: `[height, width, channels]`. */
export const CLASSIFIER_IMAGE_SHAPE: readonly [number, number, number] = [28, 28, 1];

/**
 * The classifier's layers, untrained: Glorot-uniform kernels seeded from `seed`, zero biases.
 *
 * @param seed Seed of the initial weights.
 * @returns A layers model from `(B, 28, 28, 1)` images in [-1, 1] to `(B, 10)` logits.
 */
export function createClassifier(seed: number): LayersModel {
  let next = seed >>> 0;
  const init = () => tfl.initializers.glorotUniform({ seed: next++ });
  return tfl.sequential({
    name: "mnist_classifier",
    layers: [
      // (B, 28, 28, 1) -> (B, 24, 24, 16)
      tfl.layers.conv2d({
        name: "conv1",
        inputShape: [...CLASSIFIER_IMAGE_SHAPE],
        filters: 16,
        kernelSize: 5,
        activation: "relu",
        kernelInitializer: init(),
      }),
      // (B, 24, 24, 16) -> (B, 12, 12, 16)
      tfl.layers.maxPooling2d({ name: "pool1", poolSize: 2 }),
      // (B, 12, 12, 16) -> (B, 8, 8, 32)
      tfl.layers.conv2d({
        name: "conv2",
        filters: 32,
        kernelSize: 5,
        activation: "relu",
        kernelInitializer: init(),
      }),
      // (B, 8, 8, 32) -> (B, 4, 4, 32)
      tfl.layers.maxPooling2d({ name: "pool2", poolSize: 2 }),
      // (B, 4, 4, 32) -> (B, 512)
      tfl.layers.flatten({ name: "flatten" }),
      // (B, 512) -> (B, 64): the features, taken before the ReLU. After it, inputs unlike any digit
      // (noise) collapse onto weak digits' features; before it they stay apart.
      tfl.layers.dense({ name: "features", units: FEATURE_DIM, kernelInitializer: init() }),
      tfl.layers.activation({ name: "features_relu", activation: "relu" }),
      // (B, 64) -> (B, 10): logits
      tfl.layers.dense({ name: "logits", units: CLASS_COUNT, kernelInitializer: init() }),
    ],
  });
}

/** The classifier's files as they ship: tf.js layers format, weights as base64. */
export interface ClassifierFiles {
  /** The `modelTopology` of `model.json`. */
  modelTopology: unknown;
  /** The weights manifest's entries (names, shapes, dtypes), in the order of the weight bytes. */
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** The weights, little-endian float32, base64. */
  weightsBase64: string;
}

/**
 * Decodes base64 to bytes (`atob`, so it runs in a browser too).
 *
 * @param base64 The text.
 * @returns The bytes, in a buffer of their own.
 */
export function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * Encodes bytes as base64.
 *
 * @param bytes The bytes.
 * @returns The text.
 */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/**
 * Builds a layers model from files in memory (no file access).
 *
 * @param files The topology, the weights manifest, the weights.
 * @returns The model.
 */
export async function classifierFromFiles(files: ClassifierFiles): Promise<LayersModel> {
  // Without a backend chosen yet, tf.js's default (the highest-priority registered one) starts.
  await tf.ready();
  return await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.modelTopology as tf.io.ModelArtifacts["modelTopology"],
      weightSpecs: files.weightSpecs,
      weightData: fromBase64(files.weightsBase64).buffer,
    }),
    { strict: true },
  );
}

/**
 * The model's files as they would ship: topology, manifest, base64 weights.
 *
 * @param model A classifier from {@linkcode createClassifier}.
 * @returns Its files.
 */
export async function classifierFiles(model: LayersModel): Promise<ClassifierFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const data = artifacts!.weightData!;
  const buffers = Array.isArray(data) ? data : [data];
  const bytes = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    bytes.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return {
    modelTopology: artifacts!.modelTopology,
    weightSpecs: artifacts!.weightSpecs!,
    weightsBase64: toBase64(bytes),
  };
}

let shipped: Promise<LayersModel> | undefined;

/**
 * The shipped classifier, built once per process (on the backend current at the first call) and
 * shared by every later call. Do not dispose it.
 *
 * @returns The trained classifier.
 *
 * @example Classify ten test digits
 * ```ts
 * import { classifyImages, loadClassifier, loadMnist } from "@gan/mnist";
 *
 * const classifier = await loadClassifier();
 * const { probabilities } = await classifyImages(classifier, await loadMnist({ split: "test", limit: 10 }));
 * console.log(probabilities.length); // 100: ten probabilities per image
 * ```
 */
export function loadClassifier(): Promise<LayersModel> {
  shipped ??= classifierFromFiles(CLASSIFIER_FILES);
  return shipped;
}

/**
 * What the classifier makes of a set of images.
 *
 * @example The most probable class of the first image
 * ```ts
 * import { type ClassifierOutput, classifyImages, loadClassifier, loadMnist } from "@gan/mnist";
 *
 * const digits = await loadMnist({ split: "test", limit: 1 });
 * const output: ClassifierOutput = await classifyImages(await loadClassifier(), digits);
 * const p = [...output.probabilities];
 * console.log(p.indexOf(Math.max(...p)), digits.labels?.[0]); // 7 7
 * ```
 */
export interface ClassifierOutput {
  /** The number of images. */
  count: number;
  /** The size of the features: 64 for both shipped classifiers. */
  dim: number;
  /** Penultimate-layer features, `count × dim`, image after image. */
  features: Float32Array;
  /** Softmax class probabilities, `count × 10`, image after image. */
  probabilities: Float32Array;
}

/**
 * Runs the classifier on images, in batches, in inference mode.
 *
 * @param model The classifier: {@linkcode loadClassifier}'s (MNIST) or `loadCifarClassifier`'s.
 * @param images Images in [-1, 1] of the shape the model takes (28×28×1, or 32×32×3).
 * @param batchSize Images per forward pass (bounds memory, not the result).
 * @returns Features and class probabilities.
 * @throws {RangeError} If the images are not of the model's shape.
 *
 * @example Features of 100 test digits
 * ```ts
 * import { classifyImages, loadClassifier, loadMnist } from "@gan/mnist";
 *
 * const digits = await loadMnist({ split: "test", limit: 100 });
 * const { features } = await classifyImages(await loadClassifier(), digits);
 * console.log(features.length); // 6400: 64 per image
 * ```
 */
export async function classifyImages(
  model: LayersModel,
  images: ImageSet,
  batchSize = 1000,
): Promise<ClassifierOutput> {
  const [height, width, channels] = model.inputs[0].shape.slice(1) as number[];
  checkImageShape("classifyImages", images, [height, width, channels]);
  checkInteger("classifyImages", "batchSize", batchSize);
  await tf.ready();
  const size = height * width * channels;
  const layers = model.layers;
  const featureLayer = layers.findIndex((layer) => layer.name === "features");
  if (featureLayer < 0) throw new RangeError(`classifyImages: the model has no "features" layer`);
  const dim = layers[featureLayer].outputShape[1] as number;
  const features = new Float32Array(images.count * dim);
  const probabilities = new Float32Array(images.count * CLASS_COUNT);
  for (let start = 0; start < images.count; start += batchSize) {
    const count = Math.min(batchSize, images.count - start);
    const [batchFeatures, batchProbabilities] = tf.tidy(() => {
      let h: tf.Tensor = tf.tensor4d(
        images.pixels.subarray(start * size, (start + count) * size),
        [count, height, width, channels],
      );
      // (count, height, width, channels) -> (count, dim): up to the "features" layer
      for (const layer of layers.slice(0, featureLayer + 1)) h = layer.apply(h) as tf.Tensor;
      let logits = h;
      // (count, dim) -> (count, 10)
      for (const layer of layers.slice(featureLayer + 1)) logits = layer.apply(logits) as tf.Tensor;
      return [h, tf.softmax(logits)];
    });
    features.set(await batchFeatures.data() as Float32Array, start * dim);
    probabilities.set(await batchProbabilities.data() as Float32Array, start * CLASS_COUNT);
    tf.dispose([batchFeatures, batchProbabilities]);
  }
  return { count: images.count, dim, features, probabilities };
}

/**
 * Checks that images have the shape a classifier takes and as many pixel values as they claim.
 *
 * @param where The caller's name, for the message.
 * @param images The images.
 * @param shape `[height, width, channels]`: MNIST's 28×28×1 unless given.
 * @throws {RangeError} If not.
 */
export function checkImageShape(
  where: string,
  images: ImageSet,
  shape: readonly number[] = CLASSIFIER_IMAGE_SHAPE,
): void {
  const [height, width, channels] = shape;
  const name = channels === 1 ? "MNIST" : "CIFAR-10";
  if (images.height !== height || images.width !== width || images.channels !== channels) {
    throw new RangeError(
      `${where}: images must be ${height}×${width}×${channels} (${name}), got ` +
        `${images.height}×${images.width}×${images.channels}`,
    );
  }
  const size = height * width * channels;
  if (images.pixels.length !== images.count * size) {
    throw new RangeError(
      `${where}: ${images.count} images of ${height}×${width}×${channels} need ${
        images.count * size
      } pixel values, got ${images.pixels.length}`,
    );
  }
}
