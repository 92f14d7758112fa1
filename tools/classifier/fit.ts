/**
 * The training loop both shipped classifiers share (tools/classifier/train_classifier.ts for
 * MNIST, train_cifar_classifier.ts for CIFAR-10): Adam on softmax cross-entropy, a fresh
 * augmented batch every step, the step size lowered every epoch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { type ImageSet, imageSize } from "../../src/data/images.ts";
import { Random } from "../../src/random.ts";
import type { LayersModel } from "../../src/tf_types.ts";
import { CLASS_COUNT } from "../../src/eval/classifier.ts";

/** Options of `trainClassifier` and `trainCifarClassifier`. */
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
