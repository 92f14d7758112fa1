/**
 * `deno task train-classifier`: trains the evaluator's MNIST classifier from a fixed seed on the
 * bundled training digits, scales its features to unit mean variance on the test digits, and
 * writes `src/eval/classifier_weights.ts`: its weights (tf.js layers format, base64) and the mean
 * and covariance of its features on the 10,000 test digits.
 *
 * It trains on the wasm backend. tf.js-wasm 4.22 has no `Conv2DBackpropFilter` kernel, so the
 * convolutions here carry their own gradient made of forward convolutions, which it has:
 * the filter gradient is the correlation of the input with the output gradient (batch as the
 * channel axis), the input gradient the full convolution of the output gradient with the flipped
 * filter. The trained weights are those of the plain layers model `createClassifier` makes.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import { selectBackend } from "../backend/select.ts";
import { type ImageSet, imageSize } from "../data/images.ts";
import { loadMnist } from "../data/mnist.ts";
import { Random } from "../random.ts";
import type { LayersModel } from "../tf_types.ts";
import {
  CLASS_COUNT,
  classifierFiles,
  classifyImages,
  createClassifier,
  toBase64,
} from "./classifier.ts";
import { evaluateWith, type Evaluation } from "./evaluate.ts";
import { type FeatureStatistics, featureStatistics } from "./fid.ts";
import { classScores } from "./scores.ts";

/** Options of {@linkcode trainClassifier}. */
export interface TrainClassifierOptions {
  /** @default {6} */
  epochs?: number;
  /** @default {64} */
  batchSize?: number;
  /** Adam's step size in the first epoch; × 0.6 every epoch after. @default {0.001} */
  learningRate?: number;
  /** Seed of the weights, the data order and the shifts. @default {1} */
  seed?: number;
  /** Shift each training image by up to this many pixels in x and y. @default {2} */
  maxShift?: number;
  /** Called every `logEvery` steps and at the end of each epoch. */
  onStep?: (
    info: { epoch: number; step: number; steps: number; loss: number; accuracy: number },
  ) => void;
  /** @default {100} */
  logEvery?: number;
}

type ConvFunction = (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D;

/**
 * A valid, stride-1 convolution whose gradients use only forward convolutions.
 *
 * @param inputGradient Whether the input's gradient is needed (not for the first layer).
 */
function trainableConv(inputGradient: boolean): ConvFunction {
  return tf.customGrad((x, filter, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor4D, filter as tf.Tensor4D]);
    return {
      value: tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "valid"),
      gradFunc: (dy, saved) => {
        const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        const k = filter.shape[0];
        const grad = dy as tf.Tensor4D;
        // (cin, H, W, B) ⋆ (oh, ow, B, cout) -> (cin, k, k, cout) -> (k, k, cin, cout)
        const filterGrad = tf.transpose(
          tf.conv2d(
            tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D,
            tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D,
            1,
            "valid",
          ),
          [1, 2, 0, 3],
        );
        if (!inputGradient) return [tf.zerosLike(x), filterGrad];
        // (B, oh + 2(k-1), ow + 2(k-1), cout) ⋆ (k, k, cout, cin) -> (B, H, W, cin)
        const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        const padded = tf.pad(grad, [[0, 0], [k - 1, k - 1], [k - 1, k - 1], [0, 0]]);
        return [tf.conv2d(padded, flipped, 1, "valid"), filterGrad];
      },
    };
  }) as unknown as ConvFunction;
}

const firstConv = trainableConv(false);
const innerConv = trainableConv(true);

/**
 * The classifier's forward pass for training, on its own weights, with the gradient-friendly
 * convolutions; the same function as the layers model's.
 *
 * @param model A classifier from `createClassifier`.
 * @param x Images, `(B, 28, 28, 1)`.
 * @returns Logits, `(B, 10)`.
 */
export function trainingForward(model: LayersModel, x: tf.Tensor4D): tf.Tensor2D {
  const [conv1, , conv2, , , dense1, , dense2] = model.layers.map((layer) =>
    layer.getWeights(true).map((w) => w as tf.Tensor)
  );
  const batch = x.shape[0];
  // (B, 28, 28, 1) -> (B, 24, 24, 16) -> (B, 12, 12, 16)
  let h = tf.relu(tf.add(firstConv(x, conv1[0] as tf.Tensor4D), conv1[1])) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, "valid");
  // (B, 12, 12, 16) -> (B, 8, 8, 32) -> (B, 4, 4, 32)
  h = tf.relu(tf.add(innerConv(h, conv2[0] as tf.Tensor4D), conv2[1])) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, "valid");
  // (B, 4, 4, 32) -> (B, 512) -> (B, 64) -> (B, 10)
  const features = tf.relu(tf.add(tf.matMul(tf.reshape(h, [batch, 512]), dense1[0]), dense1[1]));
  return tf.add(tf.matMul(features, dense2[0]), dense2[1]) as tf.Tensor2D;
}

/** Copies the images at `indices` into `out`, each shifted by up to `maxShift` pixels. */
function gatherShifted(
  data: ImageSet,
  indices: Uint32Array,
  out: Float32Array,
  maxShift: number,
  random: Random,
): void {
  out.fill(-1);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i] * 784;
    const dx = maxShift ? random.int(2 * maxShift + 1) - maxShift : 0;
    const dy = maxShift ? random.int(2 * maxShift + 1) - maxShift : 0;
    for (let y = Math.max(0, dy); y < Math.min(28, 28 + dy); y++) {
      const row = data.pixels.subarray(source + (y - dy) * 28, source + (y - dy + 1) * 28);
      const x0 = Math.max(0, dx);
      const x1 = Math.min(28, 28 + dx);
      out.set(row.subarray(x0 - dx, x1 - dx), i * 784 + y * 28 + x0);
    }
  }
}

/** What one classifier's training needs besides the data: see {@linkcode fitClassifier}. */
export interface ClassifierRecipe {
  /** The model to train (in place). */
  model: LayersModel;
  /** Its forward pass for training: `(B, height, width, channels)` images to `(B, 10)` logits. */
  forward: (x: tf.Tensor4D) => tf.Tensor2D;
  /** Copies the images at `indices` into `out`, augmented. */
  gather: (data: ImageSet, indices: Uint32Array, out: Float32Array, random: Random) => void;
  /** The step size is multiplied by this every epoch after the first. */
  decay: number;
}

/**
 * Trains a classifier with Adam on softmax cross-entropy: the loop both shipped classifiers share.
 *
 * @param data The training images, with labels.
 * @param recipe The model, its forward pass, the augmentation, the step size's decay.
 * @param options Epochs, batch size, first step size, seed (of the data order and the
 * augmentation), logging.
 * @returns The trained model.
 */
export async function fitClassifier(
  data: ImageSet,
  recipe: ClassifierRecipe,
  options:
    & Required<Pick<TrainClassifierOptions, "epochs" | "batchSize" | "seed">>
    & Pick<TrainClassifierOptions, "learningRate" | "onStep" | "logEvery">,
): Promise<LayersModel> {
  const { epochs, batchSize, seed } = options;
  const learningRate = options.learningRate ?? 1e-3;
  const logEvery = options.logEvery ?? 100;
  const labels = data.labels;
  if (!labels) throw new RangeError("trainClassifier: the training images need labels");
  const { model } = recipe;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(learningRate);
  const random = new Random(seed);
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const steps = Math.floor(data.count / batchSize);
  const shape = [data.height, data.width, data.channels] as const;
  const pixels = new Float32Array(batchSize * imageSize(data));
  const batchLabels = new Int32Array(batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // Adam reads its (protected) step size at every update; lowering it keeps the moments.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate *
      recipe.decay ** (epoch - 1);
    random.shuffle(order);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let step = 1; step <= steps; step++) {
      const indices = order.subarray((step - 1) * batchSize, step * batchSize);
      recipe.gather(data, indices, pixels, random);
      for (let i = 0; i < batchSize; i++) batchLabels[i] = labels[indices[i]];
      let hits: tf.Scalar | undefined;
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(pixels, [batchSize, ...shape]);
        const y = tf.tensor1d(batchLabels, "int32");
        return optimizer.minimize(
          () => {
            const logits = recipe.forward(x);
            // Kept: minimize disposes everything else the forward pass made.
            hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), "int32")));
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, CLASS_COUNT), logits) as tf.Scalar;
          },
          true,
          variables,
        )!;
      });
      lossSum += (await loss.data())[0] * batchSize;
      correct += (await hits!.data())[0];
      seen += batchSize;
      tf.dispose([loss, hits]);
      if (step % logEvery === 0 || step === steps) {
        options.onStep?.({ epoch, step, steps, loss: lossSum / seen, accuracy: correct / seen });
      }
    }
  }
  optimizer.dispose();
  return model;
}

/**
 * Trains a classifier from `createClassifier(seed)` with Adam on softmax cross-entropy.
 *
 * @param data The training digits, with labels.
 * @param options Epochs, batch size, step size, seed, logging.
 * @returns The trained model.
 */
export async function trainClassifier(
  data: ImageSet,
  options: TrainClassifierOptions = {},
): Promise<LayersModel> {
  const seed = options.seed ?? 1;
  const maxShift = options.maxShift ?? 2;
  const model = createClassifier(seed);
  return await fitClassifier(data, {
    model,
    forward: (x) => trainingForward(model, x),
    gather: (set, indices, out, random) => gatherShifted(set, indices, out, maxShift, random),
    decay: 0.6,
  }, { ...options, epochs: options.epochs ?? 6, batchSize: options.batchSize ?? 64, seed });
}

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

/** Little-endian float64 values as base64. */
export function float64Base64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return toBase64(bytes);
}

/** Wraps base64 text into lines of 100 characters, as a TypeScript string expression. */
export function base64Literal(base64: string): string {
  const lines = base64.match(/.{1,100}/g) ?? [""];
  return lines.map((line) => `  "${line}"`).join(" +\n");
}

/**
 * Wraps base64 text into lines of 100 characters, as an array joined at run time: unlike a chain
 * of `+`, any length parses (TypeScript's checker recurses once per `+`).
 */
export function base64ArrayLiteral(base64: string): string {
  const lines = base64.match(/.{1,100}/g) ?? [""];
  return `[\n${lines.map((line) => `    "${line}",`).join("\n")}\n  ].join("")`;
}

/**
 * The generated declaration of a classifier's feature statistics on its 10,000 test images (what
 * FID compares with), alike in both classifier scripts.
 *
 * @param name The constant's name.
 * @param doc Its doc comment's text.
 * @param stats The statistics.
 * @param literal Writes a base64 value after a field's colon (with its own space or line break).
 * @returns TypeScript source.
 */
export function featureStatisticsSource(
  name: string,
  doc: string,
  stats: { count: number; dim: number; mean: Float64Array; covariance: Float64Array },
  literal: (base64: string) => string,
): string {
  return `/** ${doc} */
export const ${name}: {
  count: number;
  dim: number;
  meanBase64: string;
  covarianceBase64: string;
} = {
  count: ${stats.count},
  dim: ${stats.dim},
  meanBase64:${literal(float64Base64(stats.mean))},
  covarianceBase64:${literal(float64Base64(stats.covariance))},
};
`;
}

/**
 * The TypeScript type of a generated `*_INFO` constant ({@linkcode ScoredClassifier}'s `info`, its
 * `real` renamed to `realKey`), as the generated modules spell it out.
 */
export function infoType(realKey: string): string {
  const fields = [
    "seed",
    "epochs",
    "batchSize",
    "maxShift",
    "trainSeconds",
    "featureScale",
    "testAccuracy",
    "testInceptionScore",
    "testConfidence",
  ];
  const real = ["fid", "is", "coverage", "precision", "recall", "confidence"];
  return `{\n${fields.map((f) => `  ${f}: number;\n`).join("")}  ${realKey}: {\n${
    real.map((f) => `    ${f}: number;\n`).join("")
  }  };\n}`;
}

/** A trained classifier, normalised, with what it scores: see {@linkcode trainAndScore}. */
export interface ScoredClassifier {
  /** The classifier, its features scaled to unit mean variance on the test images. */
  model: LayersModel;
  /** The summary `*_INFO` constants record. */
  info: {
    seed: number;
    epochs: number;
    batchSize: number;
    maxShift: number;
    trainSeconds: number;
    featureScale: number;
    testAccuracy: number;
    testInceptionScore: number;
    testConfidence: number;
    real: Pick<Evaluation, "fid" | "is" | "coverage" | "precision" | "recall" | "confidence">;
  };
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

if (import.meta.main) {
  const settings = { epochs: 6, batchSize: 64, seed: 1, maxShift: 2 };
  const backend = await selectBackend("wasm");
  console.log(`backend: ${backend.description}`);
  const train = await loadMnist({ split: "train" });
  console.log(
    `training the classifier: ${settings.epochs} epochs, batch ${settings.batchSize}, ` +
      `${train.count} digits shifted by up to ${settings.maxShift} px, seed ${settings.seed}`,
  );
  const { model, info: { real: trainDigits, ...rest }, statistics: stats } = await trainAndScore(
    "digits",
    settings,
    (onStep) => trainClassifier(train, { ...settings, onStep }),
    await loadMnist({ split: "test" }),
    await loadMnist({ split: "train", limit: 10_000 }),
  );
  const files = await classifierFiles(model);
  const info = { ...rest, trainDigits };
  const source =
    `// Generated by \`deno task train-classifier\` (src/eval/train_classifier.ts). Do not edit.

/** How the shipped classifier was trained, and what it scores on the 10,000 MNIST test digits. */
export const CLASSIFIER_INFO: ${infoType("trainDigits")} = ${JSON.stringify(info, null, 2)};

/** The classifier in tf.js layers format: topology, weights manifest, float32 weights (base64). */
export const CLASSIFIER_FILES: {
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: "float32" }[];
  weightsBase64: string;
} = {
  modelTopology: ${JSON.stringify(files.modelTopology)},
  weightSpecs: ${JSON.stringify(files.weightSpecs)},
  weightsBase64:
${base64Literal(files.weightsBase64)},
};

${
      featureStatisticsSource(
        "TEST_FEATURE_STATISTICS",
        "Mean and covariance of the classifier's features on the 10,000 test digits, float64 (base64).",
        stats,
        (base64) => `\n${base64Literal(base64)}`,
      )
    }`;
  const out = new URL("./classifier_weights.ts", import.meta.url);
  await Deno.writeTextFile(out, source);
  console.log(`wrote ${out.pathname.split("/").slice(-3).join("/")} (${source.length} bytes)`);
}
