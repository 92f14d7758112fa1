/**
 * @gan/mnist/eval: judge samples without the training code: FID with its protocol (n, the
 * reference, the real-vs-real floor), KID, Inception Score, class coverage, precision and recall
 * with the shipped MNIST classifier (and, for 32×32 colour images, the shipped CIFAR-10 one), the
 * memorisation check (`nearestTraining`), and the pieces they are made of.
 *
 * ```ts
 * import { loadMnist } from "@gan/mnist/data";
 * import { evaluate } from "@gan/mnist/eval";
 *
 * const images = await loadMnist({ split: "train", limit: 1000 });
 * const { fid, fidFloor, kid, is, coverage } = await evaluate(images);
 * console.log(fid < 5, fidFloor < fid, Math.abs(kid) < 1, is > 9, coverage); // true true true true 10
 * ```
 *
 * `selectBackend` comes along because tf.js needs a backend before the first classification.
 * Samples written by `cli.ts sample --out FILE.idx` read back with `readIdx` and `bytesToPixels`
 * from `@gan/mnist/data`; a generator in memory is judged by `evaluateGenerator`. Everything here
 * is also exported by `@gan/mnist`.
 *
 * @module
 */

export {
  evaluate,
  evaluateGenerator,
  type EvaluateGeneratorOptions,
  type EvaluateOptions,
  type Evaluation,
  type EvaluationReference,
} from "./evaluate.ts";
export { type KernelDistance, kernelDistance, type KernelDistanceOptions } from "./kid.ts";
export {
  nearestGrid,
  type NearestTraining,
  nearestTraining,
  type NearestTrainingOptions,
} from "./nearest.ts";
export { type ClassifierOutput, classifyImages, loadClassifier } from "./classifier.ts";
export { loadCifarClassifier } from "./cifar_classifier.ts";
export { type FeatureStatistics, featureStatistics, frechetDistance } from "./fid.ts";
export {
  type FeatureManifold,
  featureManifold,
  type FeatureManifoldOptions,
  type PrecisionRecall,
  precisionRecall,
} from "./precision_recall.ts";
export { type ClassScores, classScores, type ClassScoresOptions } from "./scores.ts";
export { sqrtmSymmetric, type SymmetricEigen, symmetricEigen } from "./linalg.ts";
export {
  type BackendChoice,
  type BackendName,
  type BackendSelection,
  BackendUnavailableError,
  selectBackend,
  type SelectBackendOptions,
  type WasmKernels,
} from "../backend/select.ts";
export type { ImageSet } from "../data/images.ts";
export type { LayersModel } from "../tf_types.ts";
