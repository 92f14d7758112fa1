/**
 * What a caller gives {@linkcode trainRun} and gets back: the options, the callbacks' arguments,
 * the evaluator's type, and the result.
 *
 * @module
 */

import type { LayersModel } from "../../tf_types.ts";
import type { ImageSet } from "../../data/images.ts";
import type { MnistSplit } from "../../data/mnist.ts";
import type { DiscriminatorOptions, GeneratorOptions, PresetName } from "../../models/presets.ts";
import type { Evaluation } from "../../eval/evaluate.ts";
import type { HealthIssue, HealthWarning } from "../health.ts";
import type { ResolvedTrainOptions, StepInfo, TrainOptions } from "../options.ts";
import type { TrainResult } from "../train.ts";
import type { RunSettings } from "./settings.ts";

/**
 * Options of {@linkcode trainRun}: a preset and whatever to change in it. The training numbers
 * (`epochs`, `batchSize`, `learningRate`, `generatorLearningRate`, `beta1`, `beta2`,
 * `generatorSteps`, `spectralNorm`) default to the preset's, the seed to 0;
 * `signal`, `nextStep`, `onStep` and `onEpoch` work as in {@linkcode trainGAN} (`onEpoch` runs
 * once the epoch's files are written).
 */
export interface TrainRunOptions extends
  Pick<
    TrainOptions,
    keyof ResolvedTrainOptions | "signal" | "nextStep" | "onStep" | "onEpoch"
  > {
  /**
   * The recipe to start from.
   * @default {"quick"}
   */
  preset?: PresetName;
  /**
   * Start from the original recipe exactly as written (`ORIGINAL_PRESETS`): for `standard`, no
   * BatchNorm in G and one G update per D update.
   * @default {false}
   */
  faithful?: boolean;
  /** Generator fields to override. */
  generator?: Partial<GeneratorOptions>;
  /** Discriminator fields to override. */
  discriminator?: Partial<DiscriminatorOptions>;
  /**
   * Decay of the moving average of G's weights that the run saves as `generator/` and samples
   * and evaluates (the last weights go to `generator-last/`); 0 for none. The preset's when absent
   * (standard: 0.999, the others 0).
   */
  average?: number;
  /** Train on the first N images; `null` for all; the preset's when absent (lite: 10,000). */
  dataLimit?: number | null;
  /** A directory with MNIST-format files; the bundled MNIST when absent. */
  dataDir?: string;
  /**
   * Which split to train on.
   * @default {"train"}
   */
  split?: MnistSplit;
  /** Images already in memory, used instead of loading `dataDir`. */
  data?: ImageSet;
  /** The run directory; nothing is written when absent. */
  out?: string;
  /** Write into `out` even if it already holds files (they are replaced). */
  force?: boolean;
  /**
   * Steps per line of `log.jsonl` and per point of the loss curves.
   * @default {50}
   */
  logEvery?: number;
  /**
   * Images in each epoch's sample grid.
   * @default {64}
   */
  gridSize?: number;
  /**
   * Evaluate the generator every N epochs (and after the last): the metrics go to `log.jsonl`
   * and `loss.svg`, the generator with the best FID to `R/best/`. 0 for never.
   * @default {0}
   */
  evalEvery?: number;
  /**
   * Samples per evaluation.
   * @default {2000}
   */
  evalSamples?: number;
  /** The evaluator; the built-in one ({@linkcode evaluateGenerator}) when absent. */
  evaluator?: GeneratorEvaluator;
  /**
   * Stop when the discriminator or the samples collapse (non-finite values always stop).
   * @default {false}
   */
  stopOnCollapse?: boolean;
  /** Called with each health warning (they are also logged to `log.jsonl`). */
  onWarning?: (warning: HealthWarning) => void | Promise<void>;
  /** Called after each evaluation. */
  onEvaluation?: (evaluation: RunEvaluation) => void | Promise<void>;
  /**
   * Steps between checkpoints (`R/checkpoint.ckpt`) within an epoch; one is written after every
   * epoch, and when the signal stops training, in any case. 0: only those.
   * @default {0}
   */
  checkpointEvery?: number;
  /**
   * What a NaN or ±Infinity in a loss or a weight (looked for after every step) does: `"stop"`
   * training, keeping the last good checkpoint and models; or `"rollback"`: restore the last good
   * checkpoint (the start, before the first), halve the learning rate and go on, at most
   * {@linkcode MAX_ROLLBACKS} times.
   * @default {"stop"}
   */
  onNan?: "stop" | "rollback";
  /**
   * Continue the run in `out` from its checkpoint, exactly where it stopped (bit for bit on the
   * same backend), with the run's own settings: the options that make the settings are ignored,
   * but for `epochs`, which may extend the run. A run stopped before its first checkpoint starts
   * again from its `config.json`.
   * @default {false}
   */
  resume?: boolean;
  /** Called before training when resuming, with where it goes on from. */
  onResume?: (from: ResumeInfo) => void | Promise<void>;
  /** Called at each rollback (`onNan: "rollback"`). */
  onRollback?: (rollback: RollbackInfo) => void | Promise<void>;
  /**
   * Called after each step whose part `nextStep` chose (a step taken by hand, as the live view's
   * stepper takes them), before `onStep`, with the step and a function that draws the
   * fixed-noise grid (`gridSize` samples of the epochs' grids' noise, as a PNG) from G's current
   * weights (not the average): call it before returning to see what the step changed.
   */
  onManualStep?: (info: StepInfo, drawGrid: () => Promise<Uint8Array>) => void | Promise<void>;
}

/**
 * A rollback after a non-finite value.
 *
 * @example
 * ```ts
 * import { trainRun } from "@gan/mnist";
 *
 * await trainRun({
 *   preset: "lite",
 *   onNan: "rollback",
 *   onRollback: (r) => console.log(`back to step ${r.toStep}, learning rate ${r.learningRate}`),
 * });
 * ```
 */
export interface RollbackInfo {
  /** The step where the value was found. */
  fromStep: number;
  /** The step of the checkpoint training goes back to (0: the start). */
  toStep: number;
  /** The learning rate from now on (halved; the generator's, where it differs, halves too). */
  learningRate: number;
  /** Rollbacks so far. */
  rollbacks: number;
}

/**
 * Where a resumed run goes on from.
 *
 * @example
 * ```ts
 * import { trainRun } from "@gan/mnist";
 *
 * await trainRun({
 *   out: "runs/lite",
 *   resume: true,
 *   onResume: (from) => console.log(`from epoch ${from.epoch}, step ${from.step}`),
 * });
 * ```
 */
export interface ResumeInfo {
  /** The epoch in progress (or finished) at the checkpoint; 1 and step 0 for a fresh start. */
  epoch: number;
  /** Steps of that epoch done. */
  step: number;
  /** Steps since the start of the run. */
  globalStep: number;
  /** The backend the checkpoint was written on; null without a checkpoint. */
  backend: string | null;
  /** The learning rate in use (lower than the settings' after rollbacks). */
  learningRate: number;
  /** The generator's learning rate in use (lowered in the same ratio). */
  generatorLearningRate: number;
}

/**
 * Rollbacks after non-finite values before training stops anyway.
 *
 * @example
 * ```ts
 * import { MAX_ROLLBACKS } from "@gan/mnist";
 *
 * console.log(`at most ${MAX_ROLLBACKS} rollbacks`); // 3
 * ```
 */
export const MAX_ROLLBACKS = 3;

/** What one evaluation during training measured: the evaluator's headline metrics, and when. */
export interface RunEvaluation extends
  Pick<
    Evaluation,
    "fid" | "is" | "coverage" | "precision" | "recall" | "confidence" | "classShare"
  >,
  Partial<Pick<Evaluation, "fidFloor" | "kid" | "kidStd">> {
  /** The epoch after which it ran. */
  epoch: number;
  /** Steps since the start of the run. */
  globalStep: number;
}

/** Evaluates a generator from `n` samples drawn with `seed`. */
export type GeneratorEvaluator = (
  generator: LayersModel,
  options: { n: number; seed: number },
) => Promise<Omit<RunEvaluation, "epoch" | "globalStep">>;

/** What {@linkcode trainRun} returns. */
export interface TrainRunResult {
  /** The trained generator: its last weights. */
  generator: LayersModel;
  /** The averaged generator (`average` > 0), which `generator/` holds; null without. */
  averaged: LayersModel | null;
  /** The trained discriminator. */
  discriminator: LayersModel;
  /** The settings the run used. */
  settings: RunSettings;
  /** How far training got. */
  result: TrainResult;
  /** Every health warning, in order. */
  warnings: HealthWarning[];
  /** What stopped training early, if a health check did. */
  stoppedBy: HealthIssue | null;
  /** The best evaluation (lowest FID), whose generator is in `R/best/`; null without any. */
  best: RunEvaluation | null;
  /** Where the last checkpoint written stands; null if none was. */
  checkpoint: { epoch: number; step: number; globalStep: number } | null;
  /** Rollbacks after non-finite values, in all the run's sessions. */
  rollbacks: number;
}
