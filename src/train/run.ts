/**
 * A training run with everything written down (Deno only): data loading, both models, training,
 * and a run directory that holds the models after every epoch, a log, sample grids, loss curves
 * and the config that reproduces it.
 *
 * ```
 * R/config.json                 every setting, the seed, the versions
 * R/log.jsonl                   one JSON line per logging step and per epoch
 * R/loss.svg                    loss curves (and quality, when evaluated), redrawn every epoch
 * R/samples/epoch-001.png       a grid from a fixed noise batch, every epoch
 * R/samples/progress.gif        those grids as a time-lapse, redrawn every epoch
 * R/generator/model.json        tf.js layers format, saved every epoch
 * R/discriminator/model.json
 * R/best/model.json             with evaluation on: the generator with the best FID so far
 * R/checkpoint.ckpt             everything needed to resume exactly: every epoch, every N steps,
 *                               and when stopped
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { dirname, join } from "node:path";
import type { ImageSet } from "../data/images.ts";
import { loadMnist, MNIST_PACKAGE, type MnistSplit } from "../data/mnist.ts";
import { isCifarDir, loadCifar10 } from "../data/cifar.ts";
import { checkInteger, checkNumber, CheckpointError, RunDirectoryError } from "../errors.ts";
import { GeneratorAverage } from "./average.ts";
import { describeFsError, writeFileAtomic } from "../fs.ts";
import { saveModel } from "../io/model_files.ts";
import {
  createDiscriminator,
  createGenerator,
  resolveDiscriminatorOptions,
  resolveGeneratorOptions,
} from "../models/mlp.ts";
import {
  DEFAULT_PRESET,
  type DiscriminatorOptions,
  type GeneratorOptions,
  getPreset,
  type PresetName,
} from "../models/presets.ts";
import { sample } from "../sample/sample.ts";
import { evaluateGenerator, type Evaluation } from "../eval/evaluate.ts";
import { writePngGrid } from "../sample/files.ts";
import { TFJS_VERSION, VERSION } from "../version.ts";
import { type CurvePoint, lossChartSvg, type MetricPoint } from "./chart.ts";
import { type HealthIssue, HealthMonitor, type HealthWarning } from "./health.ts";
import {
  captureWeights,
  type Checkpoint,
  dataFingerprint,
  restoreWeights,
  type RunProgress,
} from "./checkpoint.ts";
import { CHECKPOINT_FILE, writeCheckpoint } from "./checkpoint_file.ts";
import { findNonFiniteWeight } from "./finite.ts";
import { findResumePoint } from "./resume.ts";
import { epochGridName, PROGRESS_GIF, writeProgressGif } from "./timelapse.ts";
import {
  type EpochInfo,
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type StepInfo,
  trainGAN,
  type TrainOptions,
  type TrainResult,
  type TrainState,
} from "./train.ts";

/**
 * Options of {@linkcode trainRun}: a preset and whatever to change in it. The training numbers
 * (`epochs`, `batchSize`, `learningRate`, `generatorLearningRate`, `beta1`, `beta2`,
 * `generatorSteps`, `spectralNorm`) default to the preset's, the seed to 0;
 * `signal`, `onStep` and `onEpoch` work as in {@linkcode trainGAN} (`onEpoch` runs once the
 * epoch's files are written).
 */
export interface TrainRunOptions
  extends Pick<TrainOptions, keyof ResolvedTrainOptions | "signal" | "onStep" | "onEpoch"> {
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
  > {
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

/**
 * All settings of a run, from a preset and overrides, checked.
 *
 * @param options The preset and the changes.
 * @returns The settings `config.json` records.
 */
export function resolveRunSettings(options: TrainRunOptions = {}): RunSettings {
  const faithful = options.faithful ?? false;
  const preset = getPreset(options.preset ?? DEFAULT_PRESET, faithful);
  const learningRate = options.learningRate ?? preset.training.learningRate;
  // A preset's generator rate is a ratio to its own rate: `--lr` alone keeps the ratio.
  const ratio = (preset.training.generatorLearningRate ?? preset.training.learningRate) /
    preset.training.learningRate;
  const training = resolveTrainOptions({
    epochs: options.epochs ?? preset.training.epochs,
    batchSize: options.batchSize ?? preset.training.batchSize,
    learningRate,
    generatorLearningRate: options.generatorLearningRate ?? ratio * learningRate,
    beta1: options.beta1 ?? preset.training.beta1,
    beta2: options.beta2 ?? preset.training.beta2,
    generatorSteps: options.generatorSteps ?? preset.training.generatorSteps,
    spectralNorm: options.spectralNorm ?? preset.training.spectralNorm ?? false,
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

/** Checks, without touching anything, that `dir` can hold a new run. */
async function checkRunDirectory(dir: string, force: boolean): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new RunDirectoryError(dir, describeFsError(error), { cause: error });
  }
  if (!info.isDirectory) throw new RunDirectoryError(dir, "exists and is not a directory");
  if (force) return;
  for await (const _ of Deno.readDir(dir)) {
    throw new RunDirectoryError(
      dir,
      "exists and is not empty (choose another directory, or --force / { force: true } to replace its run)",
    );
  }
}

/** Creates `dir` with `samples/`, first removing an earlier run's files when forced. */
async function createRunDirectory(dir: string, force: boolean): Promise<void> {
  if (force) await removeRunFiles(dir);
  try {
    await Deno.mkdir(join(dir, "samples"), { recursive: true });
  } catch (error) {
    throw new RunDirectoryError(dir, `cannot create it (${describeFsError(error)})`, {
      cause: error,
    });
  }
}

/** Removes the files a run writes (and nothing else), so that a forced run starts clean. */
async function removeRunFiles(dir: string): Promise<void> {
  const remove = (path: string) => Deno.remove(path).catch(() => {});
  await Promise.all(
    ["config.json", "log.jsonl", "loss.svg", CHECKPOINT_FILE].map((f) => remove(join(dir, f))),
  );
  const inside = async (sub: string, pattern: RegExp) => {
    try {
      for await (const entry of Deno.readDir(join(dir, sub))) {
        if (pattern.test(entry.name)) await remove(join(dir, sub, entry.name));
      }
    } catch {
      // no such subdirectory
    }
  };
  await inside("samples", /^epoch-\d+\.png$/);
  await remove(join(dir, "samples", PROGRESS_GIF));
  for (const role of ["generator", "generator-last", "discriminator", "best"]) {
    await inside(role, /^(model\.json|weights-[0-9a-f]{8}\.bin)$/);
  }
}

/**
 * Removes the temporary files of atomic writes that a killed run left in its directory (a
 * checkpoint's is as large as the checkpoint).
 */
async function removeTemporaries(dir: string): Promise<void> {
  for (const sub of ["", "samples", "generator", "generator-last", "discriminator", "best"]) {
    try {
      for await (const entry of Deno.readDir(join(dir, sub))) {
        if (/\.\d+-\d+\.tmp$/.test(entry.name)) {
          await Deno.remove(join(dir, sub, entry.name)).catch(() => {});
        }
      }
    } catch {
      // no such subdirectory
    }
  }
}

/** Appends lines to `log.jsonl`, one write per line. */
class JsonLog {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();
  /** Bytes in the file. */
  bytes: number;
  private constructor(file: Deno.FsFile, bytes: number) {
    this.#file = file;
    this.bytes = bytes;
  }
  /** Opens the log empty, or (resuming) cut to the first `keep` bytes, where a checkpoint was. */
  static async open(path: string, keep = 0): Promise<JsonLog> {
    const file = await Deno.open(path, { create: true, write: true, truncate: keep === 0 });
    await file.truncate(keep);
    await file.seek(keep, Deno.SeekMode.Start);
    return new JsonLog(file, keep);
  }
  async write(record: Record<string, unknown>): Promise<void> {
    const bytes = this.#encoder.encode(JSON.stringify(record) + "\n");
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
    this.bytes += bytes.length;
  }
  close(): void {
    this.#file.close();
  }
}

const round = (x: number, digits = 5): number => Number(x.toPrecision(digits));

/**
 * Trains a GAN from a preset and writes a run directory: the models after every epoch, the log,
 * sample grids from a fixed noise batch, loss curves and the config.
 *
 * Select a backend first ({@linkcode selectBackend}); the run records which one it used.
 *
 * @param options The preset, overrides, data, run directory and callbacks.
 * @returns The trained models, the settings, and how far training got.
 * @throws {RunDirectoryError} If `out` exists with files in it (without `force`) or cannot be
 * created; this is checked before anything is loaded or trained.
 * @throws {DataFileError} If the data cannot be read.
 *
 * @example Two epochs of the lite preset, written to a run directory
 * ```ts
 * import { selectBackend, trainRun } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const { result } = await trainRun({
 *   preset: "lite",
 *   epochs: 2,
 *   seed: 1,
 *   out: await Deno.makeTempDir(),
 *   onEpoch: (e) => console.log(`epoch ${e.epoch}: loss_d ${e.lossD.toFixed(3)}`),
 * });
 * console.log(result.steps); // 312
 * ```
 */
export async function trainRun(options: TrainRunOptions = {}): Promise<TrainRunResult> {
  try {
    return await runTraining(options);
  } catch (error) {
    // A file of the run that cannot be written (a full disk, a read-only or vanished directory):
    // one error naming the directory. What was written before is intact (atomic writes).
    const code = (error as { code?: unknown }).code;
    const fileSystem = error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
      (error instanceof Error && !(error instanceof RangeError) && typeof code === "string" &&
        /^E[A-Z]+$/.test(code));
    if (!fileSystem || options.out === undefined) throw error;
    throw new RunDirectoryError(
      options.out,
      `cannot write in it: ${describeFsError(error)} (what it held before is intact)`,
      { cause: error },
    );
  }
}

async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const out = options.out;
  if (options.resume && out === undefined) {
    throw new RangeError("trainRun: resume needs out, the run directory to resume");
  }
  const point = options.resume ? await findResumePoint(out!) : undefined;
  const saved = point?.checkpoint ?? null;
  const settings = point
    ? resumedSettings(point.options, point.source, saved, options.epochs)
    : resolveRunSettings(options);
  // A run stopped before its first checkpoint starts again in its directory.
  const force = (options.force ?? false) || (point !== undefined && saved === null);
  if (out !== undefined && !point) await checkRunDirectory(out, force);
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
  const limit = settings.data.limit !== null ? { limit: settings.data.limit } : {};
  const dir = settings.data.dir;
  // A directory of CIFAR-10's binary files, or MNIST's layout (IDX).
  const data = options.data ??
    (dir !== null && await isCifarDir(dir)
      ? await loadCifar10({ dir, split: settings.data.split, ...limit })
      : await loadMnist({
        split: settings.data.split,
        ...limit,
        ...(dir !== null ? { dir } : {}),
      }));
  const colour = data.height === 32 && data.width === 32 && data.channels === 3;
  if (
    settings.evalEvery > 0 && !options.evaluator && !colour &&
    (data.height !== 28 || data.width !== 28 || data.channels !== 1)
  ) {
    throw new RangeError(
      `evalEvery: the built-in evaluator judges 28×28 grey digits and 32×32 colour images ` +
        `(CIFAR-10); these images are ${data.height}×${data.width}×${data.channels}`,
    );
  }
  // CIFAR-10: precision and recall need real images to compare with; its test batch when there.
  const colourReference = settings.evalEvery > 0 && !options.evaluator && colour && dir !== null
    ? await loadCifar10({ dir, split: "test" }).catch(() => undefined)
    : undefined;
  const fingerprint = dataFingerprint(data);
  if (saved && saved.data.fingerprint !== fingerprint) {
    throw new CheckpointError(
      "resume from",
      point!.source,
      `it was trained on other data (${saved.data.count} images, fingerprint ${saved.data.fingerprint}; ` +
        `the run's data now give ${data.count} images, fingerprint ${fingerprint})`,
    );
  }
  // The data decides the image shape, so that Fashion-MNIST or other sizes just work.
  const imageShape: [number, number, number] = [data.height, data.width, data.channels];
  settings.generator.imageShape = imageShape;
  settings.discriminator.imageShape = imageShape;
  const seed = settings.training.seed;
  // The settings hold every field but the optional ones a preset may leave out (`classes`,
  // `architecture`): those come from the run's own preset, never the default one. No
  // `latentMixture` in them is z ~ N(0, I), whatever the preset's.
  const { preset, faithful } = settings;
  const generatorOptions = {
    preset,
    faithful,
    latentMixture: null,
    ...settings.generator,
    seed,
  };
  const generator = createGenerator(generatorOptions);
  // The averaged generator: what the run saves as generator/, samples and evaluates.
  const average = settings.average > 0 ? new GeneratorAverage(generator, settings.average) : null;
  const averaged = average ? createGenerator(generatorOptions) : null;
  const shown = averaged ?? generator;
  const discriminator = createDiscriminator({
    preset,
    faithful,
    ...settings.discriminator,
    seed,
  });
  // The fixed noise batch of the sample grids: its own stream, unrelated to the training noise.
  const gridSeed = (seed ^ 0x5eed6a1d) >>> 0;
  const curve: CurvePoint[] = [];
  const quality: MetricPoint[] = [];
  let log: JsonLog | undefined;
  const evaluator = settings.evalEvery > 0
    ? options.evaluator ??
      ((g: LayersModel, o: { n: number; seed: number }) =>
        evaluateGenerator(g, { ...o, reference: colourReference }))
    : undefined;
  // Evaluation samples: their own stream too, the same every time, so evaluations compare.
  const evalSeed = (seed ^ 0x0e7a1) >>> 0;
  const health = new HealthMonitor();
  const warnings: HealthWarning[] = [];
  let stoppedBy: HealthIssue | null = null;
  let best: RunEvaluation | null = null;
  // Stops trainGAN for a health check; the caller's signal stops it too.
  let stop = new AbortController();
  const stopSignal = () =>
    options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let signal = stopSignal();
  const warn = async (warning: HealthWarning | undefined) => {
    if (!warning) return;
    warnings.push(warning);
    await log?.write({
      kind: "warning",
      issue: warning.kind,
      epoch: warning.epoch,
      global_step: warning.globalStep,
      message: warning.message,
    });
    await options.onWarning?.(warning);
    if (warning.fatal || settings.stopOnCollapse) {
      stoppedBy ??= warning.kind;
      stop.abort();
    }
  };

  if (data.count < settings.training.batchSize) {
    throw new RangeError(
      `trainRun: the data holds ${data.count} images, fewer than one batch of ${settings.training.batchSize}`,
    );
  }

  const pending = { steps: 0, lossD: 0, lossG: 0, dReal: 0, dFake: 0, ms: 0 };
  let learningRate = saved?.learningRate ?? settings.training.learningRate;
  // Rollbacks halve both rates: the generator's keeps its ratio to the discriminator's.
  const generatorRate = () =>
    settings.training.generatorLearningRate * learningRate / settings.training.learningRate;
  let rollbacks = saved?.rollbacks ?? 0;
  if (saved) {
    try {
      restoreWeights(generator, saved.generator, "generator");
      restoreWeights(discriminator, saved.discriminator, "discriminator");
      if ((saved.average === null) !== (average === null)) {
        throw new RangeError("the run's weight average and the checkpoint's do not match");
      }
      if (saved.average) average!.importState(saved.average);
    } catch (error) {
      average?.dispose();
      if (!(error instanceof RangeError)) throw error;
      throw new CheckpointError("resume from", point!.source, error.message, { cause: error });
    }
    health.importState(saved.health);
    warnings.push(...saved.progress.warnings);
    curve.push(...saved.progress.curve);
    quality.push(...saved.progress.quality);
    best = saved.progress.best;
    Object.assign(pending, saved.progress.pending);
  }

  if (out !== undefined && point) await removeTemporaries(out);
  if (out !== undefined && saved) {
    await createRunDirectory(out, false);
    log = await JsonLog.open(join(out, "log.jsonl"), saved.progress.logBytes);
    if (settings.training.epochs !== saved.settings.training.epochs) {
      const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
      config.settings = settings;
      await writeFileAtomic(
        join(out, "config.json"),
        new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
      );
    }
    await log.write({
      kind: "resume",
      epoch: saved.train.epoch,
      step: saved.train.step,
      global_step: saved.train.globalStep,
      backend: tf.getBackend(),
    });
  } else if (out !== undefined) {
    await createRunDirectory(out, force);
    const config = {
      library: `@gan/mnist ${VERSION}`,
      tfjs: TFJS_VERSION,
      deno: Deno.version.deno,
      backend: tf.getBackend(),
      created: new Date().toISOString(),
      parameters: {
        generator: generator.countParams(),
        discriminator: discriminator.countParams(),
      },
      data: {
        count: data.count,
        source: options.data ? "in memory" : settings.data.dir ?? MNIST_PACKAGE,
      },
      settings,
    };
    await writeFileAtomic(
      join(out, "config.json"),
      new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
    );
    log = await JsonLog.open(join(out, "log.jsonl"));
  }

  const started = performance.now();
  const priorSeconds = saved?.progress.seconds ?? 0;
  const seconds = () => priorSeconds + (performance.now() - started) / 1000;
  const onStep = async (info: StepInfo) => {
    average?.update();
    await warn(health.step(info));
    // A weight that went NaN or infinite is caught at the step that made it.
    const bad = stoppedBy === "non-finite"
      ? undefined
      : await findNonFiniteWeight([generator, discriminator]);
    if (bad) await warn(health.weights([[bad.value]], info, [bad.name]));
    pending.steps++;
    pending.lossD += info.lossD;
    pending.lossG += info.lossG;
    pending.dReal += info.dReal;
    pending.dFake += info.dFake;
    pending.ms += info.ms;
    const lastStep = info.epoch === info.epochs && info.step === info.stepsPerEpoch;
    if (pending.steps === settings.logEvery || lastStep) {
      const n = pending.steps;
      const point: CurvePoint = {
        globalStep: info.globalStep,
        lossD: pending.lossD / n,
        lossG: pending.lossG / n,
        dReal: pending.dReal / n,
        dFake: pending.dFake / n,
      };
      curve.push(point);
      await log?.write({
        kind: "step",
        epoch: info.epoch,
        step: info.step,
        global_step: info.globalStep,
        loss_d: round(point.lossD),
        loss_g: round(point.lossG),
        d_x: round(point.dReal),
        d_g_z: round(point.dFake),
        ms_per_step: round(pending.ms / n, 4),
        seconds: round(seconds(), 6),
      });
      Object.assign(pending, { steps: 0, lossD: 0, lossG: 0, dReal: 0, dFake: 0, ms: 0 });
    }
    await options.onStep?.(info);
  };

  const onEpoch = async (info: EpochInfo) => {
    const at = { epoch: info.epoch, globalStep: info.epoch * info.steps };
    const weights = [...generator.getWeights(), ...discriminator.getWeights()];
    await warn(health.weights(weights.map((w) => w.dataSync()), at));
    // Models with NaN or Infinity in them are not saved over the last good ones.
    const finite = stoppedBy !== "non-finite";
    if (out !== undefined && finite) {
      const metadata = (role: string) => ({
        ganMnist: { version: VERSION, role, preset: settings.preset, epoch: info.epoch, seed },
      });
      if (average) {
        average.writeTo(averaged!);
        await saveModel(averaged!, join(out, "generator"), { metadata: metadata("generator") });
        await saveModel(generator, join(out, "generator-last"), {
          metadata: metadata("generator"),
        });
      } else {
        await saveModel(generator, join(out, "generator"), { metadata: metadata("generator") });
      }
      await saveModel(discriminator, join(out, "discriminator"), {
        metadata: metadata("discriminator"),
      });
      const grid = await sample(shown, { n: settings.gridSize, seed: gridSeed });
      await writePngGrid(join(out, "samples", epochGridName(info.epoch)), grid, { scale: 2 });
      await writeProgressGif(join(out, "samples"), info.epoch);
    }
    const due = settings.evalEvery > 0 &&
      (info.epoch % settings.evalEvery === 0 || info.epoch === info.epochs);
    if (evaluator && finite && due) {
      if (average && out === undefined) average.writeTo(averaged!);
      const metrics = await evaluator(shown, { n: settings.evalSamples, seed: evalSeed });
      const evaluation: RunEvaluation = {
        epoch: info.epoch,
        globalStep: at.globalStep,
        ...metrics,
      };
      quality.push(evaluation);
      await log?.write({
        kind: "eval",
        epoch: info.epoch,
        global_step: at.globalStep,
        samples: settings.evalSamples,
        fid: round(metrics.fid),
        is: round(metrics.is),
        coverage: metrics.coverage,
        precision: round(metrics.precision),
        recall: round(metrics.recall),
        confidence: round(metrics.confidence),
        class_share: metrics.classShare.map((x) => round(x, 4)),
      });
      if (best === null || metrics.fid < best.fid) {
        best = evaluation;
        if (out !== undefined) {
          await saveModel(shown, join(out, "best"), {
            metadata: {
              ganMnist: {
                version: VERSION,
                role: "generator",
                preset: settings.preset,
                epoch: info.epoch,
                seed,
                fid: metrics.fid,
              },
            },
          });
        }
      }
      await options.onEvaluation?.(evaluation);
      await warn(health.evaluation(metrics, at));
    }
    if (out !== undefined) {
      await writeFileAtomic(
        join(out, "loss.svg"),
        new TextEncoder().encode(lossChartSvg(curve, `${settings.preset}, seed ${seed}`, quality)),
      );
      await log?.write({
        kind: "epoch",
        epoch: info.epoch,
        steps: info.steps,
        loss_d: round(info.lossD),
        loss_g: round(info.lossG),
        d_x: round(info.dReal),
        d_g_z: round(info.dFake),
        seconds: round(info.seconds, 6),
        num_tensors: tf.memory().numTensors,
      });
    }
    await options.onEpoch?.(info);
  };

  // Checkpoints: each one the last good state (none is taken once a value went non-finite).
  let lastGood: Checkpoint | null = saved;
  let written: TrainRunResult["checkpoint"] = null;
  const checkpointPath = out !== undefined ? join(out, CHECKPOINT_FILE) : undefined;
  const snapshot = (state: TrainState): Checkpoint => ({
    library: `@gan/mnist ${VERSION}`,
    created: new Date().toISOString(),
    backend: tf.getBackend(),
    settings,
    learningRate,
    rollbacks,
    data: { count: data.count, fingerprint },
    train: state,
    generator: captureWeights(generator),
    discriminator: captureWeights(discriminator),
    average: average?.exportState() ?? null,
    health: health.exportState(),
    progress: {
      curve: [...curve],
      quality: [...quality],
      best,
      warnings: [...warnings],
      pending: { ...pending },
      logBytes: log?.bytes ?? 0,
      seconds: seconds(),
    },
  });
  const onCheckpoint = async (state: TrainState) => {
    if (stoppedBy === "non-finite") return;
    // Whatever ran since the last step (an evaluation, a callback) must not have spoilt a weight.
    const bad = await findNonFiniteWeight([generator, discriminator]);
    if (bad) return await warn(health.weights([[bad.value]], state, [bad.name]));
    const checkpoint = snapshot(state);
    if (checkpointPath !== undefined) await writeCheckpoint(checkpointPath, checkpoint);
    // Kept in memory only where a rollback may need it.
    lastGood = onNan === "rollback" || checkpointPath === undefined ? checkpoint : null;
    written = { epoch: state.epoch, step: state.step, globalStep: state.globalStep };
  };
  // The start, for a rollback before the first checkpoint.
  const start = onNan === "rollback" && !saved
    ? {
      generator: captureWeights(generator),
      discriminator: captureWeights(discriminator),
      average: average?.exportState() ?? null,
      health: health.exportState(),
    }
    : undefined;
  /** Goes back to the last good checkpoint (or the start) after a non-finite value. */
  const rollBack = async (): Promise<TrainState | undefined> => {
    const good = lastGood ?? start!;
    restoreWeights(generator, good.generator, "generator");
    restoreWeights(discriminator, good.discriminator, "discriminator");
    if (good.average) average!.importState(good.average);
    health.importState(good.health);
    const progress: Partial<RunProgress> = lastGood?.progress ?? {};
    curve.splice(0, curve.length, ...(progress.curve ?? []));
    quality.splice(0, quality.length, ...(progress.quality ?? []));
    Object.assign(
      pending,
      progress.pending ?? { steps: 0, lossD: 0, lossG: 0, dReal: 0, dFake: 0, ms: 0 },
    );
    const from = warnings.at(-1)?.globalStep ?? 0;
    learningRate /= 2;
    rollbacks++;
    stoppedBy = null;
    stop = new AbortController();
    signal = stopSignal();
    const to = lastGood?.train.globalStep ?? 0;
    await log?.write({
      kind: "rollback",
      from_step: from,
      to_step: to,
      learning_rate: learningRate,
      rollbacks,
    });
    await options.onRollback?.({ fromStep: from, toStep: to, learningRate, rollbacks });
    return lastGood?.train;
  };

  try {
    if (point) {
      await options.onResume?.({
        epoch: saved?.train.epoch ?? 1,
        step: saved?.train.step ?? 0,
        globalStep: saved?.train.globalStep ?? 0,
        backend: saved?.backend ?? null,
        learningRate,
        generatorLearningRate: generatorRate(),
      });
    }
    let resume = saved?.train;
    let result: TrainResult;
    for (;;) {
      result = await trainGAN(generator, discriminator, data, {
        ...settings.training,
        learningRate,
        generatorLearningRate: generatorRate(),
        signal,
        onStep,
        onEpoch,
        resume,
        checkpointEvery,
        onCheckpoint,
      });
      const retry = stoppedBy === "non-finite" && onNan === "rollback" &&
        rollbacks < MAX_ROLLBACKS && !options.signal?.aborted;
      if (!retry) break;
      resume = await rollBack();
    }
    if (average) average.writeTo(averaged!);
    return {
      generator,
      averaged,
      discriminator,
      settings,
      result,
      warnings,
      stoppedBy,
      best,
      checkpoint: written,
      rollbacks,
    };
  } finally {
    log?.close();
    average?.dispose();
  }
}

/** The settings of a run to resume, checked, with `epochs` changed if asked. */
function resumedSettings(
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
