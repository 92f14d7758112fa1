/**
 * The sample-quality evaluator: FID (with its protocol: n, the reference, the real-versus-real
 * floor at that n), KID, a classifier-based Inception Score, class coverage and histogram, mean
 * confidence, and k-NN precision and recall, all judged by the shipped MNIST classifier against the
 * MNIST test set (32×32 colour images by the shipped CIFAR-10 classifier against the statistics of
 * CIFAR-10's test set).
 *
 * @module
 */

import type { ImageSet } from "../data/images.ts";
import { checkInteger, checkNumber } from "../errors.ts";
import { sample } from "../sample/sample.ts";
import type { LayersModel } from "../tf_types.ts";
import { CIFAR_CLASSIFIER_IMAGE_SHAPE, loadCifarClassifier } from "./cifar_classifier.ts";
import {
  checkImageShape,
  CLASS_COUNT,
  CLASSIFIER_IMAGE_SHAPE,
  classifyImages,
  fromBase64,
  loadClassifier,
} from "./classifier.ts";
import { CIFAR_TEST_FEATURE_STATISTICS, TEST_FEATURE_STATISTICS } from "./classifier_data.ts";
import { featureStatistics, frechetDistance } from "./fid.ts";
import { kernelDistance } from "./kid.ts";
import { featureManifold, precisionRecall } from "./precision_recall.ts";
import {
  type EvaluationReference,
  givenReference,
  type Judge,
  type ReferenceFeatures,
  shippedReference,
} from "./reference.ts";
import { classScores } from "./scores.ts";

export type { EvaluationReference, Judge };

/**
 * Options of {@linkcode evaluate}.
 *
 * @example Precision and recall to the 5th neighbour, against 2,000 training digits
 * ```ts
 * import { evaluate, type EvaluateOptions, loadMnist } from "@gan/mnist";
 *
 * const options: EvaluateOptions = { k: 5, reference: await loadMnist({ limit: 2000 }) };
 * const result = await evaluate(await loadMnist({ split: "test", limit: 1000 }), options);
 * console.log(result.precision, result.recall);
 * ```
 */
export interface EvaluateOptions {
  /**
   * The neighbour the k-NN balls of precision and recall reach.
   * @default {3}
   */
  k?: number;
  /**
   * The real images to compare with. By default the bundled MNIST test set: FID against its
   * shipped feature statistics, precision and recall against a fixed random subset of it of the
   * samples' number (at most `maxReference`). Given, FID and precision/recall use these images.
   * For colour images the default is FID against the shipped statistics of CIFAR-10's test set
   * and no KID, floor, precision and recall (NaN): the package holds no CIFAR-10 images.
   */
  reference?: ImageSet;
  /**
   * What the protocol calls a given `reference` (`Evaluation.reference.name`), e.g.
   * `"CIFAR-10 test"`.
   * @default {"given images"}
   */
  referenceName?: string;
  /**
   * Subsets KID averages over.
   * @default {100}
   */
  kidSubsets?: number;
  /**
   * Images drawn from each side per KID subset (at most the images' and the reference's number).
   * @default {1000}
   */
  kidSubsetSize?: number;
  /**
   * At most this many reference images for precision and recall.
   * @default {10000}
   */
  maxReference?: number;
  /**
   * The share of the images a class needs to count as covered.
   * @default {0.05}
   */
  coverageThreshold?: number;
}

/**
 * What the evaluator measured on a set of images.
 *
 * @example Print the headline numbers
 * ```ts
 * import { evaluate, type Evaluation, loadMnist } from "@gan/mnist";
 *
 * const result: Evaluation = await evaluate(await loadMnist({ limit: 500 }));
 * console.log(result.fid.toFixed(2), result.is.toFixed(2), result.coverage);
 * ```
 */
export interface Evaluation {
  /** The number of images evaluated: the n of FID's and KID's protocol. */
  count: number;
  /** Fréchet distance of their classifier features to the reference's (lower is better; 0 = alike).
   * Biased upwards at small n: compare it with `fidFloor`, and only at equal n. */
  fid: number;
  /** The set FID and KID compared with, and how many images its statistics hold. */
  reference: EvaluationReference;
  /**
   * The real-versus-real floor: the FID of `fidFloorCount` real images under the same protocol.
   * Against the MNIST test set: that many MNIST training digits (a fixed random subset) against
   * the test set's statistics, what a generator drawing fresh digits like its training data
   * scores. Against given reference images: `min(n, ⌊N/2⌋)` of them against the other ones.
   * NaN without real images (colour images without a reference).
   */
  fidFloor: number;
  /** Real images the floor measured: n, or fewer where fewer are available (0: none). */
  fidFloorCount: number;
  /**
   * Kernel Inception Distance on the same features (Bińkowski et al. 2018): the unbiased MMD²
   * under `k(x, y) = (xᵀy/d + 1)³`, averaged over `kidSubsets` subsets of `kidSubsetSize`. About 0
   * for images like the reference at any n (slightly negative happens); NaN without reference
   * images.
   */
  kid: number;
  /** The standard deviation of KID's subset estimates (NaN without reference images). */
  kidStd: number;
  /** Images per side in each KID subset: `min(1000, n, reference images)` (0: no KID). */
  kidSubsetSize: number;
  /** Classifier-based Inception Score, `exp(E[KL(p(y|x) ‖ p(y))])`: 1 to 10, higher is better. */
  is: number;
  /** The number of classes holding at least `coverageThreshold` (5%) of the images. */
  coverage: number;
  /** k-NN precision: the share of images inside the reference's feature manifold (NaN: none). */
  precision: number;
  /** k-NN recall: the share of reference images inside the images' feature manifold (NaN: none). */
  recall: number;
  /** The mean over images of the classifier's largest class probability. */
  confidence: number;
  /** The share of images the classifier assigns to each class (digit 0–9, or CIFAR-10's class);
   * sums to 1. */
  classShare: number[];
  /** The `k` of precision and recall. */
  k: number;
  /** The number of reference images precision and recall compared with (0: none); at most
   * `maxReference` and n, so it can be fewer than `reference.count`. */
  referenceCount: number;
  /**
   * For images that carry labels (samples of a conditional generator: the class each was asked
   * for): the share the classifier assigns to their label. Absent for unlabelled images.
   */
  labelAccuracy?: number;
  /** Per class, the share of the images labelled with it that the classifier assigns to it. */
  labelAccuracyByClass?: number[];
}

const MNIST_TEST_SIZE = 10_000;

const shipped = new Map<"mnist" | "cifar", Promise<Judge>>();

/** Float64 values from base64 (little-endian). */
function decodeFloat64(base64: string): Float64Array {
  const view = new DataView(fromBase64(base64).buffer);
  return Float64Array.from({ length: view.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

/** The shipped classifier and statistics for MNIST or CIFAR-10 images, built once. */
function shippedJudge(kind: "mnist" | "cifar"): Promise<Judge> {
  let judge = shipped.get(kind);
  if (!judge) {
    const [load, { count, dim, meanBase64, covarianceBase64 }] = kind === "mnist"
      ? [loadClassifier, TEST_FEATURE_STATISTICS]
      : [loadCifarClassifier, CIFAR_TEST_FEATURE_STATISTICS];
    judge = load().then((model) => ({
      model,
      statistics: {
        count,
        dim,
        mean: decodeFloat64(meanBase64),
        covariance: decodeFloat64(covarianceBase64),
      },
    }));
    shipped.set(kind, judge);
  }
  return judge;
}

/** Which shipped classifier judges images of this shape. */
function kindOf(where: string, images: ImageSet): "mnist" | "cifar" {
  const [h, w, c] = CIFAR_CLASSIFIER_IMAGE_SHAPE;
  if (images.height === h && images.width === w && images.channels === c) {
    checkImageShape(where, images, CIFAR_CLASSIFIER_IMAGE_SHAPE);
    return "cifar";
  }
  if (images.channels !== 1) {
    throw new RangeError(
      `${where}: images must be 28×28×1 (MNIST) or 32×32×3 (CIFAR-10), got ` +
        `${images.height}×${images.width}×${images.channels}`,
    );
  }
  checkImageShape(where, images, CLASSIFIER_IMAGE_SHAPE);
  return "mnist";
}

/**
 * Evaluates a set of 28×28 grey images (pixels in [-1, 1], as `sample` and `loadMnist` give them)
 * with the shipped MNIST classifier: FID on its 64 penultimate features against the MNIST test set,
 * with the real-versus-real floor at the same n (`fidFloor`), KID on the same features, a
 * classifier-based Inception Score, class coverage and shares, mean confidence, and k-NN precision
 * and recall (Kynkäänniemi et al. 2019) on the same features. 32×32×3 images (`dcgan32`,
 * `loadCifar10`) are judged the same way by the shipped CIFAR-10 classifier (64 features), FID
 * against its features' statistics on CIFAR-10's test set; KID, the floor, precision and recall
 * only against a given `reference`.
 *
 * Runs on the current tf.js backend (call `selectBackend` first). The first call builds the
 * classifier and reads the bundled MNIST test set (KID, precision and recall) and, once per n,
 * training digits for the floor; they stay in memory for later calls. Every other tensor is
 * disposed.
 *
 * @param images The images; at least `k + 1` of them (and 2 for FID).
 * @param options `k`, the reference images, the coverage threshold, KID's subsets.
 * @returns The metrics.
 * @throws {RangeError} If the images are neither 28×28×1 nor 32×32×3, or too few.
 * @throws {DataFileError} If the bundled MNIST test set cannot be read.
 *
 * @example Real digits score like real digits
 * ```ts
 * import { evaluate, loadMnist, selectBackend } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const digits = await loadMnist({ split: "train", limit: 1000 });
 * const { fid, fidFloor, kid, kidStd, is, coverage, precision, recall } = await evaluate(digits);
 * console.log({ fid, fidFloor, kid, kidStd, is, coverage, precision, recall });
 * ```
 */
export async function evaluate(
  images: ImageSet,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  // Checked before the classifier is built, so that bad input fails fast.
  checkOptions(images, options);
  return await evaluateWith(await shippedJudge(kindOf("evaluate", images)), images, options);
}

/** Checks the images and options of {@linkcode evaluate}; returns `k`. */
function checkOptions(images: ImageSet, options: EvaluateOptions): number {
  const kind = kindOf("evaluate", images);
  const k = checkInteger("evaluate", "k", options.k ?? 3);
  checkInteger("evaluate", "maxReference", options.maxReference ?? 10_000, 2);
  checkNumber("evaluate", "coverageThreshold", options.coverageThreshold ?? 0.05, 0, 1);
  checkInteger("evaluate", "kidSubsets", options.kidSubsets ?? 100);
  checkInteger("evaluate", "kidSubsetSize", options.kidSubsetSize ?? 1000, 2);
  const needed = Math.max(2, k + 1);
  if (images.count < needed) {
    throw new RangeError(
      `evaluate: need at least ${needed} images (k = ${k}), got ${images.count}`,
    );
  }
  if (options.reference) {
    if (kindOf("evaluate (reference)", options.reference) !== kind) {
      throw new RangeError("evaluate: the reference images must have the images' shape");
    }
    if (options.reference.count <= k) {
      throw new RangeError(
        `evaluate: need more than k = ${k} reference images, got ${options.reference.count}`,
      );
    }
  }
  return k;
}

/**
 * {@linkcode evaluate} with a given classifier and test-set statistics (what the classifier's
 * training script uses to score real digits before the classifier ships).
 *
 * @param judge The classifier and its features' statistics on the test set.
 * @param images The images.
 * @param options As for {@linkcode evaluate}.
 * @returns The metrics.
 */
export async function evaluateWith(
  judge: Judge,
  images: ImageSet,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const k = checkOptions(images, options);
  const { features, probabilities, dim } = await classifyImages(judge.model, images);
  const scores = classScores(probabilities, { coverageThreshold: options.coverageThreshold });
  const real = await referenceOf(judge, images, options, k);
  const fid = frechetDistance(featureStatistics(features, dim), real.statistics);
  const kid = real.features
    ? await kernelDistance(features, real.features, dim, {
      subsets: options.kidSubsets,
      subsetSize: options.kidSubsetSize,
    })
    : { kid: NaN, std: NaN, subsetSize: 0 };
  // Colour images without reference images: no bundled test set to measure the manifold of.
  const { precision, recall } = real.manifold
    ? await precisionRecall(real.manifold, await featureManifold(features, dim, { k }))
    : { precision: NaN, recall: NaN };
  return {
    count: images.count,
    fid,
    reference: real.description,
    fidFloor: real.floor.fid,
    fidFloorCount: real.floor.count,
    kid: kid.kid,
    kidStd: kid.std,
    kidSubsetSize: kid.subsetSize,
    is: scores.inceptionScore,
    coverage: scores.coverage,
    precision,
    recall,
    confidence: scores.confidence,
    classShare: scores.classShare,
    k,
    referenceCount: real.manifold?.count ?? 0,
    ...(images.labels ? labelAccuracy(probabilities, images.labels) : {}),
  };
}

/** The reference of an evaluation: the caller's images, or the shipped one for the images' kind. */
function referenceOf(
  judge: Judge,
  images: ImageSet,
  options: EvaluateOptions,
  k: number,
): Promise<ReferenceFeatures> {
  const maxReference = options.maxReference ?? 10_000;
  if (options.reference) {
    const manifoldCount = Math.min(images.count, maxReference, options.reference.count);
    const name = options.referenceName ?? "given images";
    return givenReference(judge.model, options.reference, name, images.count, manifoldCount, k);
  }
  const manifoldCount = Math.min(images.count, maxReference, MNIST_TEST_SIZE);
  return shippedReference(judge, images.channels === 3, images.count, manifoldCount, k);
}

/** The share of images the classifier puts in their labelled class, overall and per class. */
function labelAccuracy(
  probabilities: Float32Array,
  labels: Uint8Array,
): { labelAccuracy: number; labelAccuracyByClass: number[] } {
  const hits = new Array(CLASS_COUNT).fill(0), counts = new Array(CLASS_COUNT).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities.subarray(i * CLASS_COUNT, (i + 1) * CLASS_COUNT);
    let best = 0;
    for (let c = 1; c < CLASS_COUNT; c++) if (p[c] > p[best]) best = c;
    counts[labels[i]]++;
    if (best === labels[i]) hits[labels[i]]++;
  }
  const total = hits.reduce((a, b) => a + b, 0);
  return {
    labelAccuracy: total / labels.length,
    labelAccuracyByClass: hits.map((h, c) => (counts[c] ? h / counts[c] : NaN)),
  };
}

/**
 * Options of {@linkcode evaluateGenerator}.
 *
 * @example 2,000 samples, as training uses
 * ```ts
 * import {
 *   createGenerator,
 *   evaluateGenerator,
 *   type EvaluateGeneratorOptions,
 *   selectBackend,
 * } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const options: EvaluateGeneratorOptions = { n: 2000, seed: 1 };
 * console.log((await evaluateGenerator(createGenerator({ seed: 1 }), options)).fid);
 * ```
 */
export interface EvaluateGeneratorOptions extends EvaluateOptions {
  /**
   * How many samples to draw and evaluate.
   * @default {10000}
   */
  n?: number;
  /**
   * Seed of the noise: the same seed and generator give the same samples and metrics.
   * @default {0}
   */
  seed?: number;
}

/**
 * Draws `n` samples from a generator (with `sample`) and evaluates them (with
 * {@linkcode evaluate}); what training calls every few epochs. About 2 seconds for 2,000 samples
 * on 2 CPU cores once the classifier and the reference are in memory.
 *
 * @param generator A model from `(B, latentDim)` noise to `(B, 28, 28, 1)` or `(B, 32, 32, 3)`
 * images.
 * @param options How many samples, their seed, and the options of {@linkcode evaluate}.
 * @returns The metrics.
 *
 * @example Evaluate an untrained generator (it scores badly)
 * ```ts
 * import { createGenerator, evaluateGenerator, selectBackend } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const { fid, coverage } = await evaluateGenerator(generator, { n: 500, seed: 2 });
 * console.log(fid, coverage);
 * ```
 */
export async function evaluateGenerator(
  generator: LayersModel,
  options: EvaluateGeneratorOptions = {},
): Promise<Evaluation> {
  const { n = 10_000, seed = 0, ...rest } = options;
  const images = await sample(generator, { n, seed });
  return await evaluate(images, rest);
}
