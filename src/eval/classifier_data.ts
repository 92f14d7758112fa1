/**
 * The two shipped classifiers as data: `classifier_weights.json` (MNIST) and
 * `cifar_classifier_weights.json` (CIFAR-10), which `deno task train-classifier` and
 * `deno task train-cifar-classifier` write (tools/classifier/). Each JSON file holds one
 * {@linkcode ShippedClassifier}: how the classifier was trained and what it scores, the mean and
 * covariance of its features on the 10,000 test images, and its files in tf.js layers format.
 *
 * They are JSON modules (`with { type: "json" }`), so they load the same from a checkout, from JSR
 * and in a bundle, with no file access.
 *
 * @module
 */

import type { Evaluation } from "./evaluate.ts";
import type { ClassifierFiles } from "./classifier.ts";
import mnist from "./classifier_weights.json" with { type: "json" };
import cifar from "./cifar_classifier_weights.json" with { type: "json" };

/** What real images score with a classifier: the row `cli.ts eval` prints beside a model's. */
export type RealScores = Pick<
  Evaluation,
  "fid" | "is" | "coverage" | "precision" | "recall" | "confidence"
>;

/**
 * How a shipped classifier was trained and what it scores on its 10,000 test images, with what
 * 10,000 real training images score under the key `RealKey` (`trainDigits` for MNIST,
 * `trainImages` for CIFAR-10).
 *
 * @example What the MNIST classifier scores
 * ```ts
 * import { CLASSIFIER_INFO, type ClassifierInfo } from "./classifier_data.ts";
 *
 * const info: ClassifierInfo<"trainDigits"> = CLASSIFIER_INFO;
 * console.log(info.testAccuracy > 0.99, info.trainDigits.coverage); // true 10
 * ```
 */
export type ClassifierInfo<RealKey extends string> =
  & {
    /** Seed of the weights, the data order and the augmentation. */
    seed: number;
    /** Passes over the training images. */
    epochs: number;
    /** Images per step. */
    batchSize: number;
    /** Training images were shifted by up to this many pixels in x and y. */
    maxShift: number;
    /** How long the training took, in seconds. */
    trainSeconds: number;
    /** The factor that scaled the features to unit mean variance on the test images. */
    featureScale: number;
    /** The share of test images classified as their label. */
    testAccuracy: number;
    /** The Inception Score of the test images. */
    testInceptionScore: number;
    /** The mean top probability on the test images. */
    testConfidence: number;
  }
  & { [key in RealKey]: RealScores };

/**
 * Feature statistics as shipped: little-endian float64 values, base64.
 *
 * @example Decode the mean
 * ```ts
 * import { TEST_FEATURE_STATISTICS } from "./classifier_data.ts";
 *
 * const { dim, meanBase64 } = TEST_FEATURE_STATISTICS;
 * console.log(atob(meanBase64).length === dim * 8); // true
 * ```
 */
export interface EncodedFeatureStatistics {
  /** The number of images measured. */
  count: number;
  /** The feature size. */
  dim: number;
  /** The mean, `dim` float64 values. */
  meanBase64: string;
  /** The covariance, `dim × dim` float64 values, row after row. */
  covarianceBase64: string;
}

/**
 * One shipped classifier, as its JSON file holds it.
 *
 * @example The MNIST classifier's first layer
 * ```ts
 * import { CLASSIFIER_FILES } from "./classifier_data.ts";
 *
 * console.log(CLASSIFIER_FILES.weightSpecs[0].name); // conv1/kernel
 * ```
 */
export interface ShippedClassifier<RealKey extends string> {
  /** Which command wrote the file. */
  generatedBy: string;
  /** How it was trained and what it scores. */
  info: ClassifierInfo<RealKey>;
  /** Mean and covariance of its features on the 10,000 test images: what FID compares with. */
  testFeatureStatistics: EncodedFeatureStatistics;
  /** Its topology, weights manifest and weights (base64), in tf.js layers format. */
  files: ClassifierFiles;
}

const MNIST = mnist as ShippedClassifier<"trainDigits">;
const CIFAR = cifar as ShippedClassifier<"trainImages">;

/**
 * How the shipped MNIST classifier was trained, and what it scores on the 10,000 test digits.
 *
 * @example Its test accuracy
 * ```ts
 * import { CLASSIFIER_INFO } from "./classifier_data.ts";
 *
 * console.log(`${(CLASSIFIER_INFO.testAccuracy * 100).toFixed(2)}%`); // 99.25%
 * ```
 */
export const CLASSIFIER_INFO: ClassifierInfo<"trainDigits"> = MNIST.info;

/**
 * The MNIST classifier in tf.js layers format: topology, weights manifest, float32 weights
 * (base64).
 *
 * @example Its weight tensors
 * ```ts
 * import { CLASSIFIER_FILES } from "./classifier_data.ts";
 *
 * console.log(CLASSIFIER_FILES.weightSpecs.length); // 8
 * ```
 */
export const CLASSIFIER_FILES: ClassifierFiles = MNIST.files;

/**
 * Mean and covariance of the MNIST classifier's features on the 10,000 test digits.
 *
 * @example Their size
 * ```ts
 * import { TEST_FEATURE_STATISTICS } from "./classifier_data.ts";
 *
 * console.log(TEST_FEATURE_STATISTICS.count, TEST_FEATURE_STATISTICS.dim); // 10000 64
 * ```
 */
export const TEST_FEATURE_STATISTICS: EncodedFeatureStatistics = MNIST.testFeatureStatistics;

/**
 * How the shipped CIFAR-10 classifier was trained, and what it scores on the 10,000 test images.
 *
 * @example Its test accuracy
 * ```ts
 * import { CIFAR_CLASSIFIER_INFO } from "./classifier_data.ts";
 *
 * console.log(`${(CIFAR_CLASSIFIER_INFO.testAccuracy * 100).toFixed(1)}%`); // 75.3%
 * ```
 */
export const CIFAR_CLASSIFIER_INFO: ClassifierInfo<"trainImages"> = CIFAR.info;

/**
 * The CIFAR-10 classifier in tf.js layers format: topology, weights manifest, float16 weights
 * (base64).
 *
 * @example Its weights are float16
 * ```ts
 * import { CIFAR_CLASSIFIER_FILES } from "./classifier_data.ts";
 *
 * console.log(CIFAR_CLASSIFIER_FILES.weightSpecs[0].quantization?.dtype); // float16
 * ```
 */
export const CIFAR_CLASSIFIER_FILES: ClassifierFiles = CIFAR.files;

/**
 * Mean and covariance of the CIFAR-10 classifier's features on the 10,000 test images.
 *
 * @example Their size
 * ```ts
 * import { CIFAR_TEST_FEATURE_STATISTICS } from "./classifier_data.ts";
 *
 * console.log(CIFAR_TEST_FEATURE_STATISTICS.dim); // 64
 * ```
 */
export const CIFAR_TEST_FEATURE_STATISTICS: EncodedFeatureStatistics = CIFAR.testFeatureStatistics;
