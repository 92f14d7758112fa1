/**
 * The real images an evaluation compares with, measured once per process: the MNIST test set's
 * features (for KID and precision/recall), its balls, and the real-versus-real FID floor by
 * reference and sample count, the protocol every FID is printed with.
 *
 * @module
 */

import type { ImageSet } from "../data/images.ts";
import { pickImages } from "../data/images.ts";
import { loadMnist } from "../data/mnist.ts";
import { Random } from "../random.ts";
import type { LayersModel } from "../tf_types.ts";
import { classifyImages } from "./classifier.ts";
import { type FeatureStatistics, featureStatistics, frechetDistance } from "./fid.ts";
import { type FeatureManifold, featureManifold } from "./precision_recall.ts";

/** A classifier with the statistics of its features on its test set. */
export interface Judge {
  /** The classifier (see `createClassifier`). */
  model: LayersModel;
  /** Mean and covariance of its features on the test set (MNIST's or CIFAR-10's). */
  statistics: FeatureStatistics;
}

/**
 * The reference set FID and KID compared with, as the protocol names it.
 *
 * @example
 * ```ts
 * import type { EvaluationReference } from "@gan/mnist";
 *
 * const reference: EvaluationReference = { name: "MNIST test", count: 10_000 };
 * console.log(`${reference.name} ${reference.count}`); // MNIST test 10000
 * ```
 */
export interface EvaluationReference {
  /** `"MNIST test"`, `"CIFAR-10 test"`, or the caller's `referenceName` for given images. */
  name: string;
  /** The number of reference images whose statistics FID used. */
  count: number;
}

/** The real-versus-real FID at an evaluation's n: what real images score under its protocol. */
export interface FidFloor {
  /** The FID (NaN where there are no real images to measure it with). */
  fid: number;
  /** Real images standing in for the samples: n, or fewer where fewer are available. */
  count: number;
}

/** What an evaluation compares its images' features with. */
export interface ReferenceFeatures {
  /** Its name and size. */
  description: EvaluationReference;
  /** Its features' mean and covariance (FID). */
  statistics: FeatureStatistics;
  /** Its features, for KID; absent when only statistics ship (CIFAR-10 without images). */
  features?: Float32Array;
  /** Its k-NN balls (precision and recall), on at most the images' number of reference images. */
  manifold?: FeatureManifold;
  /** The real-versus-real floor at the images' number. */
  floor: FidFloor;
}

const MNIST_TEST_SIZE = 10_000;
const NO_FLOOR: FidFloor = { fid: NaN, count: 0 };

/** Per classifier: its features of the MNIST test set in a fixed random order, manifolds of the
 * first n of them by n and k (the few sizes a session uses), and FID floors by n. */
const mnistCache = new WeakMap<LayersModel, {
  features: Promise<Float32Array>;
  manifolds: Map<string, Promise<FeatureManifold>>;
  floors: Map<number, Promise<FidFloor>>;
}>();

function mnistEntry(model: LayersModel) {
  let entry = mnistCache.get(model);
  if (!entry) {
    const features = loadMnist({ split: "test", shuffleSeed: 0 })
      .then((test) => classifyImages(model, test))
      .then((output) => output.features);
    entry = { features, manifolds: new Map(), floors: new Map() };
    mnistCache.set(model, entry);
  }
  return entry;
}

/** Awaits a cached promise; a failure empties the classifier's cache so that a retry recomputes. */
async function cached<T>(model: LayersModel, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    mnistCache.delete(model);
    throw error;
  }
}

/** Keeps at most `max` entries, dropping the oldest. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/**
 * The FID of `count` MNIST training digits (a fixed random subset) against the judge's test-set
 * statistics: what a generator that draws fresh digits like its training data scores at that n.
 */
async function mnistTrainFloor(judge: Judge, count: number): Promise<FidFloor> {
  const train = await loadMnist({ split: "train" });
  const take = Math.min(count, train.count);
  const order = new Random(0).shuffle(Uint32Array.from({ length: train.count }, (_, i) => i));
  const real = await classifyImages(judge.model, pickImages(train, order.subarray(0, take)));
  const fid = frechetDistance(featureStatistics(real.features, real.dim), judge.statistics);
  return { fid, count: take };
}

/**
 * The shipped reference of images of this kind: for digits the MNIST test set (features, balls
 * on its first `manifoldCount` in a fixed random order, and the floor from training digits); for
 * colour images the shipped statistics of CIFAR-10's test set alone.
 *
 * @param judge The classifier and its test-set statistics.
 * @param colour Whether the images are CIFAR-10's 32×32×3.
 * @param count The number of images evaluated (the floor's n).
 * @param manifoldCount Reference images for precision and recall.
 * @param k The neighbour of precision and recall.
 * @returns The reference.
 */
export async function shippedReference(
  judge: Judge,
  colour: boolean,
  count: number,
  manifoldCount: number,
  k: number,
): Promise<ReferenceFeatures> {
  const { model, statistics } = judge;
  if (colour) {
    return {
      description: { name: "CIFAR-10 test", count: statistics.count },
      statistics,
      floor: NO_FLOOR,
    };
  }
  const entry = mnistEntry(model);
  const features = await cached(model, entry.features);
  const dim = features.length / MNIST_TEST_SIZE;
  const key = `${manifoldCount}/${k}`;
  const manifold = entry.manifolds.get(key) ?? remember(
    entry.manifolds,
    key,
    featureManifold(features.subarray(0, manifoldCount * dim), dim, { k }),
    4,
  );
  const floor = entry.floors.get(count) ?? remember(
    entry.floors,
    count,
    mnistTrainFloor(judge, count),
    8,
  );
  return {
    description: { name: "MNIST test", count: statistics.count },
    statistics,
    features,
    manifold: await cached(model, manifold),
    floor: await cached(model, floor),
  };
}

/** Floors of given reference sets, by set and n. */
const givenFloors = new WeakMap<ImageSet, Map<number, FidFloor>>();

/**
 * The floor from a given reference alone: `m = min(n, ⌊N/2⌋)` of its images (a fixed random
 * subset) against the statistics of the other `N − m`.
 */
function splitFloor(features: Float32Array, dim: number, count: number): FidFloor {
  const total = features.length / dim;
  const take = Math.min(count, Math.floor(total / 2));
  if (take < 2) return NO_FLOOR;
  const order = new Random(0).shuffle(Uint32Array.from({ length: total }, (_, i) => i));
  const rows = (from: number, to: number) => {
    const out = new Float32Array((to - from) * dim);
    for (let i = from; i < to; i++) {
      out.set(features.subarray(order[i] * dim, (order[i] + 1) * dim), (i - from) * dim);
    }
    return out;
  };
  const fid = frechetDistance(
    featureStatistics(rows(0, take), dim),
    featureStatistics(rows(take, total), dim),
  );
  return { fid, count: take };
}

/**
 * A caller's reference images: their features and statistics, balls on their first
 * `manifoldCount`, and the floor from a split of them (cached per set and n).
 *
 * @param model The classifier.
 * @param reference The reference images.
 * @param name What the protocol calls them.
 * @param count The number of images evaluated (the floor's n).
 * @param manifoldCount Reference images for precision and recall.
 * @param k The neighbour of precision and recall.
 * @returns The reference.
 */
export async function givenReference(
  model: LayersModel,
  reference: ImageSet,
  name: string,
  count: number,
  manifoldCount: number,
  k: number,
): Promise<ReferenceFeatures> {
  const { features, dim } = await classifyImages(model, reference);
  let floors = givenFloors.get(reference);
  if (!floors) givenFloors.set(reference, floors = new Map());
  const floor = floors.get(count) ?? remember(floors, count, splitFloor(features, dim, count), 8);
  return {
    description: { name, count: reference.count },
    statistics: featureStatistics(features, dim),
    features,
    manifold: await featureManifold(features.subarray(0, manifoldCount * dim), dim, { k }),
    floor,
  };
}
