/**
 * What both classifier scripts do around the training: time it, scale the features, measure the
 * accuracy, the test features' statistics and what real training images score.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { ImageSet } from "../../src/data/images.ts";
import type { LayersModel } from "../../src/tf_types.ts";
import { CLASS_COUNT, classifyImages } from "../../src/eval/classifier.ts";
import type { ClassifierInfo } from "../../src/eval/classifier_data.ts";
import { evaluateWith } from "../../src/eval/evaluate.ts";
import { type FeatureStatistics, featureStatistics } from "../../src/eval/fid.ts";
import { classScores } from "../../src/eval/scores.ts";
import type { TrainClassifierOptions } from "./fit.ts";

/**
 * The share of images whose most probable class is their label.
 *
 * @param model The classifier.
 * @param data Labelled images.
 * @returns The accuracy in [0, 1].
 */
export async function classifierAccuracy(model: LayersModel, data: ImageSet): Promise<number> {
  const { probabilities } = await classifyImages(model, data);
  let correct = 0;
  for (let i = 0; i < data.count; i++) {
    const row = probabilities.subarray(i * CLASS_COUNT, (i + 1) * CLASS_COUNT);
    if (row.indexOf(Math.max(...row)) === data.labels![i]) correct++;
  }
  return correct / data.count;
}

/**
 * Scales the classifier's features so that their variance on `data`, averaged over their
 * dimensions, is 1, without changing its predictions: the "features" layer's weights are
 * multiplied by a factor and the logits layer's kernel divided by it (ReLU commutes with a
 * positive factor). FID is then in units of the test features' mean variance, whatever scale a
 * training run happened to reach.
 *
 * @param model A classifier from `createClassifier`.
 * @param data The images to normalise on (the test digits).
 * @returns The factor.
 */
export async function normaliseFeatures(model: LayersModel, data: ImageSet): Promise<number> {
  const { features, dim } = await classifyImages(model, data);
  const { covariance } = featureStatistics(features, dim);
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += covariance[i * dim + i];
  const scale = 1 / Math.sqrt(trace / dim);
  const scaled = (name: string, factors: number[]) => {
    const layer = model.getLayer(name);
    const weights = layer.getWeights();
    layer.setWeights(weights.map((w, i) => tf.mul(w, factors[i])));
  };
  tf.tidy(() => {
    scaled("features", [scale, scale]);
    scaled("logits", [1 / scale, 1]);
  });
  return scale;
}

/** A trained classifier, normalised, with what it scores: see {@linkcode trainAndScore}. */
export interface ScoredClassifier {
  /** The classifier, its features scaled to unit mean variance on the test images. */
  model: LayersModel;
  /** What its JSON file's `info` records, the real images' scores under `real`. */
  info: ClassifierInfo<"real">;
  /** Mean and covariance of its features on the test images. */
  statistics: FeatureStatistics;
}

/**
 * What both classifier scripts do around the training: print each 100th step, time it, scale the
 * features to unit mean variance on the test images, let `round` change the weights as they will
 * ship, then measure the test accuracy, the test features' statistics and what 10,000 real
 * training images score against them.
 *
 * @param what "digits" or "images", for the printed lines.
 * @param settings The seed, epochs, batch size and shift the info records.
 * @param train Trains the classifier, calling `onStep` as it goes.
 * @param test The test images.
 * @param real 10,000 training images.
 * @param options `round`: changes the weights before measuring (float16 rounding); `reference`:
 * the images precision and recall of `real` compare with (default: the bundled MNIST test set).
 * @returns The classifier, its info and its test statistics.
 */
export async function trainAndScore(
  what: string,
  settings: { seed: number; epochs: number; batchSize: number; maxShift: number },
  train: (onStep: NonNullable<TrainClassifierOptions["onStep"]>) => Promise<LayersModel>,
  test: ImageSet,
  real: ImageSet,
  options: { round?: (model: LayersModel) => void; reference?: ImageSet } = {},
): Promise<ScoredClassifier> {
  const started = performance.now();
  let epochStarted = started;
  const model = await train(({ epoch, step, steps, loss, accuracy }) => {
    const ms = (performance.now() - epochStarted) / step;
    console.log(
      `[${epoch}/${settings.epochs}][${step}/${steps}] loss ${loss.toFixed(4)} ` +
        `acc ${accuracy.toFixed(4)} ${ms.toFixed(1)} ms/step`,
    );
    if (step === steps) epochStarted = performance.now();
  });
  const seconds = (performance.now() - started) / 1000;
  const scale = await normaliseFeatures(model, test);
  console.log(`features scaled by ${scale.toFixed(4)} to unit mean variance on the test ${what}`);
  options.round?.(model);
  const accuracy = await classifierAccuracy(model, test);
  console.log(`trained in ${seconds.toFixed(0)} s; test accuracy ${(accuracy * 100).toFixed(2)}%`);
  const { features, probabilities, dim } = await classifyImages(model, test);
  const statistics = featureStatistics(features, dim);
  const scores = classScores(probabilities);
  // What real images score, for comparison: training images against the test set.
  const scored = await evaluateWith({ model, statistics }, real, { reference: options.reference });
  console.log(
    `${real.count} training ${what}: FID ${scored.fid.toFixed(3)} IS ${scored.is.toFixed(3)} ` +
      `precision ${scored.precision.toFixed(3)} recall ${scored.recall.toFixed(3)}`,
  );
  const { fid, is, coverage, precision, recall, confidence } = scored;
  return {
    model,
    info: {
      ...settings,
      trainSeconds: Math.round(seconds),
      featureScale: scale,
      testAccuracy: accuracy,
      testInceptionScore: scores.inceptionScore,
      testConfidence: scores.confidence,
      real: { fid, is, coverage, precision, recall, confidence },
    },
    statistics,
  };
}
