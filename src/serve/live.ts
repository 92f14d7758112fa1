/**
 * Live training for the web page: a hub that a training run reports to (every step, epoch,
 * evaluation and warning) and that pages subscribe to, with pause, resume and stop, and GAN Lab's
 * stepper: steps of D only, G only or both, one at a time or in slow motion.
 *
 * Pausing needs no more of the loop than its step hook: `trainGAN` awaits what `onStep` returns,
 * so the step hook of a paused hub does not resolve until a page resumes, stops or steps the run
 * (`step_gate.ts`). `trainGAN` then asks `nextStep` for the next step's part: the part a page
 * asked for, or none (the schedule's). Waiting after a step rather than before the next one
 * means that a stop while paused ends training before another step (`trainGAN` looks at its
 * signal between the two). Stopping aborts {@linkcode LiveTraining.signal}, which the run was
 * given.
 *
 * @module
 */

import type { EpochInfo, StepInfo } from "../train/options.ts";
import type { RunEvaluation } from "../train/run/options.ts";
import type { HealthWarning } from "../train/health.ts";
import { RUN_LAYOUT } from "../train/run/layout.ts";
import type { EpochRecord, OtherRecord, RunLogRecord } from "../train/run/log.ts";
import { LiveCurve } from "./live_curve.ts";
import type {
  LiveEpoch,
  LiveEvent,
  LiveHooks,
  LivePoint,
  LiveProgress,
  LiveRunInfo,
  LiveSnapshot,
  LiveState,
  LiveTrainingOptions,
} from "./live_types.ts";
import { LiveStepper } from "./live_stepper.ts";
import type { SlowMotion, StepPart } from "./step_gate.ts";

export type * from "./live_types.ts";

/**
 * The hub between a training run and the pages watching it.
 *
 * @example Watch a run in the browser, with pause, resume and stop
 * ```ts
 * import { LiveTraining, selectBackend, startServer, trainRun } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const out = await Deno.makeTempDir();
 * const live = new LiveTraining();
 * const server = await startServer({ root: out, model: "generator/model.json", live, port: 0 });
 * console.log(`open ${server.url}`);
 * live.start({ preset: "lite", epochs: 5, out });
 * const run = await trainRun({ preset: "lite", epochs: 5, out, force: true, ...live.hooks() });
 * live.finish(run.result.aborted);
 * await server.shutdown();
 * ```
 */
export class LiveTraining {
  /** Whether pages may pause, resume and stop the run. */
  readonly controllable: boolean;
  #filesPrefix: string | null;
  #flushMs: number;
  #abort = new AbortController();
  #state: LiveState = "waiting";
  #run: LiveRunInfo | null = null;
  #progress: LiveProgress = {
    epoch: 0,
    epochs: 0,
    step: 0,
    stepsPerEpoch: 0,
    globalStep: 0,
    seconds: 0,
    eta: null,
  };
  #curve = new LiveCurve();
  #pending: LivePoint[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #epochs: LiveEpoch[] = [];
  #evaluations: RunEvaluation[] = [];
  #warnings: { epoch: number; kind: string; message: string }[] = [];
  #listeners = new Set<(event: LiveEvent) => void>();
  #activeSeconds = 0;
  #activeSince: number | undefined;
  #stepper: LiveStepper;

  /**
   * Makes a hub for one run.
   *
   * @param options Whether pages control the run, and where its files are served.
   */
  constructor(options: LiveTrainingOptions = {}) {
    this.controllable = options.controllable ?? true;
    this.#filesPrefix = options.filesPrefix === undefined ? "/files/" : options.filesPrefix;
    this.#flushMs = options.flushMs ?? 200;
    this.#stepper = new LiveStepper(options.stepGridMs ?? 250);
  }

  /** Aborted when a page (or {@linkcode LiveTraining.stop}) stops the run: give it to the run. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Where the run is. */
  get state(): LiveState {
    return this.#state;
  }

  /** How many listeners (pages' event streams) are subscribed. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /**
   * Whether pages may also step the run: a controllable run whose loop calls `nextStep` (assumed
   * until its first step says otherwise).
   */
  get steppable(): boolean {
    return this.controllable && (this.#stepper.driven || this.#progress.globalStep === 0);
  }

  /** Steps asked for one at a time and not yet taken. */
  get queuedSteps(): number {
    return this.#stepper.gate.queued;
  }

  /**
   * The callbacks and signal to pass to `trainRun` (or `trainGAN`, which takes the first four).
   *
   * @returns `signal`, `nextStep`, `onStep`, `onEpoch`, `onEvaluation`, `onWarning`,
   * `onManualStep`.
   */
  hooks(): LiveHooks {
    return {
      signal: this.signal,
      nextStep: () => this.nextStep(),
      onStep: (info) => this.step(info),
      onEpoch: (info) => this.epoch(info),
      onEvaluation: (evaluation) => this.evaluation(evaluation),
      onWarning: (warning) => this.warning(warning),
      onManualStep: (info, drawGrid) => this.manualStep(info, drawGrid),
    };
  }

  /**
   * Announces the run.
   *
   * @param run The preset, the epochs and where it writes.
   */
  start(run: LiveRunInfo): void {
    this.#run = { ...run };
    this.#progress.epochs = run.epochs;
    this.#progress.stepsPerEpoch = run.stepsPerEpoch ?? 0;
    this.#setState("running");
  }

  /**
   * What `trainGAN` asks before every step: the part of the step a page asked for (one step, or
   * slow motion's), which the paused run's step hook has just let through; else undefined (the
   * schedule's part).
   *
   * @returns The part of the next step, or undefined for the schedule's.
   */
  nextStep(): StepPart | undefined {
    this.#stepper.driven = true;
    return this.#stepper.take();
  }

  /**
   * Records a step; while paused (or in slow motion), returns a promise that resolves when the
   * next step may run: on resume, stop, a step asked for, or slow motion's next step (training
   * waits for it).
   *
   * @param info What `trainGAN` reports.
   * @returns Nothing, or the pause to wait out.
   */
  step(info: StepInfo): Promise<void> | void {
    this.#progress.epochs = info.epochs;
    this.#progress.stepsPerEpoch = info.stepsPerEpoch;
    this.#record(
      {
        step: info.globalStep,
        lossD: info.lossD,
        lossG: info.lossG,
        dReal: info.dReal,
        dFake: info.dFake,
      },
      { epoch: info.epoch, step: info.step, globalStep: info.globalStep },
    );
    const stepped = this.#stepper.report(info);
    if (stepped) {
      // Sent at once (after the steps before it), not with the next flush.
      this.#flush();
      this.#emit({ type: "stepped", data: stepped });
    }
    if (this.#state !== "paused" && this.#state !== "slow") return undefined;
    // A loop that takes no parts must not be let through by steps it would not take.
    if (!this.#stepper.driven) this.#stepper.gate.hold();
    return this.#stepper.gate.wait();
  }

  /**
   * After a step taken by hand (`trainRun`'s `onManualStep`): draws the fixed-noise grid and
   * sends it to pages, except in slow motion less than `stepGridMs` after the last one.
   *
   * @param info The step.
   * @param drawGrid Draws the grid from G's weights now, as a PNG.
   */
  async manualStep(info: StepInfo, drawGrid: () => Promise<Uint8Array>): Promise<void> {
    const grid = await this.#stepper.grid(info, drawGrid);
    if (grid) this.#emit({ type: "stepGrid", data: grid });
  }

  /**
   * Records a finished epoch (its grid, when the run writes grids, is `samples/epoch-NNN.png`).
   *
   * @param info What `trainGAN` reports.
   */
  epoch(info: EpochInfo): void {
    this.#flush();
    const name = RUN_LAYOUT.epochGridPath(info.epoch);
    const epoch: LiveEpoch = {
      epoch: info.epoch,
      lossD: info.lossD,
      lossG: info.lossG,
      dReal: info.dReal,
      dFake: info.dFake,
      seconds: info.seconds,
      grid: this.#filesPrefix === null ? null : this.#filesPrefix + name,
    };
    this.#epochs.push(epoch);
    this.#emit({ type: "epoch", data: epoch });
  }

  /**
   * Records an evaluation.
   *
   * @param evaluation The metrics and when they were measured.
   */
  evaluation(evaluation: RunEvaluation): void {
    this.#evaluations.push(evaluation);
    this.#emit({ type: "evaluation", data: evaluation });
  }

  /**
   * Records a health warning.
   *
   * @param warning The warning.
   */
  warning(warning: HealthWarning): void {
    const entry = { epoch: warning.epoch, kind: warning.kind, message: warning.message };
    this.#warnings.push(entry);
    this.#emit({ type: "warning", data: entry });
  }

  /**
   * Marks the end of the run.
   *
   * @param stopped Whether it was stopped early.
   */
  finish(stopped = false): void {
    this.#flush();
    this.#stepper.gate.open();
    this.#setState(stopped || this.#abort.signal.aborted ? "stopped" : "done");
  }

  /**
   * Pauses the run after its current step (also one in slow motion).
   *
   * @returns The state afterwards.
   */
  pause(): LiveState {
    if (this.#state === "running" || this.#state === "slow") {
      this.#stepper.gate.hold();
      this.#setState("paused");
    }
    return this.#state;
  }

  /**
   * Resumes a paused run (or one in slow motion).
   *
   * @returns The state afterwards.
   */
  resume(): LiveState {
    if (this.#state === "paused" || this.#state === "slow") {
      this.#stepper.gate.open();
      this.#setState("running");
    }
    return this.#state;
  }

  /**
   * Lets a paused run (or one in slow motion, which then pauses) take one step that updates
   * `part`, after the steps already asked for; it stays paused.
   *
   * @param part The networks the step updates.
   * @returns The state afterwards (`paused`; unchanged for a run in another state).
   */
  stepOnce(part: StepPart): LiveState {
    if (this.#state === "paused" || this.#state === "slow") {
      this.#stepper.gate.stepOnce(part);
      this.#setState("paused");
    }
    return this.#state;
  }

  /**
   * Plays a running or paused run in slow motion: one step updating `slow.part` every
   * `1 / slow.rate` seconds, until paused, resumed or stopped; or changes its part and rate.
   *
   * @param slow The part and the steps per second.
   * @returns The state afterwards (`slow`; unchanged for a run in another state).
   */
  slowMotion(slow: SlowMotion): LiveState {
    if (this.#state === "running" || this.#state === "paused" || this.#state === "slow") {
      this.#stepper.gate.slowMotion(slow);
      this.#setState("slow", true);
    }
    return this.#state;
  }

  /**
   * Stops the run after its current step (also when paused).
   *
   * @returns The state afterwards.
   */
  stop(): LiveState {
    if (["running", "paused", "slow", "waiting"].includes(this.#state)) {
      this.#abort.abort();
      this.#stepper.gate.open();
      this.#setState("stopping");
    }
    return this.#state;
  }

  /**
   * Takes one line of a run's `log.jsonl` (for a run followed through its files).
   *
   * @param record The line, as `readLogLine` reads it.
   */
  ingest(record: RunLogRecord | OtherRecord): void {
    if (this.#state === "waiting") this.#setState("running");
    if (record.kind === "step") {
      this.#record(
        {
          step: record.global_step,
          lossD: record.loss_d,
          lossG: record.loss_g,
          dReal: record.d_x,
          dFake: record.d_g_z,
        },
        {
          epoch: record.epoch,
          step: record.step,
          globalStep: record.global_step,
          seconds: record.seconds,
        },
      );
    } else if (record.kind === "epoch") {
      this.#ingestEpoch(record);
    } else if (record.kind === "eval") {
      this.evaluation({
        epoch: record.epoch,
        globalStep: record.global_step,
        fid: record.fid,
        is: record.is,
        coverage: record.coverage,
        precision: record.precision,
        recall: record.recall,
        confidence: record.confidence,
        classShare: record.class_share,
      });
    } else if (record.kind === "warning") {
      const entry = { epoch: record.epoch, kind: record.issue, message: record.message };
      this.#warnings.push(entry);
      this.#emit({ type: "warning", data: entry });
    }
  }

  #ingestEpoch(record: EpochRecord): void {
    if (this.#progress.stepsPerEpoch === 0) this.#progress.stepsPerEpoch = record.steps;
    this.epoch({
      epoch: record.epoch,
      epochs: this.#progress.epochs,
      steps: record.steps,
      lossD: record.loss_d,
      lossG: record.loss_g,
      dReal: record.d_x,
      dFake: record.d_g_z,
      seconds: record.seconds,
    });
    if (this.#progress.epochs > 0 && record.epoch >= this.#progress.epochs) this.finish();
  }

  /** The run so far, for a page that connects now. */
  snapshot(): LiveSnapshot {
    this.#updateTime();
    return {
      run: this.#run && { ...this.#run },
      state: this.#state,
      controllable: this.controllable,
      steppable: this.steppable,
      slow: this.#stepper.slow,
      stepped: this.#stepper.stepped,
      stepGrid: this.#stepper.stepGrid,
      progress: { ...this.#progress },
      points: this.#curve.points,
      stride: this.#curve.stride,
      epochs: [...this.#epochs],
      evaluations: [...this.#evaluations],
      warnings: [...this.#warnings],
    };
  }

  /**
   * Calls `listener` with every event from now on.
   *
   * @param listener Receives each event.
   * @returns A function that unsubscribes.
   */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the timer of pending messages (sends them first). */
  close(): void {
    this.#flush();
  }

  #record(
    point: LivePoint,
    at: { epoch: number; step: number; globalStep: number; seconds?: number },
  ): void {
    this.#progress.epoch = at.epoch;
    this.#progress.step = at.step;
    this.#progress.globalStep = at.globalStep;
    if (at.seconds !== undefined) this.#activeSeconds = at.seconds;
    this.#curve.add(point);
    this.#pending.push(point);
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  #flush(): void {
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.length === 0) return;
    this.#updateTime();
    const points = this.#pending;
    this.#pending = [];
    this.#emit({ type: "steps", data: { points, progress: { ...this.#progress } } });
  }

  #updateTime(): void {
    if (this.#activeSince !== undefined) {
      const now = performance.now();
      this.#activeSeconds += (now - this.#activeSince) / 1000;
      this.#activeSince = now;
    }
    const p = this.#progress;
    p.seconds = this.#activeSeconds;
    const total = p.epochs * p.stepsPerEpoch;
    p.eta = total > 0 && p.globalStep > 0 && this.#state !== "done"
      ? Math.max(0, p.seconds / p.globalStep * (total - p.globalStep))
      : null;
  }

  /** Sets the state and tells pages (also when only slow motion's part or rate changed). */
  #setState(state: LiveState, always = false): void {
    this.#updateTime();
    const timing = state === "running" && this.controllable;
    this.#activeSince = timing ? this.#activeSince ?? performance.now() : undefined;
    if (state === this.#state && !always) return;
    this.#state = state;
    const data = {
      state,
      progress: { ...this.#progress },
      run: this.#run,
      slow: this.#stepper.slow,
    };
    this.#emit({ type: "state", data });
  }

  #emit(event: LiveEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
