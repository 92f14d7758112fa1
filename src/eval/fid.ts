/**
 * The Fréchet distance between two Gaussians fitted to feature sets (FID, Heusel et al. 2017):
 * `|μ₁ − μ₂|² + tr(Σ₁) + tr(Σ₂) − 2 tr(√(√Σ₁ Σ₂ √Σ₁))`, in float64.
 *
 * @module
 */

import { checkInteger } from "../errors.ts";
import { traceSqrtProduct } from "./linalg.ts";

/**
 * The mean and covariance of a set of feature vectors.
 *
 * @example The statistics of three 2-d points
 * ```ts
 * import { featureStatistics } from "@gan/mnist";
 *
 * const stats = featureStatistics(new Float32Array([0, 0, 1, 0, 2, 3]), 2);
 * console.log(stats.mean); // Float64Array [1, 1]
 * ```
 */
export interface FeatureStatistics {
  /** The number of vectors they were computed from. */
  count: number;
  /** The vectors' length. */
  dim: number;
  /** The mean vector, `dim` values. */
  mean: Float64Array;
  /** The covariance matrix (unbiased, divided by `count − 1`), `dim × dim` values, row-major. */
  covariance: Float64Array;
}

/**
 * The mean and unbiased covariance of feature vectors, accumulated in float64 (two passes: the
 * mean first, then the centred products, so large means cost no precision).
 *
 * @param features `count × dim` values, vector after vector.
 * @param dim The vectors' length.
 * @returns The statistics.
 * @throws {RangeError} If there are fewer than two vectors or the length does not divide.
 *
 * @example The statistics of three 2-d points
 * ```ts
 * import { featureStatistics } from "@gan/mnist";
 *
 * const { mean, covariance } = featureStatistics(new Float32Array([0, 0, 1, 0, 2, 3]), 2);
 * console.log(mean, covariance); // [1, 1], [1, 1.5, 1.5, 3]
 * ```
 */
export function featureStatistics(
  features: ArrayLike<number>,
  dim: number,
): FeatureStatistics {
  checkInteger("featureStatistics", "dim", dim);
  const count = features.length / dim;
  if (!Number.isInteger(count) || count < 2) {
    throw new RangeError(
      `featureStatistics: need at least two vectors of ${dim} values, got ${features.length} values`,
    );
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= count;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = features[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const cj = centred[j];
      if (cj === 0) continue;
      for (let k = j; k < dim; k++) covariance[j * dim + k] += cj * centred[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      covariance[j * dim + k] /= count - 1;
      covariance[k * dim + j] = covariance[j * dim + k];
    }
  }
  return { count, dim, mean, covariance };
}

/**
 * The Fréchet distance between the Gaussians `N(μ₁, Σ₁)` and `N(μ₂, Σ₂)`:
 * `|μ₁ − μ₂|² + tr(Σ₁) + tr(Σ₂) − 2 tr(√(√Σ₁ Σ₂ √Σ₁))`, with the matrix square roots taken
 * through symmetric eigendecompositions in float64. On classifier features it is the FID.
 *
 * @param a The first statistics.
 * @param b The second statistics.
 * @returns The distance, ≥ 0 (a rounding error below zero is returned as 0).
 * @throws {RangeError} If the dimensions differ.
 *
 * @example Two 1-d Gaussians: (μ₁ − μ₂)² + (σ₁ − σ₂)²
 * ```ts
 * import { frechetDistance } from "@gan/mnist";
 *
 * const a = { count: 100, dim: 1, mean: new Float64Array([0]), covariance: new Float64Array([4]) };
 * const b = { count: 100, dim: 1, mean: new Float64Array([3]), covariance: new Float64Array([1]) };
 * console.log(frechetDistance(a, b)); // 9 + (2 − 1)² = 10
 * ```
 */
export function frechetDistance(
  a: Pick<FeatureStatistics, "dim" | "mean" | "covariance">,
  b: Pick<FeatureStatistics, "dim" | "mean" | "covariance">,
): number {
  const n = a.dim;
  if (
    b.dim !== n || a.mean.length !== n || b.mean.length !== n ||
    a.covariance.length !== n * n || b.covariance.length !== n * n
  ) {
    throw new RangeError(
      `frechetDistance: statistics of different sizes (${a.dim} and ${b.dim} dimensions)`,
    );
  }
  let meanTerm = 0;
  let traces = 0;
  for (let i = 0; i < n; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2;
    traces += a.covariance[i * n + i] + b.covariance[i * n + i];
  }
  const distance = meanTerm + traces - 2 * traceSqrtProduct(a.covariance, b.covariance, n);
  return Math.max(distance, 0);
}
