/**
 * What `trainGAN` takes and reports: its options, their defaults and checks, and the
 * step and epoch reports that its callbacks receive.
 *
 * @module
 */

import { checkBoolean, checkInteger, checkNumber } from "../errors.ts";
import type { TrainingSettings } from "../models/presets.ts";
import { ORIGINAL_ADAM } from "../models/presets/types.ts";
import type { TrainState } from "./state.ts";

/**
 * `trainGAN`'s numbers where its options leave them out: the originals' Adam (2e-4, β 0.5, 0.999),
 * batch 64, 20 epochs, one generator update per step (each documented by `@default` in
 * {@linkcode TrainOptions}). A preset's own settings come with `trainRun`.
 */
const TRAIN_DEFAULTS: TrainingSettings = {
  epochs: 20,
  batchSize: 64,
  ...ORIGINAL_ADAM,
  generatorSteps: 1,
};

/** What `trainGAN` reports after every step. */
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

/** What `trainGAN` reports after every epoch: the means over its steps. */
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

/** Options of `trainGAN`. Absent numbers take the values under `@default`. */
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
