/**
 * One session of a training run: the state that its events share — the curves, the health
 * monitor and its warnings, the best evaluation, the learning rate and the rollbacks, the last
 * good checkpoint, the log — and one method per event that `trainGAN` reports (a step, an
 * epoch, a checkpoint), besides the rollback after a non-finite value.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { VERSION } from "../../version.ts";
import type { CurvePoint, MetricPoint } from "./chart.ts";
import { captureWeights, type Checkpoint, restoreWeights, type RunProgress } from "./checkpoint.ts";
import { writeCheckpoint } from "./checkpoint_file.ts";
import { findNonFiniteWeight } from "../finite.ts";
import {
  DISCRIMINATOR_LOSS_FLOOR,
  type HealthIssue,
  HealthMonitor,
  type HealthWarning,
} from "../health.ts";
import type { EpochInfo, StepInfo, StepPart } from "../options.ts";
import { sample } from "../../sample/sample.ts";
import { encodePngGrid } from "../../sample/grid.ts";
import type { TrainState } from "../state.ts";
import type { TrainResult } from "../train.ts";
import { saveBest, writeEpochFiles, writeLossChart } from "./epoch_files.ts";
import { RUN_LAYOUT } from "./layout.ts";
import { roundForLog as round } from "./log.ts";
import type { RunLog } from "./log_file.ts";
import type { RunModels } from "./models.ts";
import {
  type GeneratorEvaluator,
  MAX_ROLLBACKS,
  type ResumeInfo,
  type RunEvaluation,
  type TrainRunOptions,
  type TrainRunResult,
} from "./options.ts";
import type { RunControls, RunSettings } from "./settings.ts";

/** What a session works with: set up before training, never changed by it. */
export interface RunContext {
  /** The caller's options (for the callbacks and the signal). */
  options: TrainRunOptions;
  /** The run's settings. */
  settings: RunSettings;
  /** How it checkpoints and meets a non-finite value. */
  controls: RunControls;
  /** Its models. */
  models: RunModels;
  /** The data's size and fingerprint. */
  data: { count: number; fingerprint: string };
  /** The evaluator, when the run evaluates. */
  evaluator: GeneratorEvaluator | undefined;
  /** The run directory; undefined when nothing is written. */
  out: string | undefined;
  /** The log, when there is a run directory. */
  log: RunLog | undefined;
  /** The checkpoint the session goes on from, if any. */
  saved: Checkpoint | null;
}

/** The steps since the last log line, and their sums. */
type Pending = RunProgress["pending"];
const noPending = (): Pending => ({ steps: 0, lossD: 0, lossG: 0, dReal: 0, dFake: 0, ms: 0 });

/** The weights and monitors at the start, for a rollback before the first checkpoint. */
type Start = Pick<Checkpoint, "generator" | "discriminator" | "average" | "health">;

/**
 * The state a run's events share, and one method per event.
 *
 * @example What `trainRun` does with it: one method per event of `trainGAN`
 * ```ts
 * import { trainGAN } from "../train.ts";
 * import { loadRunData } from "./data.ts";
 * import { createRunModels } from "./models.ts";
 * import { RunSession } from "./session.ts";
 * import { resolveRunControls, resolveRunSettings } from "./settings.ts";
 *
 * const options = { preset: "lite" as const, epochs: 1 };
 * const settings = resolveRunSettings(options);
 * const models = createRunModels(settings);
 * const data = await loadRunData(settings, options);
 * const session = new RunSession({
 *   options,
 *   settings,
 *   controls: resolveRunControls(options),
 *   models,
 *   data: { count: data.count, fingerprint: "" },
 *   evaluator: undefined,
 *   out: undefined,
 *   log: undefined,
 *   saved: null,
 * });
 * const result = await trainGAN(models.generator, models.discriminator, data, {
 *   ...settings.training,
 *   signal: session.signal,
 *   onStep: (info) => session.step(info),
 *   onEpoch: (info) => session.epoch(info),
 *   onCheckpoint: (state) => session.checkpoint(state),
 * });
 * console.log(session.result(result).checkpoint?.epoch); // 1
 * ```
 */
export class RunSession {
  #context: RunContext;
  #curve: CurvePoint[] = [];
  #quality: MetricPoint[] = [];
  #health: HealthMonitor;
  #warnings: HealthWarning[] = [];
  #stoppedBy: HealthIssue | null = null;
  #best: RunEvaluation | null = null;
  #pending: Pending = noPending();
  /** Stops trainGAN for a health check; the caller's signal stops it too. */
  #stop = new AbortController();
  #signal: AbortSignal;
  #learningRate: number;
  #rollbacks: number;
  /** The last good checkpoint: none is taken once a value went non-finite. */
  #lastGood: Checkpoint | null;
  #written: TrainRunResult["checkpoint"] = null;
  #start: Start | undefined;
  #started = performance.now();
  #priorSeconds: number;
  /** The fixed noise batch of the sample grids: its own stream, unrelated to the training noise. */
  #gridSeed: number;
  /** Evaluation samples: their own stream too, the same every time, so evaluations compare. */
  #evalSeed: number;
  /** Whether the caller's `nextStep` chose the part of the step in flight (a step by hand). */
  #chosen = false;

  /**
   * Starts a session, from the checkpoint when there is one.
   *
   * @param context The run's settings, models, data, directory and log.
   */
  constructor(context: RunContext) {
    this.#context = context;
    const { saved, settings, controls, models } = context;
    const seed = settings.training.seed;
    this.#health = new HealthMonitor({
      dLossFloor: DISCRIMINATOR_LOSS_FLOOR[settings.training.loss],
    });
    this.#gridSeed = (seed ^ 0x5eed6a1d) >>> 0;
    this.#evalSeed = (seed ^ 0x0e7a1) >>> 0;
    this.#signal = this.#stopSignal();
    this.#learningRate = saved?.learningRate ?? settings.training.learningRate;
    this.#rollbacks = saved?.rollbacks ?? 0;
    this.#priorSeconds = saved?.progress.seconds ?? 0;
    this.#lastGood = saved;
    if (saved) {
      this.#health.importState(saved.health);
      this.#warnings.push(...saved.progress.warnings);
      this.#curve.push(...saved.progress.curve);
      this.#quality.push(...saved.progress.quality);
      this.#best = saved.progress.best;
      Object.assign(this.#pending, saved.progress.pending);
    }
    this.#start = controls.onNan === "rollback" && !saved
      ? {
        generator: captureWeights(models.generator),
        discriminator: captureWeights(models.discriminator),
        average: models.average?.exportState() ?? null,
        health: this.#health.exportState(),
      }
      : undefined;
  }

  /** The signal that stops training: the caller's, or a health check's. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /** The learning rate in use: the settings' one, halved at each rollback. */
  get learningRate(): number {
    return this.#learningRate;
  }

  /** The generator's rate: rollbacks halve both, so it keeps its ratio to the discriminator's. */
  get generatorLearningRate(): number {
    const { training } = this.#context.settings;
    return training.generatorLearningRate * this.#learningRate / training.learningRate;
  }

  /** Where the session goes on from, for `onResume`. */
  resumeInfo(): ResumeInfo {
    const { saved } = this.#context;
    return {
      epoch: saved?.train.epoch ?? 1,
      step: saved?.train.step ?? 0,
      globalStep: saved?.train.globalStep ?? 0,
      backend: saved?.backend ?? null,
      learningRate: this.#learningRate,
      generatorLearningRate: this.generatorLearningRate,
    };
  }

  /** Whether training stopped at a non-finite value and may go back and try again. */
  shouldRollBack(): boolean {
    return this.#stoppedBy === "non-finite" && this.#context.controls.onNan === "rollback" &&
      this.#rollbacks < MAX_ROLLBACKS && !this.#context.options.signal?.aborted;
  }

  /**
   * What `trainRun` returns once training is over.
   *
   * @param result How far training got.
   * @returns The models, the settings and the session's record.
   */
  result(result: TrainResult): TrainRunResult {
    const { models, settings } = this.#context;
    return {
      generator: models.generator,
      averaged: models.averaged,
      discriminator: models.discriminator,
      settings,
      result,
      warnings: this.#warnings,
      stoppedBy: this.#stoppedBy,
      best: this.#best,
      checkpoint: this.#written,
      rollbacks: this.#rollbacks,
    };
  }

  /**
   * Before every step: the caller's `nextStep`, noting whether it chose the step's part.
   *
   * @returns The part it chose, or undefined for the schedule's.
   */
  async nextStep(): Promise<StepPart | undefined> {
    const part = await this.#context.options.nextStep?.();
    this.#chosen = part !== undefined;
    return part;
  }

  /**
   * A step: the weight average, the health checks, the log line every `logEvery` steps, and
   * after a step whose part `nextStep` chose, `onManualStep` (before `onStep`, which may wait).
   *
   * @param info What `trainGAN` reports.
   */
  async step(info: StepInfo): Promise<void> {
    const { models, settings, options } = this.#context;
    models.average?.update();
    await this.#warn(this.#health.step(info));
    // A weight that went NaN or infinite is caught at the step that made it.
    const bad = this.#stoppedBy === "non-finite"
      ? undefined
      : await findNonFiniteWeight([models.generator, models.discriminator]);
    if (bad) await this.#warn(this.#health.weights([[bad.value]], info, [bad.name]));
    const pending = this.#pending;
    pending.steps++;
    pending.lossD += info.lossD;
    pending.lossG += info.lossG;
    pending.dReal += info.dReal;
    pending.dFake += info.dFake;
    pending.ms += info.ms;
    const lastStep = info.epoch === info.epochs && info.step === info.stepsPerEpoch;
    if (pending.steps === settings.logEvery || lastStep) await this.#logSteps(info);
    if (this.#chosen) await options.onManualStep?.(info, () => this.#drawGrid());
    this.#chosen = false;
    await options.onStep?.(info);
  }

  /** The fixed-noise grid of the epochs' files, drawn from G's weights now, as a PNG. */
  async #drawGrid(): Promise<Uint8Array> {
    const { models, settings } = this.#context;
    const grid = await sample(models.generator, { n: settings.gridSize, seed: this.#gridSeed });
    return encodePngGrid(grid, { scale: 2 });
  }

  /** The curve's point and the log's line for the pending steps, which then start again. */
  async #logSteps(info: StepInfo): Promise<void> {
    const pending = this.#pending;
    const n = pending.steps;
    const point: CurvePoint = {
      globalStep: info.globalStep,
      lossD: pending.lossD / n,
      lossG: pending.lossG / n,
      dReal: pending.dReal / n,
      dFake: pending.dFake / n,
    };
    this.#curve.push(point);
    await this.#context.log?.write({
      kind: "step",
      epoch: info.epoch,
      step: info.step,
      global_step: info.globalStep,
      loss_d: round(point.lossD),
      loss_g: round(point.lossG),
      d_x: round(point.dReal),
      d_g_z: round(point.dFake),
      ms_per_step: round(pending.ms / n, 4),
      seconds: round(this.#seconds(), 6),
      // The augmentations' probability after these steps (ADA moves it), with augmentation only.
      ...(this.#context.settings.training.augment.length
        ? { augment_p: round(info.augmentProbability, 6) }
        : {}),
    });
    Object.assign(pending, noPending());
  }

  /**
   * An epoch's end: the weights' health, the epoch's files, an evaluation when due, the loss
   * curves and the log's epoch line.
   *
   * @param info What `trainGAN` reports.
   */
  async epoch(info: EpochInfo): Promise<void> {
    const { models, settings, options, out, evaluator } = this.#context;
    const at = { epoch: info.epoch, globalStep: info.epoch * info.steps };
    const weights = [...models.generator.getWeights(), ...models.discriminator.getWeights()];
    await this.#warn(this.#health.weights(weights.map((w) => w.dataSync()), at));
    // Models with NaN or Infinity in them are not saved over the last good ones.
    const finite = this.#stoppedBy !== "non-finite";
    if (out !== undefined && finite) {
      await writeEpochFiles(out, models, settings, info.epoch, this.#gridSeed);
    }
    const due = settings.evalEvery > 0 &&
      (info.epoch % settings.evalEvery === 0 || info.epoch === info.epochs);
    if (evaluator && finite && due) await this.#evaluate(evaluator, at);
    if (out !== undefined) {
      await writeLossChart(out, settings, this.#curve, this.#quality);
      await this.#context.log?.write({
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
  }

  /** Evaluates the generator shown, logs it, and keeps it as `best/` when its FID is the best. */
  async #evaluate(
    evaluator: GeneratorEvaluator,
    at: { epoch: number; globalStep: number },
  ): Promise<void> {
    const { models, settings, options, out } = this.#context;
    if (models.average && out === undefined) models.average.writeTo(models.averaged!);
    const metrics = await evaluator(models.shown, {
      n: settings.evalSamples,
      seed: this.#evalSeed,
    });
    const evaluation: RunEvaluation = { epoch: at.epoch, globalStep: at.globalStep, ...metrics };
    this.#quality.push(evaluation);
    await this.#context.log?.write({
      kind: "eval",
      epoch: at.epoch,
      global_step: at.globalStep,
      samples: settings.evalSamples,
      fid: round(metrics.fid),
      is: round(metrics.is),
      coverage: metrics.coverage,
      precision: round(metrics.precision),
      recall: round(metrics.recall),
      confidence: round(metrics.confidence),
      class_share: metrics.classShare.map((x) => round(x, 4)),
      ...(metrics.fidFloor === undefined ? {} : { fid_floor: round(metrics.fidFloor) }),
      ...(metrics.kid === undefined
        ? {}
        : { kid: round(metrics.kid), kid_std: round(metrics.kidStd ?? NaN) }),
    });
    if (this.#best === null || metrics.fid < this.#best.fid) {
      this.#best = evaluation;
      if (out !== undefined) await saveBest(out, models.shown, settings, at.epoch, metrics.fid);
    }
    await options.onEvaluation?.(evaluation);
    await this.#warn(this.#health.evaluation(metrics, at));
  }

  /**
   * A checkpoint: taken (and written, with a run directory) unless a weight is non-finite.
   *
   * @param state Where training stands.
   */
  async checkpoint(state: TrainState): Promise<void> {
    if (this.#stoppedBy === "non-finite") return;
    const { models, controls, out } = this.#context;
    // Whatever ran since the last step (an evaluation, a callback) must not have spoilt a weight.
    const bad = await findNonFiniteWeight([models.generator, models.discriminator]);
    if (bad) return await this.#warn(this.#health.weights([[bad.value]], state, [bad.name]));
    const checkpoint = this.#snapshot(state);
    if (out !== undefined) await writeCheckpoint(join(out, RUN_LAYOUT.checkpoint), checkpoint);
    // Kept in memory only where a rollback may need it.
    this.#lastGood = controls.onNan === "rollback" || out === undefined ? checkpoint : null;
    this.#written = { epoch: state.epoch, step: state.step, globalStep: state.globalStep };
  }

  /** The whole run's state now, as a checkpoint. */
  #snapshot(state: TrainState): Checkpoint {
    const { models, settings, data, log } = this.#context;
    return {
      library: `@gan/mnist ${VERSION}`,
      created: new Date().toISOString(),
      backend: tf.getBackend(),
      settings,
      learningRate: this.#learningRate,
      rollbacks: this.#rollbacks,
      data: { count: data.count, fingerprint: data.fingerprint },
      train: state,
      generator: captureWeights(models.generator),
      discriminator: captureWeights(models.discriminator),
      average: models.average?.exportState() ?? null,
      health: this.#health.exportState(),
      progress: {
        curve: [...this.#curve],
        quality: [...this.#quality],
        best: this.#best,
        warnings: [...this.#warnings],
        pending: { ...this.#pending },
        logBytes: log?.bytes ?? 0,
        seconds: this.#seconds(),
      },
    };
  }

  /**
   * Goes back to the last good checkpoint (or the start) after a non-finite value, with the
   * learning rate halved.
   *
   * @returns Where training goes on from; undefined for the start.
   */
  async rollBack(): Promise<TrainState | undefined> {
    const { models, log, options } = this.#context;
    const lastGood = this.#lastGood;
    const good = lastGood ?? this.#start!;
    restoreWeights(models.generator, good.generator, "generator");
    restoreWeights(models.discriminator, good.discriminator, "discriminator");
    if (good.average) models.average!.importState(good.average);
    this.#health.importState(good.health);
    const progress: Partial<RunProgress> = lastGood?.progress ?? {};
    this.#curve.splice(0, this.#curve.length, ...(progress.curve ?? []));
    this.#quality.splice(0, this.#quality.length, ...(progress.quality ?? []));
    Object.assign(this.#pending, progress.pending ?? noPending());
    const from = this.#warnings.at(-1)?.globalStep ?? 0;
    this.#learningRate /= 2;
    this.#rollbacks++;
    this.#stoppedBy = null;
    this.#stop = new AbortController();
    this.#signal = this.#stopSignal();
    const to = lastGood?.train.globalStep ?? 0;
    const learningRate = this.#learningRate, rollbacks = this.#rollbacks;
    await log?.write({
      kind: "rollback",
      from_step: from,
      to_step: to,
      learning_rate: learningRate,
      rollbacks,
    });
    await options.onRollback?.({ fromStep: from, toStep: to, learningRate, rollbacks });
    return lastGood?.train;
  }

  /** Records a health warning (if any), and stops training for a fatal one or a collapse. */
  async #warn(warning: HealthWarning | undefined): Promise<void> {
    if (!warning) return;
    const { settings, options, log } = this.#context;
    this.#warnings.push(warning);
    await log?.write({
      kind: "warning",
      issue: warning.kind,
      epoch: warning.epoch,
      global_step: warning.globalStep,
      message: warning.message,
    });
    await options.onWarning?.(warning);
    if (warning.fatal || settings.stopOnCollapse) {
      this.#stoppedBy ??= warning.kind;
      this.#stop.abort();
    }
  }

  #stopSignal(): AbortSignal {
    const signal = this.#context.options.signal;
    return signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
  }

  /** Seconds of training so far, over all the run's sessions. */
  #seconds(): number {
    return this.#priorSeconds + (performance.now() - this.#started) / 1000;
  }
}
