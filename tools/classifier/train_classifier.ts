/**
 * `deno task train-classifier`: trains the evaluator's MNIST classifier from a fixed seed on the
 * bundled training digits, scales its features to unit mean variance on the test digits, and
 * writes `src/eval/classifier_weights.json`: its weights (tf.js layers format, base64) and the mean
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
import { selectBackend } from "../../src/backend/select.ts";
import type { ImageSet } from "../../src/data/images.ts";
import { loadMnist } from "../../src/data/mnist.ts";
import type { Random } from "../../src/random.ts";
import type { LayersModel } from "../../src/tf_types.ts";
import { classifierFiles, createClassifier } from "../../src/eval/classifier.ts";
import { fitClassifier, type TrainClassifierOptions } from "./fit.ts";
import { trainAndScore } from "./score.ts";
import { writeShippedClassifier } from "./write.ts";

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
  await writeShippedClassifier<"trainDigits">(
    "classifier_weights.json",
    { task: "train-classifier", script: "train_classifier.ts" },
    { ...rest, trainDigits },
    stats,
    await classifierFiles(model),
  );
}
