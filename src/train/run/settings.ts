/**
 * A run's settings: everything that determines it, resolved from a preset and overrides and
 * checked (what `config.json` records), and the settings of a run to resume.
 *
 * @module
 */

import { dirname } from "node:path";
import type { MnistSplit } from "../../data/mnist.ts";
import { checkInteger, checkNumber, CheckpointError, RunDirectoryError } from "../../errors.ts";
import { resolveDiscriminatorOptions, resolveGeneratorOptions } from "../../models/options.ts";
import {
  DEFAULT_PRESET,
  type DiscriminatorOptions,
  type GeneratorOptions,
  getPreset,
  type PresetName,
} from "../../models/presets.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { LOSS_SETTINGS, type ResolvedTrainOptions, resolveTrainOptions } from "../options.ts";
import type { TrainRunOptions } from "./options.ts";

/** Everything that determines a run: what `config.json` holds under `"settings"`. */
export interface RunSettings {
  /** The preset the run started from. */
  preset: PresetName;
  /** Whether it is the original recipe exactly as written. */
  faithful: boolean;
  /** The generator's architecture. */
  generator: GeneratorOptions;
  /** The discriminator's architecture. */
  discriminator: DiscriminatorOptions;
  /** The training settings, with the seed. */
  training: ResolvedTrainOptions;
  /** Where the data came from. */
  data: { dir: string | null; split: MnistSplit; limit: number | null };
  /** Steps per log line. */
  logEvery: number;
  /** Images per sample grid. */
  gridSize: number;
  /** Epochs between evaluations (0: none). */
  evalEvery: number;
  /** Samples per evaluation. */
  evalSamples: number;
  /** Whether a collapse stops training. */
  stopOnCollapse: boolean;
  /** Decay of the generator's weight average (0: none). */
  average: number;
}

/**
 * All settings of a run, from a preset and overrides, checked.
 *
 * @param options The preset and the changes.
 * @returns The settings `config.json` records.
 */
export function resolveRunSettings(options: TrainRunOptions = {}): RunSettings {
  const faithful = options.faithful ?? false;
  const preset = getPreset(options.preset ?? DEFAULT_PRESET, faithful);
  // An objective whose paper trains with other optimiser settings takes them (LOSS_SETTINGS).
  const loss = options.loss ?? preset.training.loss ?? "ns";
  const lossSettings: Partial<ResolvedTrainOptions> = LOSS_SETTINGS[loss] ?? {};
  const learningRate = options.learningRate ?? lossSettings.learningRate ??
    preset.training.learningRate;
  // A preset's generator rate is a ratio to its own rate: `--lr` alone keeps the ratio.
  const ratio = (preset.training.generatorLearningRate ?? preset.training.learningRate) /
    preset.training.learningRate;
  const training = resolveTrainOptions({
    epochs: options.epochs ?? preset.training.epochs,
    batchSize: options.batchSize ?? preset.training.batchSize,
    learningRate,
    generatorLearningRate: options.generatorLearningRate ?? ratio * learningRate,
    beta1: options.beta1 ?? lossSettings.beta1 ?? preset.training.beta1,
    beta2: options.beta2 ?? lossSettings.beta2 ?? preset.training.beta2,
    generatorSteps: options.generatorSteps ?? lossSettings.generatorSteps ??
      preset.training.generatorSteps,
    spectralNorm: options.spectralNorm ?? preset.training.spectralNorm ?? false,
    loss,
    gradientPenalty: options.gradientPenalty,
    discriminatorSteps: options.discriminatorSteps,
    r1: options.r1 ?? preset.training.r1,
    r1Every: options.r1Every ?? preset.training.r1Every,
    augment: options.augment,
    ada: options.ada,
    seed: options.seed ?? 0,
  });
  const limit = options.dataLimit === undefined
    ? preset.training.dataLimit ?? null
    : options.dataLimit;
  if (limit !== null) checkInteger("trainRun", "dataLimit", limit);
  return {
    preset: preset.name,
    faithful,
    generator: resolveGeneratorOptions({ preset: preset.name, faithful, ...options.generator }),
    discriminator: resolveDiscriminatorOptions({
      preset: preset.name,
      faithful,
      ...options.discriminator,
    }),
    training,
    data: { dir: options.dataDir ?? null, split: options.split ?? "train", limit },
    logEvery: checkInteger("trainRun", "logEvery", options.logEvery ?? 50),
    gridSize: checkInteger("trainRun", "gridSize", options.gridSize ?? 64, 1, 1024),
    evalEvery: checkInteger("trainRun", "evalEvery", options.evalEvery ?? 0, 0),
    evalSamples: checkInteger("trainRun", "evalSamples", options.evalSamples ?? 2000, 10, 100_000),
    stopOnCollapse: options.stopOnCollapse ?? false,
    average: checkNumber(
      "trainRun",
      "average",
      options.average ?? preset.training.average ?? 0,
      0,
      1,
      "[)",
    ),
  };
}

/**
 * The settings of a run to resume, checked, with `epochs` changed if asked.
 *
 * @param recorded The run's recorded settings as options (from its checkpoint or config.json).
 * @param source The file they came from, for messages.
 * @param saved The checkpoint, or null when the run starts again from its config.json.
 * @param epochs The epochs asked for now, if any.
 * @returns The settings.
 * @throws {CheckpointError} If the checkpoint's settings do not check.
 * @throws {RunDirectoryError} If config.json's settings do not check.
 * @throws {RangeError} If `epochs` is below the checkpoint's epoch.
 */
export function resumedSettings(
  recorded: TrainRunOptions,
  source: string,
  saved: Checkpoint | null,
  epochs: number | undefined,
): RunSettings {
  let settings: RunSettings;
  try {
    settings = resolveRunSettings({ ...recorded, epochs: epochs ?? recorded.epochs });
  } catch (error) {
    const fault = `its settings: ${(error as Error).message}`;
    if (saved) throw new CheckpointError("read", source, fault, { cause: error });
    throw new RunDirectoryError(dirname(source), `cannot resume: config.json: ${fault}`);
  }
  if (saved && settings.training.epochs < saved.train.epoch) {
    throw new RangeError(
      `trainRun: epochs ${settings.training.epochs}: the run's checkpoint is at epoch ${saved.train.epoch} already`,
    );
  }
  return settings;
}

/** How a run checkpoints and meets a non-finite value: the options beside its settings. */
export interface RunControls {
  /** Steps between checkpoints within an epoch (0: at epochs' ends and when stopped only). */
  checkpointEvery: number;
  /** What a non-finite value does. */
  onNan: "stop" | "rollback";
}

/**
 * The options that steer a run without being among its settings, checked.
 *
 * @param options The run's options.
 * @returns `checkpointEvery` and `onNan`.
 * @throws {RangeError} If either is not one of its values.
 *
 * @example
 * ```ts
 * import { resolveRunControls } from "./settings.ts";
 *
 * console.log(resolveRunControls({ onNan: "rollback" })); // { checkpointEvery: 0, onNan: "rollback" }
 * ```
 */
export function resolveRunControls(options: TrainRunOptions): RunControls {
  const checkpointEvery = checkInteger(
    "trainRun",
    "checkpointEvery",
    options.checkpointEvery ?? 0,
    0,
  );
  const onNan = options.onNan ?? "stop";
  if (onNan !== "stop" && onNan !== "rollback") {
    throw new RangeError(`trainRun: onNan must be "stop" or "rollback", got "${onNan}"`);
  }
  return { checkpointEvery, onNan };
}
