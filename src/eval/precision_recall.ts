/**
 * Precision and recall of a sample distribution by k-nearest-neighbour manifolds (Kynkäänniemi et
 * al., "Improved Precision and Recall Metric for Assessing Generative Models", 2019): each set's
 * manifold is the union of balls around its points reaching their k-th nearest neighbour in the
 * set; precision is the share of samples inside the real manifold, recall the share of real points
 * inside the samples' manifold.
 *
 * The pairwise distances are matrix products on the current tf.js backend, a block of rows at a
 * time, reduced on the backend (top-k, min) so that only one number per row comes back.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { checkInteger } from "../errors.ts";

/**
 * A set of feature vectors with the squared distance of each to its k-th nearest neighbour in the
 * set (itself not counted): the balls whose union estimates the set's manifold.
 *
 * @example
 * ```ts
 * import { featureManifold, type FeatureManifold } from "@gan/mnist";
 *
 * const manifold: FeatureManifold = await featureManifold(new Float32Array([0, 1, 3, 7]), 1, { k: 1 });
 * console.log(manifold.radii); // squared: [1, 1, 4, 16]
 * ```
 */
export interface FeatureManifold {
  /** `count × dim` values, vector after vector. */
  features: Float32Array;
  /** The number of vectors. */
  count: number;
  /** The vectors' length. */
  dim: number;
  /** The neighbour the balls reach: 1 is the nearest other point. */
  k: number;
  /** Squared distance of each vector to its k-th nearest neighbour. */
  radii: Float32Array;
}

/**
 * Options of {@linkcode featureManifold}.
 *
 * @example Balls to the 5th neighbour
 * ```ts
 * import { featureManifold, type FeatureManifoldOptions } from "@gan/mnist";
 *
 * const options: FeatureManifoldOptions = { k: 5 };
 * const { radii } = await featureManifold(new Float32Array([0, 1, 2, 3, 4, 5, 6]), 1, options);
 * console.log(radii[0]); // 25
 * ```
 */
export interface FeatureManifoldOptions {
  /**
   * Which neighbour the balls reach.
   * @default {3}
   */
  k?: number;
  /**
   * Rows of the distance matrix computed at a time (bounds memory, not the result).
   * @default {512}
   */
  chunkSize?: number;
}

/** The set as tensors for distance blocks: `2·X` by rows, `Xᵀ` by columns, `|x|²`. */
interface Operands {
  doubled: tf.Tensor2D;
  transposed: tf.Tensor2D;
  norms: Float32Array;
}

function operands(features: Float32Array, count: number, dim: number): Operands {
  const norms = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += features[i * dim + j] ** 2;
    norms[i] = sum;
  }
  return tf.tidy(() => {
    const rows = tf.tensor2d(features, [count, dim]);
    return {
      doubled: tf.mul(rows, 2) as tf.Tensor2D,
      transposed: tf.transpose(rows) as tf.Tensor2D,
      norms,
    };
  });
}

function checkFeatures(where: string, features: Float32Array, dim: number): number {
  checkInteger(where, "dim", dim);
  const count = features.length / dim;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(
      `${where}: expected vectors of ${dim} values, got ${features.length} values`,
    );
  }
  return count;
}

/**
 * For each row block of `queries`: `max_j (2·q·s_j − bias_j)` over the columns `s_j` (or the
 * `k`-th largest), i.e. minus the smallest of `|s_j|² + bias_j − 2·q·s_j` (or the k-th smallest).
 */
async function reduceBlocks(
  queries: Operands,
  set: Operands,
  bias: Float32Array,
  chunkSize: number,
  kth: number | undefined,
): Promise<Float32Array> {
  const count = queries.norms.length;
  const out = new Float32Array(count);
  const dim = queries.doubled.shape[1];
  const negBias = tf.tensor1d(bias.map((b, j) => -(set.norms[j] + b)));
  try {
    for (let start = 0; start < count; start += chunkSize) {
      const rows = Math.min(chunkSize, count - start);
      const reduced = tf.tidy(() => {
        const block = tf.slice(queries.doubled, [start, 0], [rows, dim]);
        // (rows, dim) · (dim, n) + (n) -> (rows, n): 2·q·s − |s|² − bias
        const scores = tf.fused.matMul({ a: block, b: set.transposed, bias: negBias });
        if (kth === undefined) return tf.max(scores, 1);
        // (rows, n) -> (rows, kth): the kth largest scores, i.e. the kth smallest distances
        const { values } = tf.topk(scores, kth, true);
        return tf.reshape(tf.slice(values, [0, kth - 1], [rows, 1]), [rows]);
      });
      out.set(await reduced.data() as Float32Array, start);
      reduced.dispose();
    }
  } finally {
    negBias.dispose();
  }
  // |q − s|² = |q|² + |s|² − 2·q·s
  for (let i = 0; i < count; i++) out[i] = queries.norms[i] - out[i];
  return out;
}

/**
 * Computes a set's k-nearest-neighbour balls.
 *
 * @param features `count × dim` values, vector after vector; `count` must exceed `k`.
 * @param dim The vectors' length.
 * @param options `k` and the block size.
 * @returns The manifold.
 * @throws {RangeError} If the sizes do not fit or there are not more than `k` vectors.
 *
 * @example Four points on a line, nearest neighbour
 * ```ts
 * import { featureManifold } from "@gan/mnist";
 *
 * const { radii } = await featureManifold(new Float32Array([0, 1, 3, 7]), 1, { k: 1 });
 * console.log(radii); // [1, 1, 4, 16]
 * ```
 */
export async function featureManifold(
  features: Float32Array,
  dim: number,
  options: FeatureManifoldOptions = {},
): Promise<FeatureManifold> {
  const count = checkFeatures("featureManifold", features, dim);
  const k = checkInteger("featureManifold", "k", options.k ?? 3);
  const chunkSize = checkInteger("featureManifold", "chunkSize", options.chunkSize ?? 512);
  if (count <= k) {
    throw new RangeError(`featureManifold: need more than k = ${k} vectors, got ${count}`);
  }
  await tf.ready();
  const set = operands(features, count, dim);
  try {
    // The nearest "neighbour" is the point itself, at distance 0: the k-th other one is k + 1-th.
    const radii = await reduceBlocks(set, set, new Float32Array(count), chunkSize, k + 1);
    for (let i = 0; i < count; i++) radii[i] = Math.max(radii[i], 0);
    return { features, count, dim, k, radii };
  } finally {
    tf.dispose([set.doubled, set.transposed]);
  }
}

/**
 * The share of `queries` that lie in at least one ball of `manifold` (distance ≤ its radius).
 *
 * @param queries `count × dim` values, vector after vector.
 * @param manifold The balls.
 * @param chunkSize Rows of the distance matrix computed at a time.
 * @returns A share in [0, 1].
 */
export async function shareInManifold(
  queries: Float32Array,
  manifold: FeatureManifold,
  chunkSize = 512,
): Promise<number> {
  const count = checkFeatures("shareInManifold", queries, manifold.dim);
  await tf.ready();
  const query = operands(queries, count, manifold.dim);
  const set = operands(manifold.features, manifold.count, manifold.dim);
  try {
    // min_j (|q − s_j|² − r_j) ≤ 0 ⟺ q lies in some ball.
    const margins = await reduceBlocks(
      query,
      set,
      manifold.radii.map((r) => -r),
      chunkSize,
      undefined,
    );
    return margins.filter((m) => m <= 0).length / count;
  } finally {
    tf.dispose([query.doubled, query.transposed, set.doubled, set.transposed]);
  }
}

/**
 * Precision and recall of samples against real data.
 *
 * @example
 * ```ts
 * import { featureManifold, type PrecisionRecall, precisionRecall } from "@gan/mnist";
 *
 * const real = await featureManifold(new Float32Array([0, 1, 2, 3]), 1, { k: 1 });
 * const fake = await featureManifold(new Float32Array([0, 1, 10, 11]), 1, { k: 1 });
 * const result: PrecisionRecall = await precisionRecall(real, fake);
 * console.log(result); // { precision: 0.5, recall: 0.75 }
 * ```
 */
export interface PrecisionRecall {
  /** The share of samples inside the real data's manifold: how realistic they are. */
  precision: number;
  /** The share of real data inside the samples' manifold: how much of it they cover. */
  recall: number;
}

/**
 * Precision and recall of samples against real data, on feature manifolds of the same `k`.
 *
 * @param real The real data's manifold.
 * @param samples The samples' manifold.
 * @param chunkSize Rows of the distance matrix computed at a time.
 * @returns Precision and recall in [0, 1].
 * @throws {RangeError} If the manifolds differ in dimension.
 *
 * @example Samples that are the real points: precision and recall 1
 * ```ts
 * import { featureManifold, precisionRecall } from "@gan/mnist";
 *
 * const points = new Float32Array([0, 1, 3, 7, 8]);
 * const real = await featureManifold(points, 1, { k: 1 });
 * console.log(await precisionRecall(real, real)); // { precision: 1, recall: 1 }
 * ```
 */
export async function precisionRecall(
  real: FeatureManifold,
  samples: FeatureManifold,
  chunkSize = 512,
): Promise<PrecisionRecall> {
  if (real.dim !== samples.dim) {
    throw new RangeError(
      `precisionRecall: features of different sizes (${real.dim} and ${samples.dim})`,
    );
  }
  return {
    precision: await shareInManifold(samples.features, real, chunkSize),
    recall: await shareInManifold(real.features, samples, chunkSize),
  };
}
