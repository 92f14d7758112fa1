/**
 * The memorisation check: how close samples lie to their nearest training images, in the
 * classifier's feature space, compared with how close training images lie to each other. A
 * generator that draws fresh digits puts about half of its samples nearer to the training set than
 * the median training image is to its nearest other one; a generator that copies training images
 * puts nearly all of them there.
 *
 * The distances are matrix products on the current tf.js backend, a block of rows at a time,
 * reduced there (top-k) so that only the nearest few per row come back.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { type ImageSet, imageSize } from "../data/images.ts";
import { loadMnist } from "../data/mnist.ts";
import { checkInteger } from "../errors.ts";
import { encodePngGrid } from "../sample/grid.ts";
import { Random } from "../random.ts";
import { loadCifarClassifier } from "./cifar_classifier.ts";
import { checkImageShape, classifyImages, loadClassifier } from "./classifier.ts";

/**
 * Options of {@linkcode nearestTraining}.
 *
 * @example Three neighbours of the first 8 images, against 5,000 training digits
 * ```ts
 * import { loadMnist, nearestTraining, type NearestTrainingOptions } from "@gan/mnist";
 *
 * const options: NearestTrainingOptions = {
 *   training: await loadMnist({ limit: 5000 }),
 *   neighbours: 3,
 *   show: 8,
 * };
 * const result = await nearestTraining(await loadMnist({ split: "test", limit: 200 }), options);
 * console.log(result.neighbours.length); // 24
 * ```
 */
export interface NearestTrainingOptions {
  /**
   * The training images. 28×28 digits: the bundled MNIST training set when absent; 32×32 colour
   * images need them given (e.g. `loadCifar10({ dir, split: "train" })`).
   */
  training?: ImageSet;
  /**
   * Nearest training images listed per shown image.
   * @default {5}
   */
  neighbours?: number;
  /**
   * How many of the images (the first ones) get their neighbours listed.
   * @default {0}
   */
  show?: number;
  /**
   * Training images (a fixed random subset) whose nearest other training image gives the median.
   * @default {5000}
   */
  medianSample?: number;
  /**
   * Seed of that subset.
   * @default {0}
   */
  seed?: number;
}

/**
 * What {@linkcode nearestTraining} found. Distances are Euclidean, between classifier features.
 *
 * @example
 * ```ts
 * import { loadMnist, nearestTraining, type NearestTraining } from "@gan/mnist";
 *
 * const training = await loadMnist({ limit: 2000 });
 * const copies = await loadMnist({ limit: 300 });
 * const result: NearestTraining = await nearestTraining(copies, { training, medianSample: 500 });
 * console.log(result.share); // 1: every copy sits on a training digit
 * ```
 */
export interface NearestTraining {
  /**
   * The share of the images whose nearest training image is closer than `medianDistance`: about
   * 0.5 for fresh images like the training set's, towards 1 for copies of it.
   */
  share: number;
  /** The median over `medianCount` training images of the distance to their nearest other one. */
  medianDistance: number;
  /** Training images the median was taken over. */
  medianCount: number;
  /** Each image's distance to its nearest training image. */
  distances: Float32Array;
  /** The shown images' nearest training images: `show × neighboursPerImage` indices, nearest first. */
  neighbours: Uint32Array;
  /** Their distances, in the same order. */
  neighbourDistances: Float32Array;
  /** Neighbours listed per shown image. */
  neighboursPerImage: number;
  /** The number of training images searched. */
  trainingCount: number;
}

/** The training features as distance operands: `Sᵀ` (dim, n) and `−|s|²`. */
interface SearchSet {
  transposed: tf.Tensor2D;
  negNorms: tf.Tensor1D;
  count: number;
  dim: number;
}

/**
 * The `k` nearest training vectors of each query (squared distances and indices, nearest first),
 * a block of rows at a time: `|q − s|² = |q|² + |s|² − 2·q·s`.
 */
async function searchNearest(
  queries: Float32Array,
  set: SearchSet,
  k: number,
): Promise<{ distances: Float32Array; indices: Int32Array }> {
  const { dim } = set;
  const count = queries.length / dim;
  const distances = new Float32Array(count * k), indices = new Int32Array(count * k);
  // About 16 M scores per block, whatever the training set's size.
  const rowsPerBlock = Math.max(1, Math.floor(2 ** 24 / set.count));
  for (let start = 0; start < count; start += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, count - start);
    const [values, found] = tf.tidy(() => {
      const block = tf.tensor2d(queries.subarray(start * dim, (start + rows) * dim), [rows, dim]);
      // (rows, dim) · (dim, n) − |s|² -> (rows, n): 2·q·s − |s|², largest for the nearest
      const scores = tf.fused.matMul({
        a: tf.mul(block, 2),
        b: set.transposed,
        bias: set.negNorms,
      });
      const { values, indices } = tf.topk(scores, k, true);
      return [values, indices];
    });
    distances.set(await values.data() as Float32Array, start * k);
    indices.set(await found.data() as Int32Array, start * k);
    tf.dispose([values, found]);
  }
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) norm += queries[i * dim + c] ** 2;
    for (let j = 0; j < k; j++) distances[i * k + j] = Math.max(norm - distances[i * k + j], 0);
  }
  return { distances, indices };
}

function median(values: Float32Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The rows of `features` at `indices`. */
function rowsAt(features: Float32Array, dim: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    out.set(features.subarray(indices[i] * dim, (indices[i] + 1) * dim), i * dim);
  }
  return out;
}

/** Checks the options and the images' shape; returns the training images and the counts. */
async function resolve(images: ImageSet, options: NearestTrainingOptions) {
  const colour = images.channels === 3;
  checkImageShape("nearestTraining", images, colour ? [32, 32, 3] : [28, 28, 1]);
  const neighbours = checkInteger("nearestTraining", "neighbours", options.neighbours ?? 5, 1, 100);
  const show = checkInteger("nearestTraining", "show", options.show ?? 0, 0, images.count);
  const medianSample = checkInteger(
    "nearestTraining",
    "medianSample",
    options.medianSample ?? 5000,
  );
  if (colour && !options.training) {
    throw new RangeError("nearestTraining: colour images need their training images given");
  }
  const training = options.training ?? await loadMnist({ split: "train" });
  checkImageShape("nearestTraining (training)", training, colour ? [32, 32, 3] : [28, 28, 1]);
  if (training.count <= neighbours) {
    throw new RangeError(
      `nearestTraining: need more than ${neighbours} training images, got ${training.count}`,
    );
  }
  return { colour, training, neighbours, show, medianSample };
}

/**
 * The memorisation check. Each image's nearest training image (Euclidean distance between the
 * shipped classifier's features), and the share of images closer to it than the median training
 * image is to its nearest other training image (itself excluded; over `medianSample` of them).
 * A training image and a fresh draw from the same distribution are alike in that respect, so
 * images that are new to the training set score about 0.5, copies of it 1. Digits from other
 * writers than the training set's (the MNIST test set) score somewhat below 0.5.
 *
 * Runs on the current tf.js backend; every tensor is disposed.
 *
 * @param images The images (28×28×1 digits, or 32×32×3 with `training` given).
 * @param options The training images, the neighbours shown, the median's sample.
 * @returns The share, the median, each image's nearest distance, the shown images' neighbours.
 * @throws {RangeError} On images of another shape or options out of range.
 *
 * @example Held-out digits are not copies
 * ```ts
 * import { loadMnist, nearestTraining, selectBackend } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const training = await loadMnist({ limit: 5000 });
 * const test = await loadMnist({ split: "test", limit: 500 });
 * const { share } = await nearestTraining(test, { training, medianSample: 1000 });
 * console.log(share > 0.3 && share < 0.7); // true
 * ```
 */
export async function nearestTraining(
  images: ImageSet,
  options: NearestTrainingOptions = {},
): Promise<NearestTraining> {
  const { colour, training, neighbours, show, medianSample } = await resolve(images, options);
  const model = colour ? await loadCifarClassifier() : await loadClassifier();
  const real = await classifyImages(model, training);
  const { features, dim } = await classifyImages(model, images);
  const norms = new Float32Array(training.count);
  for (let i = 0; i < training.count; i++) {
    for (let c = 0; c < dim; c++) norms[i] -= real.features[i * dim + c] ** 2;
  }
  const set: SearchSet = tf.tidy(() => ({
    transposed: tf.transpose(tf.tensor2d(real.features, [training.count, dim])),
    negNorms: tf.tensor1d(norms),
    count: training.count,
    dim,
  }));
  try {
    // The median: each sampled training image's nearest other one (the nearest is itself).
    const order = new Random(options.seed ?? 0)
      .shuffle(Uint32Array.from({ length: training.count }, (_, i) => i))
      .subarray(0, Math.min(medianSample, training.count));
    const own = await searchNearest(rowsAt(real.features, dim, order), set, 2);
    const selfFree = Float32Array.from(
      order,
      (index, i) =>
        Math.sqrt(own.indices[2 * i] === index ? own.distances[2 * i + 1] : own.distances[2 * i]),
    );
    const medianDistance = median(selfFree);
    const nearest = await searchNearest(features, set, 1);
    const distances = nearest.distances.map(Math.sqrt);
    const shown = await searchNearest(features.subarray(0, show * dim), set, neighbours);
    return {
      share: distances.filter((d) => d < medianDistance).length / images.count,
      medianDistance,
      medianCount: order.length,
      distances,
      neighbours: Uint32Array.from(shown.indices),
      neighbourDistances: shown.distances.map(Math.sqrt),
      neighboursPerImage: neighbours,
      trainingCount: training.count,
    };
  } finally {
    tf.dispose([set.transposed, set.negNorms]);
  }
}

/**
 * The memorisation check as a picture: one row per shown image, the image, a gap, then its
 * nearest training images, nearest first. Encoded as PNG by `encodePngGrid`.
 *
 * @param images The images {@linkcode nearestTraining} was given.
 * @param training The training images it searched.
 * @param nearest Its result (with `show` > 0).
 * @param scale Each pixel becomes a `scale × scale` block.
 * @returns The PNG file's bytes.
 * @throws {RangeError} If no image was shown.
 *
 * @example Four test digits beside their nearest training digits
 * ```ts
 * import { loadMnist, nearestGrid, nearestTraining } from "@gan/mnist";
 *
 * const training = await loadMnist({ limit: 3000 });
 * const test = await loadMnist({ split: "test", limit: 100 });
 * const nearest = await nearestTraining(test, { training, show: 4, medianSample: 500 });
 * const png = nearestGrid(test, training, nearest);
 * console.log(png.length > 0); // true
 * ```
 */
export function nearestGrid(
  images: ImageSet,
  training: ImageSet,
  nearest: NearestTraining,
  scale = 1,
): Uint8Array {
  const k = nearest.neighboursPerImage;
  const shown = nearest.neighbours.length / k;
  if (shown < 1) throw new RangeError("nearestGrid: no image was shown (nearestTraining's show)");
  const size = imageSize(images);
  const columns = k + 2;
  // The gap is one tile of the grid's padding grey (96 of 255), so it reads as space.
  const pixels = new Float32Array(shown * columns * size).fill(96 / 127.5 - 1);
  for (let row = 0; row < shown; row++) {
    const at = (column: number) => (row * columns + column) * size;
    pixels.set(images.pixels.subarray(row * size, (row + 1) * size), at(0));
    for (let j = 0; j < k; j++) {
      const index = nearest.neighbours[row * k + j];
      pixels.set(training.pixels.subarray(index * size, (index + 1) * size), at(j + 2));
    }
  }
  const grid: ImageSet = { ...images, pixels, count: shown * columns, labels: undefined };
  return encodePngGrid(grid, { columns, scale });
}
