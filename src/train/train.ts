/**
 * The GAN training loop: per batch, one discriminator step on a real and a generated batch, then
 * one generator step (or more) with the non-saturating loss. Plain tf.js, no file access: it runs in Deno
 * and in a browser alike.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { type ImageSet, imageSize } from "../data/images.ts";
import { checkBoolean, checkInteger, checkNumber } from "../errors.ts";
import type { TrainingSettings } from "../models/presets.ts";

/**
 * `trainGAN`'s numbers where its options leave them out: the originals' Adam (2e-4, β 0.5, 0.999),
 * batch 64, 20 epochs, one generator update per step (each documented by `@default` in
 * {@linkcode TrainOptions}). A preset's own settings come with `trainRun`.
 */
const TRAIN_DEFAULTS: TrainingSettings = {
  epochs: 20,
  batchSize: 64,
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  generatorSteps: 1,
};
import { Random, type RandomState } from "../random.ts";
import { createDirectStep } from "./direct_step.ts";
import { type AdamState, TensorAdam } from "./adam.ts";
import { fusedBatchNormCall } from "../backend/kernels/batch_norm.ts";
import { discriminatorLoss, generatorLoss } from "./losses.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";
import { refuseSpectralState, SpectralNorm } from "./spectral.ts";

/** What {@linkcode trainGAN} reports after every step. */
export interface StepInfo {
  /** The epoch, from 1. */
  epoch: number;
  /** Epochs in the run. */
  epochs: number;
  /** The step within the epoch, from 1. */
  step: number;
  /** Steps in each epoch. */
  stepsPerEpoch: number;
  /** Steps since the start of the run, from 1. */
  globalStep: number;
  /** The discriminator's loss on this batch, before its update. */
  lossD: number;
  /** The generator's loss on this batch, after the discriminator's update. */
  lossG: number;
  /** D(x): the discriminator's mean probability that the real images are real. */
  dReal: number;
  /** D(G(z)): its mean probability that the generated images are real. */
  dFake: number;
  /** Wall time of this step in milliseconds. */
  ms: number;
}

/** What {@linkcode trainGAN} reports after every epoch: the means over its steps. */
export interface EpochInfo {
  /** The epoch, from 1. */
  epoch: number;
  /** Epochs in the run. */
  epochs: number;
  /** Steps in the epoch. */
  steps: number;
  /** Mean discriminator loss. */
  lossD: number;
  /** Mean generator loss. */
  lossG: number;
  /** Mean D(x). */
  dReal: number;
  /** Mean D(G(z)). */
  dFake: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
}

/** Options of {@linkcode trainGAN}. Absent numbers take the values under `@default`. */
export interface TrainOptions {
  /**
   * Passes over the data.
   * @default {20}
   */
  epochs?: number;
  /**
   * Images per batch; the last incomplete batch of an epoch is dropped.
   * @default {64}
   */
  batchSize?: number;
  /**
   * Adam's learning rate: the discriminator's, and the generator's unless
   * `generatorLearningRate` is given.
   * @default {2e-4}
   */
  learningRate?: number;
  /**
   * Adam's learning rate for the generator, where it differs from the discriminator's (a
   * two-timescale rule): `dcgan` trains its generator at four times the discriminator's rate.
   * @default {learningRate}
   */
  generatorLearningRate?: number;
  /**
   * Adam's β1.
   * @default {0.5}
   */
  beta1?: number;
  /**
   * Adam's β2.
   * @default {0.999}
   */
  beta2?: number;
  /**
   * Generator updates per discriminator update: the first on the batch the discriminator just
   * judged, each further one on fresh noise.
   * @default {1}
   */
  generatorSteps?: number;
  /**
   * Spectral normalisation of the discriminator (src/train/spectral.ts): after every update of
   * it, its kernels that no BatchNorm follows are divided by their largest singular value. The
   * step then runs on tf.js's autograd (not the direct MLP step).
   * @default {false}
   */
  spectralNorm?: boolean;
  /**
   * Seed of the data order and the noise; with the same seed, models and backend, training is
   * bit-for-bit repeatable.
   * @default {0}
   */
  seed?: number;
  /** Stops training after the current step when aborted. */
  signal?: AbortSignal;
  /** Called after every step; training waits for a returned promise. */
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Called after every epoch; training waits for a returned promise (e.g. saving the models). */
  onEpoch?: (info: EpochInfo) => void | Promise<void>;
  /**
   * Continue from a state that `onCheckpoint` received; the models must hold the weights they
   * had then. Training then goes on exactly as it would have (bit for bit, on the same backend).
   */
  resume?: TrainState;
  /**
   * Steps between calls of `onCheckpoint` within an epoch (0: none); it is called after every
   * epoch and when the signal stops training too.
   * @default {0}
   */
  checkpointEvery?: number;
  /**
   * Called with the whole training state (besides the models' weights, which it may read now):
   * every `checkpointEvery` steps, after every epoch's `onEpoch`, and after the last step when
   * the signal stops training. Training waits for a returned promise (e.g. writing a file).
   */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
}

/**
 * Where training stands after a step: with the models' weights, everything {@linkcode trainGAN}
 * needs to continue exactly. Plain data (numbers and typed arrays), copied.
 *
 * @example Stop after 5 steps, then go on from there
 * ```ts
 * import { createDiscriminator, createGenerator, loadMnist, trainGAN, type TrainState } from "@gan/mnist";
 *
 * const data = await loadMnist({ limit: 640 });
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * const stop = new AbortController();
 * let state: TrainState | undefined;
 * await trainGAN(generator, discriminator, data, {
 *   epochs: 1,
 *   signal: stop.signal,
 *   onStep: (info) => void (info.globalStep === 5 && stop.abort()),
 *   onCheckpoint: (s) => void (state = s), // with the models as they are now
 * });
 * await trainGAN(generator, discriminator, data, { epochs: 1, resume: state });
 * ```
 */
export interface TrainState {
  /** The epoch in progress, or the one just finished, from 1. */
  epoch: number;
  /** Steps of it done; `stepsPerEpoch` once it is finished, its `onEpoch` included. */
  step: number;
  /** Steps in each epoch. */
  stepsPerEpoch: number;
  /** Steps since the start of the run. */
  globalStep: number;
  /** The random generator's state: the data order and the noise come from it. */
  random: RandomState;
  /** The epoch's data order: an index into the data for each position. */
  order: Uint32Array;
  /** The epoch's sums of loss_d, loss_g, D(x) and D(G(z)) so far (its means' numerators). */
  sums: [number, number, number, number];
  /** Both optimisers' state. */
  optimizers: GanStepState;
}

/** What {@linkcode trainGAN} returns. */
export interface TrainResult {
  /** Epochs finished completely. */
  epochs: number;
  /** Steps taken. */
  steps: number;
  /** Whether the signal stopped training early. */
  aborted: boolean;
  /** Wall time in seconds. */
  seconds: number;
}

/** The full, checked training settings. */
export type ResolvedTrainOptions = Required<
  Pick<
    TrainOptions,
    | "epochs"
    | "batchSize"
    | "learningRate"
    | "generatorLearningRate"
    | "beta1"
    | "beta2"
    | "generatorSteps"
    | "spectralNorm"
    | "seed"
  >
>;

/**
 * Training options with defaults filled in and every value checked.
 *
 * @param options The caller's options.
 * @returns Every numeric setting.
 * @throws {RangeError} Naming the first option out of range.
 */
export function resolveTrainOptions(options: TrainOptions = {}): ResolvedTrainOptions {
  const where = "trainGAN";
  const preset = TRAIN_DEFAULTS;
  const learningRate = checkNumber(
    where,
    "learningRate",
    options.learningRate ?? preset.learningRate,
    0,
    10,
  );
  return {
    epochs: checkInteger(where, "epochs", options.epochs ?? preset.epochs),
    batchSize: checkInteger(where, "batchSize", options.batchSize ?? preset.batchSize),
    learningRate,
    generatorLearningRate: checkNumber(
      where,
      "generatorLearningRate",
      options.generatorLearningRate ?? learningRate,
      0,
      10,
    ),
    beta1: checkNumber(where, "beta1", options.beta1 ?? preset.beta1, 0, 1, "[)"),
    beta2: checkNumber(where, "beta2", options.beta2 ?? preset.beta2, 0, 1, "[)"),
    generatorSteps: checkInteger(
      where,
      "generatorSteps",
      options.generatorSteps ?? preset.generatorSteps,
      1,
      16,
    ),
    spectralNorm: checkBoolean(where, "spectralNorm", options.spectralNorm ?? false),
    seed: checkInteger(where, "seed", options.seed ?? 0, 0, 2 ** 32 - 1),
  };
}

/**
 * A model's forward pass in training mode. A Sequential model's layers are called one after the
 * other directly, skipping `apply`'s graph bookkeeping (a sixth of a small step), BatchNorm layers
 * on our fused kernels where they apply; other models go through `apply`.
 */
function runner(model: LayersModel): (x: tf.Tensor | tf.Tensor[]) => tf.Tensor {
  const sequential = model.getClassName() === "Sequential";
  const calls = model.layers.map((layer) =>
    fusedBatchNormCall(layer) ??
      ((x: tf.Tensor) => layer.call(x, { training: true }) as tf.Tensor)
  );
  return (x) => {
    if (!sequential || Array.isArray(x)) return model.apply(x, { training: true }) as tf.Tensor;
    let y = x;
    for (const call of calls) y = call(y);
    return y;
  };
}

/** The tf.js variables behind a model's trainable weights. */
function trainableVariables(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Yields to the event loop (so that signals and timers run) at most every 100 ms. */
function makeYielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 100) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}

/** The losses and discriminator outputs of one training step. */
export interface StepStats {
  /** The discriminator's loss. */
  lossD: number;
  /** The generator's loss. */
  lossG: number;
  /** D(x). */
  dReal: number;
  /** D(G(z)). */
  dFake: number;
}

/** One training step, with its optimisers: what {@linkcode trainGAN} runs for every batch. */
export interface GanStep {
  /**
   * How the step runs: "direct" as calls of our WASM kernels written out for an MLP
   * (src/train/direct_step.ts), "autograd" as tf.js operations differentiated by tf.js.
   */
  readonly kind: "direct" | "autograd";
  /**
   * One discriminator update on a real and a generated batch, then the generator's updates.
   *
   * @param batch `batchSize × height × width × channels` real pixels.
   * @param noise `generatorSteps × batchSize × latentDim` noise values: the first batch for the
   * discriminator's update and the first generator update, one more for each further update.
   * @param labels Conditional models: the real images' classes, which the generated batch is
   * asked for too (so that every class is seen as often real as generated).
   * @returns The losses and D outputs, read back from the backend.
   */
  run(batch: Float32Array, noise: Float32Array, labels?: ArrayLike<number>): Promise<StepStats>;
  /** Both optimisers' whole state (moments, β powers, steps), copied: what a checkpoint saves. */
  exportState(): GanStepState;
  /**
   * Continues from a state that `exportState` returned for the same models (either kind of step).
   *
   * @param state The optimisers' state.
   * @throws {RangeError} If it does not fit the models' weights.
   */
  importState(state: GanStepState): void;
  /** Frees the optimisers' state. */
  dispose(): void;
}

/**
 * The state of both optimisers of a {@linkcode GanStep}.
 *
 * @example Copy one step's optimisers into another
 * ```ts
 * import { createDiscriminator, createGanStep, createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * const settings = { batchSize: 32, learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
 * const a = createGanStep(generator, discriminator, settings);
 * const b = createGanStep(generator, discriminator, settings);
 * b.importState(a.exportState());
 * a.dispose(), b.dispose();
 * ```
 */
export interface GanStepState {
  /** The generator's Adam. */
  generator: AdamState;
  /** The discriminator's Adam. */
  discriminator: AdamState;
  /** With spectral normalisation: its power iteration's vectors, one per normalised kernel. */
  spectral?: Float32Array[];
}

/**
 * Builds the training step of a GAN: two Adam optimisers and the update that uses them.
 *
 * @param generator The generator, `(B, latentDim)` → `(B, height, width, channels)`.
 * @param discriminator The discriminator, images → `(B, 1)` logits.
 * @param options Batch size, optimiser settings and generator updates per step (default 1);
 * `autograd: true` runs the step as tf.js operations with tf.js's autograd even where the direct
 * step on our kernels applies (src/train/direct_step.ts: MLPs on wasm), e.g. to compare them.
 * @returns The step.
 *
 * @example Time one step of the standard preset
 * ```ts
 * import { createDiscriminator, createGanStep, createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
 * const step = createGanStep(generator, discriminator, {
 *   batchSize: 64, learningRate: 2e-4, beta1: 0.5, beta2: 0.999,
 * });
 * const started = performance.now();
 * const stats = await step.run(new Float32Array(64 * 784), new Float32Array(64 * 100));
 * console.log(stats.lossD, `${performance.now() - started} ms`);
 * step.dispose();
 * ```
 */
export function createGanStep(
  generator: LayersModel,
  discriminator: LayersModel,
  options:
    & Pick<ResolvedTrainOptions, "batchSize" | "learningRate" | "beta1" | "beta2">
    & Partial<
      Pick<ResolvedTrainOptions, "generatorSteps" | "generatorLearningRate" | "spectralNorm">
    >
    & { autograd?: boolean },
): GanStep {
  const { batchSize, learningRate, beta1, beta2, generatorSteps = 1 } = options;
  const generatorLearningRate = options.generatorLearningRate ?? learningRate;
  if (!options.autograd && !options.spectralNorm) {
    const direct = createDirectStep(generator, discriminator, {
      batchSize,
      learningRate,
      generatorLearningRate,
      beta1,
      beta2,
      epsilon: 1e-8,
      generatorSteps,
    });
    if (direct) return direct;
  }
  const latentDim = generator.inputs[0].shape[1] as number;
  const imageShape = generator.outputs[0].shape.slice(1) as [number, number, number];
  const varsD = trainableVariables(discriminator);
  const varsG = trainableVariables(generator);
  const adam = { learningRate, beta1, beta2, epsilon: 1e-8 };
  const optimizerD = new TensorAdam(varsD, adam);
  const optimizerG = new TensorAdam(varsG, {
    ...adam,
    learningRate: generatorLearningRate,
  });
  const spectral = options.spectralNorm ? new SpectralNorm(discriminator) : undefined;

  // Without BatchNorm, the discriminator judges each image on its own, so the real and the fake
  // batch can go through it as one batch of 2B: the same numbers, in half the products.
  const batchDependent = discriminator.layers.some((l) =>
    l.getClassName() === "BatchNormalization"
  );
  // Conditional models take [input, one-hot label].
  const classes = generator.inputs.length === 2 ? generator.inputs[1].shape[1] as number : 0;
  const withLabel = (x: tf.Tensor, y: tf.Tensor | undefined) => (y ? [x, y] : x);
  const judge = (
    real: tf.Tensor,
    fake: tf.Tensor,
    y: tf.Tensor | undefined,
  ): [tf.Tensor, tf.Tensor] => {
    if (batchDependent) {
      return [
        D(withLabel(real, y)),
        D(withLabel(fake, y)),
      ];
    }
    // (2B, height, width, channels) -> (2B, 1)
    const logits = D(withLabel(tf.concat([real, fake]), y && tf.concat([y, y])));
    return [
      tf.slice(logits, [0, 0], [batchSize, 1]),
      tf.slice(logits, [batchSize, 0], [batchSize, 1]),
    ];
  };

  const G = runner(generator), D = runner(discriminator);
  const update = (
    batch: Float32Array,
    noise: Float32Array,
    labels?: ArrayLike<number>,
  ): tf.Tensor =>
    tf.tidy(() => {
      if (classes && labels?.length !== batchSize) {
        throw new RangeError(`GanStep: a conditional GAN needs ${batchSize} labels a batch`);
      }
      // (B, classes): the real batch's classes, asked of the generator too
      const y = classes
        ? tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels!), "int32"), classes), "float32")
        : undefined;
      // (B, height, width, channels): real images; (B, latentDim): noise
      const real = tf.tensor4d(batch, [batchSize, ...imageShape]);
      const noiseBatch = (k: number) =>
        tf.tensor2d(
          noise.subarray(k * batchSize * latentDim, (k + 1) * batchSize * latentDim),
          [batchSize, latentDim],
        );
      const z = noiseBatch(0);
      let dReal: tf.Scalar | undefined;
      let dFake: tf.Scalar | undefined;
      let lossD: tf.Scalar | undefined;
      // One generator forward pass serves both steps, as in PyTorch's examples: it is recorded on
      // the generator's tape, the discriminator's step runs on its output in between (its own
      // tape nested inside; nothing of it leads to the generator's loss, so the generator's
      // gradient ignores it), and the generator's loss then uses the updated discriminator.
      const g = tf.variableGrads(() => {
        const fake = G(withLabel(z, y));
        const d = tf.variableGrads(() => {
          const [realLogits, fakeLogits] = judge(real, fake, y); // (B, 1) each
          // tf.keep: these outlive the tapes' cleanup (and every tidy); disposed once stacked.
          dReal = tf.keep(tf.mean(tf.sigmoid(realLogits)));
          dFake = tf.keep(tf.mean(tf.sigmoid(fakeLogits)));
          return discriminatorLoss(realLogits, fakeLogits);
        }, varsD);
        optimizerD.apply(d.grads);
        spectral?.apply();
        lossD = tf.keep(d.value);
        // Non-saturating: the generator maximises log D(G(z)).
        return generatorLoss(D(withLabel(fake, y)));
      }, varsG);
      optimizerG.apply(g.grads);
      for (let k = 1; k < generatorSteps; k++) {
        const z = noiseBatch(k);
        optimizerG.apply(
          tf.variableGrads(() => generatorLoss(D(withLabel(G(withLabel(z, y)), y))), varsG).grads,
        );
      }
      const stacked = tf.stack([lossD!, g.value, dReal!, dFake!]);
      tf.dispose([lossD!, dReal!, dFake!]);
      return stacked;
    });

  return {
    kind: "autograd",
    async run(batch, noise, labels) {
      const stats = update(batch, noise, labels);
      // Asynchronous read: WebGPU cannot read synchronously in Deno (it has no canvas).
      const [lossD, lossG, dReal, dFake] = await stats.data();
      stats.dispose();
      return { lossD, lossG, dReal, dFake };
    },
    exportState() {
      return {
        generator: optimizerG.exportState(),
        discriminator: optimizerD.exportState(),
        ...(spectral ? { spectral: spectral.exportState() } : {}),
      };
    },
    importState(state) {
      if (!spectral) refuseSpectralState(state);
      optimizerG.importState(state.generator);
      optimizerD.importState(state.discriminator);
      // A state without them (spectral normalisation switched on at a resume) keeps the vectors
      // made from the weights.
      if (state.spectral) spectral!.importState(state.spectral);
    },
    dispose() {
      optimizerD.dispose();
      optimizerG.dispose();
      spectral?.dispose();
    },
  };
}

/**
 * Trains a GAN. Per batch: one discriminator step on a real batch (label 1) and a generated batch
 * (label 0), then one generator step with the non-saturating loss on the same noise (and, with
 * `generatorSteps` above 1, more generator steps on fresh noise), each network with its
 * own Adam optimiser. Both models are trained in place.
 *
 * @param generator Maps `(B, latentDim)` noise to `(B, height, width, channels)` images in [-1, 1].
 * @param discriminator Maps such images to `(B, 1)` logits.
 * @param data The real images, in [-1, 1], of the generator's output shape.
 * @param options Epochs, batch size, optimiser, seed, callbacks, abort signal.
 * @returns How far training got.
 * @throws {RangeError} On an option out of range, data smaller than one batch, or models whose
 * shapes do not fit the data.
 *
 * @example Train the tutorial GAN for one epoch on 3,200 digits
 * ```ts
 * import { createDiscriminator, createGenerator, loadMnist, selectBackend, trainGAN } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const data = await loadMnist({ limit: 3200 });
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * await trainGAN(generator, discriminator, data, {
 *   epochs: 1,
 *   batchSize: 32,
 *   onEpoch: (e) => console.log(`epoch ${e.epoch}: loss_d ${e.lossD.toFixed(3)}`),
 * });
 * ```
 */
export async function trainGAN(
  generator: LayersModel,
  discriminator: LayersModel,
  data: ImageSet,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const o = resolveTrainOptions(options);
  const latentDim = checkModels(generator, discriminator, data);
  const mixture = latentMixtureOf(generator);
  const conditional = generator.inputs.length === 2;
  const stepsPerEpoch = Math.floor(data.count / o.batchSize);
  if (stepsPerEpoch === 0) {
    throw new RangeError(
      `trainGAN: the data holds ${data.count} images, fewer than one batch of ${o.batchSize}`,
    );
  }
  const checkpointEvery = checkInteger(
    "trainGAN",
    "checkpointEvery",
    options.checkpointEvery ?? 0,
    0,
  );
  const resume = options.resume;
  if (resume) checkTrainState(resume, data.count, stepsPerEpoch);
  const random = resume ? Random.fromState(resume.random) : new Random(o.seed);
  const ganStep = createGanStep(generator, discriminator, o);
  const size = imageSize(data);
  const order = resume
    ? Uint32Array.from(resume.order)
    : Uint32Array.from({ length: data.count }, (_, i) => i);
  const yieldNow = makeYielder();
  const started = performance.now();
  let globalStep = resume?.globalStep ?? 0;
  // A resumed epoch that had finished counts as done; one in progress goes on without a shuffle.
  const finished = resume !== undefined && resume.step === stepsPerEpoch;
  let epochsDone = resume ? resume.epoch - (finished ? 0 : 1) : 0;
  const firstEpoch = epochsDone + 1;

  try {
    if (resume) ganStep.importState(resume.optimizers);
    const checkpoint = (epoch: number, step: number, sums: number[]) =>
      options.onCheckpoint?.({
        epoch,
        step,
        stepsPerEpoch,
        globalStep,
        random: random.state,
        order: order.slice(),
        sums: sums.slice() as TrainState["sums"],
        optimizers: ganStep.exportState(),
      });
    for (let epoch = firstEpoch; epoch <= o.epochs && !options.signal?.aborted; epoch++) {
      const continuing = resume !== undefined && !finished && epoch === resume.epoch;
      if (!continuing) random.shuffle(order);
      const epochStart = performance.now();
      const sums = continuing ? [...resume.sums] : [0, 0, 0, 0];
      let steps = continuing ? resume.step : 0;
      for (let s = steps; s < stepsPerEpoch; s++) {
        await yieldNow();
        if (options.signal?.aborted) break;
        const t0 = performance.now();
        const batch = new Float32Array(o.batchSize * size);
        for (let i = 0; i < o.batchSize; i++) {
          const index = order[s * o.batchSize + i];
          batch.set(data.pixels.subarray(index * size, (index + 1) * size), i * size);
        }
        const noise = latentNoise(random, o.generatorSteps * o.batchSize, latentDim, mixture);
        const labels = conditional
          ? Uint8Array.from(
            { length: o.batchSize },
            (_, i) => data.labels![order[s * o.batchSize + i]],
          )
          : undefined;
        const { lossD, lossG, dReal, dFake } = await ganStep.run(batch, noise, labels);
        globalStep++;
        steps++;
        sums[0] += lossD;
        sums[1] += lossG;
        sums[2] += dReal;
        sums[3] += dFake;
        await options.onStep?.({
          epoch,
          epochs: o.epochs,
          step: s + 1,
          stepsPerEpoch,
          globalStep,
          lossD,
          lossG,
          dReal,
          dFake,
          ms: performance.now() - t0,
        });
        // The epoch's last step is followed by the epoch's own checkpoint.
        if (checkpointEvery > 0 && globalStep % checkpointEvery === 0 && steps < stepsPerEpoch) {
          await checkpoint(epoch, steps, sums);
        }
      }
      if (steps < stepsPerEpoch) {
        await checkpoint(epoch, steps, sums);
        break;
      }
      epochsDone = epoch;
      await options.onEpoch?.({
        epoch,
        epochs: o.epochs,
        steps,
        lossD: sums[0] / steps,
        lossG: sums[1] / steps,
        dReal: sums[2] / steps,
        dFake: sums[3] / steps,
        seconds: (performance.now() - epochStart) / 1000,
      });
      await checkpoint(epoch, steps, sums);
    }
  } finally {
    ganStep.dispose();
  }
  return {
    epochs: epochsDone,
    steps: globalStep,
    aborted: options.signal?.aborted ?? false,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Checks a state to resume from against the data and the epoch's length. */
function checkTrainState(state: TrainState, count: number, stepsPerEpoch: number): void {
  const fail = (fault: string): never => {
    throw new RangeError(`trainGAN: cannot resume: ${fault}`);
  };
  if (state.stepsPerEpoch !== stepsPerEpoch) {
    fail(
      `the state has ${state.stepsPerEpoch} steps an epoch, this data and batch ${stepsPerEpoch}`,
    );
  }
  if (!Number.isInteger(state.epoch) || state.epoch < 1) fail(`epoch ${state.epoch}`);
  if (!Number.isInteger(state.step) || state.step < 0 || state.step > stepsPerEpoch) {
    fail(`step ${state.step} of an epoch of ${stepsPerEpoch}`);
  }
  if (state.globalStep !== (state.epoch - 1) * stepsPerEpoch + state.step) {
    fail(`global step ${state.globalStep} is not step ${state.step} of epoch ${state.epoch}`);
  }
  if (state.order.length !== count) {
    fail(`the data order has ${state.order.length} positions, the data ${count} images`);
  }
  const seen = new Uint8Array(count);
  for (const index of state.order) {
    if (index >= count || seen[index]) fail("the data order is not a permutation of the data");
    seen[index] = 1;
  }
  const word = (x: number) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 32;
  if (state.random.length !== 4 || !state.random.every(word)) {
    fail("the random state is not four 32-bit integers");
  }
  if (state.sums.length !== 4 || !state.sums.every(Number.isFinite)) {
    fail("the epoch's sums are not four finite numbers");
  }
}

/** Checks that the models fit each other and the data; returns the latent size. */
function checkModels(
  generator: LayersModel,
  discriminator: LayersModel,
  data: ImageSet,
): number {
  const gIn = generator.inputs[0].shape;
  const gOut = generator.outputs[0].shape;
  const dIn = discriminator.inputs[0].shape;
  const classes = generator.inputs.length === 2 ? generator.inputs[1].shape[1] : 0;
  const dClasses = discriminator.inputs.length === 2 ? discriminator.inputs[1].shape[1] : 0;
  if (classes !== dClasses) {
    throw new RangeError(
      `trainGAN: the generator is for ${classes || "no"} classes, the discriminator for ${
        dClasses || "no"
      }`,
    );
  }
  if (classes && !data.labels) {
    throw new RangeError("trainGAN: a conditional GAN needs labelled data (data.labels)");
  }
  if (classes && data.labels!.some((label) => label >= (classes as number))) {
    throw new RangeError(`trainGAN: the data has labels beyond the models' ${classes} classes`);
  }
  const dOut = discriminator.outputs[0].shape;
  const dataShape = [data.height, data.width, data.channels];
  const same = (a: (number | null)[], b: (number | null)[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  if (gIn.length !== 2 || typeof gIn[1] !== "number") {
    throw new RangeError(`trainGAN: the generator's input must be (B, latentDim), got [${gIn}]`);
  }
  if (!same(gOut.slice(1), dataShape)) {
    throw new RangeError(
      `trainGAN: the generator makes [${gOut.slice(1)}] images, the data holds [${dataShape}]`,
    );
  }
  if (!same(dIn.slice(1), dataShape)) {
    throw new RangeError(
      `trainGAN: the discriminator takes [${dIn.slice(1)}] images, the data holds [${dataShape}]`,
    );
  }
  if (!same(dOut, [null, 1])) {
    throw new RangeError(`trainGAN: the discriminator must output (B, 1) logits, got [${dOut}]`);
  }
  if (data.pixels.length !== data.count * imageSize(data)) {
    throw new RangeError(
      `trainGAN: data.pixels holds ${data.pixels.length} values, not count × height × width × channels`,
    );
  }
  return gIn[1];
}
