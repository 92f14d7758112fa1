/**
 * An exponential moving average of a generator's weights over training steps (Yazıcı et al.,
 * "The Unusual Effectiveness of Averaging in GAN Training", 2019): the average of the last few
 * thousand generators samples better than the last one, whose weights still circle as the two
 * networks chase each other. BatchNorm's statistics belong to the weights that made them, so the
 * averaged generator gets its own, measured on a few thousand noise vectors ("standing
 * statistics").
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { checkNumber } from "../errors.ts";
import { Random } from "../random.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";

/**
 * The running average of a generator's trainable weights.
 *
 * @example Average while training, then sample the average
 * ```ts
 * import { createGenerator, GeneratorAverage, selectBackend } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * const average = new GeneratorAverage(generator, 0.999);
 * // … after every training step:
 * average.update();
 * // … when saving: a twin of the generator receives the averaged weights
 * const twin = createGenerator({ preset: "standard" });
 * average.writeTo(twin);
 * average.dispose();
 * ```
 */
export class GeneratorAverage {
  readonly #generator: LayersModel;
  readonly #decay: number;
  readonly #averages: tf.Variable[];
  #updates = 0;

  /**
   * Starts the average at the generator's current weights.
   *
   * @param generator The generator being trained.
   * @param decay Weight of the old average per step, in [0, 1): 0.999 averages over about the
   * last 1,000 steps.
   */
  constructor(generator: LayersModel, decay: number) {
    checkNumber("GeneratorAverage", "decay", decay, 0, 1, "[)");
    this.#generator = generator;
    this.#decay = decay;
    this.#averages = tf.tidy(() =>
      generator.trainableWeights.map((w) => tf.clone(w.read()).variable(false))
    );
  }

  /**
   * Moves the average towards the generator's current weights: avg ← d·avg + (1 − d)·w, with
   * d = min(decay, (1 + t) / (10 + t)) at update t, so that the first updates do not leave the
   * average stuck near the initial weights (as TensorFlow's ExponentialMovingAverage does).
   */
  update(): void {
    this.#updates++;
    const d = Math.min(this.#decay, (1 + this.#updates) / (10 + this.#updates));
    tf.tidy(() => {
      this.#generator.trainableWeights.forEach((w, i) => {
        const avg = this.#averages[i];
        avg.assign(tf.add(tf.mul(avg, d), tf.mul(w.read(), 1 - d)));
      });
    });
  }

  /**
   * Writes the averaged weights into a model of the same architecture, then gives its BatchNorm
   * layers statistics of their own (see {@linkcode standingStatistics}); a model without
   * BatchNorm, or not Sequential, keeps the trained generator's statistics.
   *
   * @param target A twin of the generator (e.g. made by `createGenerator` with the same options).
   * @param samples Noise vectors for the statistics.
   */
  writeTo(target: LayersModel, samples = 4096): void {
    const source = this.#generator;
    if (target.weights.length !== source.weights.length) {
      throw new RangeError("GeneratorAverage.writeTo: the target is not a twin of the generator");
    }
    const trainable = new Map(source.trainableWeights.map((w, i) => [w.name, i]));
    tf.tidy(() => {
      target.setWeights(source.weights.map((w, i) => {
        const j = trainable.get(w.name);
        const value = j === undefined ? w.read() : this.#averages[j];
        if (value.shape.join() !== target.weights[i].shape.join()) {
          throw new RangeError(
            "GeneratorAverage.writeTo: the target is not a twin of the generator",
          );
        }
        return value;
      }));
    });
    const batchNorm = target.layers.some((l) => l.getClassName() === "BatchNormalization");
    if (batchNorm && target.getClassName() === "Sequential") standingStatistics(target, samples);
  }

  /**
   * The average's whole state, copied: what a checkpoint saves.
   *
   * @returns The updates so far and the averaged values of each trainable weight.
   */
  exportState(): GeneratorAverageState {
    return {
      updates: this.#updates,
      averages: this.#averages.map((a) => Float32Array.from(a.dataSync() as Float32Array)),
    };
  }

  /**
   * Continues from a state that {@linkcode GeneratorAverage.exportState} returned for the same
   * generator.
   *
   * @param state The state.
   * @throws {RangeError} If it does not fit the generator's weights.
   */
  importState(state: GeneratorAverageState): void {
    const fits = Number.isInteger(state.updates) && state.updates >= 0 &&
      state.averages.length === this.#averages.length &&
      state.averages.every((a, i) => a.length === this.#averages[i].size);
    if (!fits) {
      throw new RangeError("GeneratorAverage.importState: the state does not fit the generator");
    }
    tf.tidy(() => {
      this.#averages.forEach((a, i) => a.assign(tf.tensor(state.averages[i], a.shape, "float32")));
    });
    this.#updates = state.updates;
  }

  /** Frees the averages. */
  dispose(): void {
    tf.dispose(this.#averages);
  }
}

/**
 * The state of a {@linkcode GeneratorAverage}.
 *
 * @example
 * ```ts
 * import type { GeneratorAverageState } from "@gan/mnist";
 *
 * const state: GeneratorAverageState = { updates: 0, averages: [new Float32Array(4)] };
 * console.log(state.updates);
 * ```
 */
export interface GeneratorAverageState {
  /** Updates so far (the warm-up of the decay depends on it). */
  updates: number;
  /** The averaged values of each trainable weight, in the generator's order. */
  averages: Float32Array[];
}

/** How many samples go through a layer at once in {@linkcode standingStatistics}. */
const STANDING_CHUNK = 512;

/**
 * Sets every BatchNorm layer's moving mean and variance of a Sequential generator to the batch
 * statistics of `samples` noise vectors passed through it (each layer seeing the output of the
 * layers before it, normalised with the statistics just measured).
 *
 * @param generator A Sequential generator.
 * @param samples Noise vectors.
 * @param seed Seed of the noise.
 *
 * @example
 * ```ts
 * import { createGenerator, standingStatistics } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * standingStatistics(generator, 1024);
 * ```
 */
export function standingStatistics(generator: LayersModel, samples = 4096, seed = 0x57a7): void {
  const latent = generator.inputs[0].shape[1] as number;
  const noise = latentNoise(new Random(seed), samples, latent, latentMixtureOf(generator));
  let x: tf.Tensor = tf.tensor2d(noise, [samples, latent]);
  for (const layer of generator.layers) {
    if (layer.getClassName() === "BatchNormalization") {
      const bn = layer as unknown as {
        movingMean: { write(t: tf.Tensor): void };
        movingVariance: { write(t: tf.Tensor): void };
      };
      // Per feature (the last axis) over every other axis, as training-mode BatchNorm measures.
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      tf.tidy(() => {
        const { mean, variance } = tf.moments(x, axes);
        bn.movingMean.write(mean);
        bn.movingVariance.write(variance);
      });
    }
    // In chunks: one pass of thousands of images would hold gigabytes of a wide generator's
    // feature maps at once, more than the WASM heap's 4 GB.
    const y = tf.tidy(() => {
      const chunks = [];
      for (let i = 0; i < samples; i += STANDING_CHUNK) {
        const part = tf.slice(x, i, Math.min(STANDING_CHUNK, samples - i));
        chunks.push(layer.apply(part, { training: false }) as tf.Tensor);
      }
      return chunks.length === 1 ? chunks[0] : tf.concat(chunks);
    });
    x.dispose();
    x = y;
  }
  x.dispose();
}
