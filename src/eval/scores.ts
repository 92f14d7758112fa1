/**
 * Scores from a classifier's class probabilities alone: the classifier-based Inception Score,
 * the class histogram and coverage, and the mean confidence.
 *
 * @module
 */

import { checkNumber } from "../errors.ts";

/**
 * What the class probabilities of a set of images say about it.
 *
 * @example
 * ```ts
 * import { classScores, type ClassScores } from "@gan/mnist";
 *
 * const scores: ClassScores = classScores(new Float32Array([1, 0, 0, 1]), { classes: 2 });
 * console.log(scores.inceptionScore); // 2
 * ```
 */
export interface ClassScores {
  /**
   * `exp(E[KL(p(y|x) ‖ p(y))])`: from 1 (every image alike, or no confident class) to the number of
   * classes (each image sure of its class, the classes equally often).
   */
  inceptionScore: number;
  /** The share of images whose most probable class is each class; sums to 1. */
  classShare: number[];
  /** How many classes hold at least `coverageThreshold` of the images. */
  coverage: number;
  /** The mean over images of the largest class probability. */
  confidence: number;
}

/**
 * Options of {@linkcode classScores}.
 *
 * @example Count classes holding at least 10%
 * ```ts
 * import { classScores, type ClassScoresOptions } from "@gan/mnist";
 *
 * const options: ClassScoresOptions = { classes: 2, coverageThreshold: 0.1 };
 * console.log(classScores(new Float32Array([1, 0, 1, 0, 0, 1]), options).coverage); // 2
 * ```
 */
export interface ClassScoresOptions {
  /**
   * The number of classes: the length of each image's probability vector.
   * @default {10}
   */
  classes?: number;
  /**
   * The share of the images a class needs to count as covered.
   * @default {0.05}
   */
  coverageThreshold?: number;
}

/**
 * Scores a set of images from their class probabilities: the Inception Score computed with the
 * given classifier (not Inception), the class shares by most probable class, the coverage and the
 * mean confidence.
 *
 * @param probabilities `count × classes` probabilities, image after image, each row summing to 1.
 * @param options The number of classes and the coverage threshold.
 * @returns The scores.
 * @throws {RangeError} If there are no rows or the length does not divide.
 *
 * @example Two images, each sure of another class
 * ```ts
 * import { classScores } from "@gan/mnist";
 *
 * const scores = classScores(new Float32Array([0, 1, 1, 0]), { classes: 2 });
 * console.log(scores.inceptionScore, scores.coverage, scores.classShare); // 2 2 [0.5, 0.5]
 * ```
 */
export function classScores(
  probabilities: ArrayLike<number>,
  options: ClassScoresOptions = {},
): ClassScores {
  const classes = options.classes ?? 10;
  const threshold = checkNumber(
    "classScores",
    "coverageThreshold",
    options.coverageThreshold ?? 0.05,
    0,
    1,
  );
  const count = probabilities.length / classes;
  if (!Number.isInteger(classes) || classes < 1 || !Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `classScores: expected rows of ${classes} probabilities, got ${probabilities.length} values`,
    );
  }
  const marginal = new Float64Array(classes);
  const counts = new Float64Array(classes);
  let confidence = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[i * classes + c];
      marginal[c] += p;
      if (p > probabilities[i * classes + best]) best = c;
    }
    counts[best]++;
    confidence += probabilities[i * classes + best];
  }
  for (let c = 0; c < classes; c++) marginal[c] /= count;
  // E_x[KL(p(y|x) ‖ p(y))] = E_x[Σ_y p(y|x) log p(y|x)] − Σ_y p(y) log p(y), with 0 log 0 = 0.
  let klSum = 0;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < classes; c++) {
      const p = probabilities[i * classes + c];
      if (p > 0) klSum += p * Math.log(p / marginal[c]);
    }
  }
  const classShare = Array.from(counts, (n) => n / count);
  return {
    inceptionScore: Math.exp(Math.max(klSum / count, 0)),
    classShare,
    coverage: classShare.filter((share) => share >= threshold).length,
    confidence: confidence / count,
  };
}
