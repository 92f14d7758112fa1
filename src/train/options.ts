/**
 * What `trainGAN` takes and reports: its options, their defaults and checks, and the
 * step and epoch reports that its callbacks receive.
 *
 * @module
 */

import { checkBoolean, checkInteger, checkNumber } from "../errors.ts";
import type { TrainingSettings } from "../models/presets.ts";
import { ORIGINAL_ADAM } from "../models/presets/types.ts";
import { AUGMENT_NAMES, type AugmentName } from "./augment.ts";
import { LOSS_NAMES, type LossName } from "./losses.ts";
import type { TrainState } from "./state.ts";

/** Which updates one step runs: both networks', the discriminator's only, or the generator's only. */
export type StepPart = "both" | "discriminator" | "generator";

/**
 * The optimiser settings an objective's paper recommends where they differ from a preset's:
 * WGAN-GP's Algorithm 1 (Gulrajani et al. 2017) trains with Adam 1e-4, β = (0, 0.9), five critic
 * updates per generator update (and one generator update each). The others train as the preset does.
 *
 * @example
 * ```ts
 * import { LOSS_SETTINGS } from "@gan/mnist";
 *
 * console.log(LOSS_SETTINGS["wgan-gp"].discriminatorSteps); // 5
 * ```
 */
export const LOSS_SETTINGS: Readonly<
  Record<
    LossName,
    Readonly<
      Partial<
        Pick<
          ResolvedTrainOptions,
          "learningRate" | "beta1" | "beta2" | "discriminatorSteps" | "generatorSteps"
        >
      >
    >
  >
> = Object.freeze({
  ns: {},
  hinge: {},
  ls: {},
  "wgan-gp": Object.freeze({
    learningRate: 1e-4,
    beta1: 0,
    beta2: 0.9,
    discriminatorSteps: 5,
    generatorSteps: 1,
  }),
});

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
  /**
   * D(x): the discriminator's mean probability that the real images are real (`ns`), or its mean
   * score of them in the objective's units (the other losses).
   */
  dReal: number;
  /** D(G(z)): the same for the generated images. */
  dFake: number;
  /** Which updates the step ran ("discriminator" only between generator updates, `discriminatorSteps` > 1). */
  part: StepPart;
  /** The probability of each augmentation (0 without augmentation; adapted with `ada`). */
  augmentProbability: number;
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
   * The objective (src/train/losses.ts): `ns` (non-saturating cross-entropy), `hinge`, `ls`
   * (least squares) or `wgan-gp` (Wasserstein with gradient penalty). A loss whose paper
   * recommends other optimiser settings ({@linkcode LOSS_SETTINGS}) trains with them unless given.
   * @default {"ns"}
   */
  loss?: LossName;
  /**
   * λ, the weight of WGAN-GP's gradient penalty `(‖∇D(x̂)‖ - 1)²` (used with `loss: "wgan-gp"`).
   * @default {10}
   */
  gradientPenalty?: number;
  /**
   * Discriminator updates per generator update: steps between two generator updates update the
   * discriminator only, each on its own real batch.
   * @default {1, or 5 for wgan-gp}
   */
  discriminatorSteps?: number;
  /**
   * γ of the R1 penalty (Mescheder et al. 2018), `γ/2 · ‖∇D(x)‖²` on real images, added to the
   * discriminator's loss; 0 for none.
   * @default {0}
   */
  r1?: number;
  /**
   * Lazy R1: the penalty on every k-th discriminator update only, weighted by k (Karras et al. 2020).
   * @default {1}
   */
  r1Every?: number;
  /**
   * Differentiable augmentations (DiffAugment, Zhao et al. 2020) of every image the
   * discriminator sees, real and generated, in both networks' updates: `translation`, `cutout`,
   * `color` (src/train/augment.ts).
   * @default {[]}
   */
  augment?: readonly AugmentName[];
  /**
   * Adaptive augmentation (ADA, Karras et al. 2020): apply each augmentation with a probability p
   * that rises while the discriminator overfits (the sign of its outputs on reals) and falls
   * otherwise; without it, every augmentation applies to every image.
   * @default {false}
   */
  ada?: boolean;
  /**
   * Seed of the data order and the noise; with the same seed, models and backend, training is
   * bit-for-bit repeatable.
   * @default {0}
   */
  seed?: number;
  /** Stops training after the current step when aborted. */
  signal?: AbortSignal;
  /**
   * Called before every step; training waits for a returned promise. A returned part replaces the
   * scheduled one for that step (a stepper: the live view's "D only", "G only").
   */
  nextStep?: () => StepPart | undefined | Promise<StepPart | undefined>;
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
export type ResolvedTrainOptions =
  & Required<
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
      | "loss"
      | "gradientPenalty"
      | "discriminatorSteps"
      | "r1"
      | "r1Every"
      | "ada"
      | "seed"
    >
  >
  & { augment: AugmentName[] };

/**
 * Training options with defaults filled in and every value checked.
 *
 * @param options The caller's options.
 * @returns Every numeric setting.
 * @throws {RangeError} Naming the first option out of range.
 */
export function resolveTrainOptions(options: TrainOptions = {}): ResolvedTrainOptions {
  const where = "trainGAN";
  const loss = options.loss ?? "ns";
  if (!LOSS_NAMES.includes(loss)) {
    throw new RangeError(`${where}: loss must be one of ${LOSS_NAMES.join(", ")}, got "${loss}"`);
  }
  const preset = { ...TRAIN_DEFAULTS, discriminatorSteps: 1, ...LOSS_SETTINGS[loss] };
  const augment = [...(options.augment ?? [])];
  for (const name of augment) {
    if (!AUGMENT_NAMES.includes(name)) {
      throw new RangeError(
        `${where}: augment: "${name}" is not one of ${AUGMENT_NAMES.join(", ")}`,
      );
    }
  }
  const ada = checkBoolean(where, "ada", options.ada ?? false);
  if (ada && augment.length === 0) {
    throw new RangeError(`${where}: ada adapts the augmentations' probability: give augment too`);
  }
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
    loss,
    gradientPenalty: checkNumber(
      where,
      "gradientPenalty",
      options.gradientPenalty ?? 10,
      0,
      1e6,
      "[]",
    ),
    discriminatorSteps: checkInteger(
      where,
      "discriminatorSteps",
      options.discriminatorSteps ?? preset.discriminatorSteps,
      1,
      100,
    ),
    r1: checkNumber(where, "r1", options.r1 ?? 0, 0, 1e6, "[]"),
    r1Every: checkInteger(where, "r1Every", options.r1Every ?? 1, 1, 1000),
    augment,
    ada,
    seed: checkInteger(where, "seed", options.seed ?? 0, 0, 2 ** 32 - 1),
  };
}
