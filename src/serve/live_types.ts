/**
 * What the live view's hub tells pages: where a run is and how far, its curves' points, its
 * epochs, and the events that carry them; and the hub's options.
 *
 * @module
 */

import type { EpochInfo, StepInfo } from "../train/options.ts";
import type { HealthWarning } from "../train/health.ts";
import type { RunEvaluation } from "../train/run/options.ts";
import type { SlowMotion, StepPart } from "./step_gate.ts";

/**
 * Where a live run is: `slow` is slow motion (a paused run taking steps on a timer).
 */
export type LiveState =
  | "waiting"
  | "running"
  | "paused"
  | "slow"
  | "stopping"
  | "stopped"
  | "done";

/** One point of the live curves: a step, or the mean of the `steps` steps ending at `step`. */
export interface LivePoint {
  /** Global step (from 1) of the last step the point covers. */
  step: number;
  /** Discriminator loss. */
  lossD: number;
  /** Generator loss. */
  lossG: number;
  /** D(x). */
  dReal: number;
  /** D(G(z)). */
  dFake: number;
}

/** How far a live run is. */
export interface LiveProgress {
  /** The current epoch, from 1 (0 before the first step). */
  epoch: number;
  /** Epochs in the run. */
  epochs: number;
  /** The step within the epoch. */
  step: number;
  /** Steps per epoch (0 while unknown). */
  stepsPerEpoch: number;
  /** Steps since the start. */
  globalStep: number;
  /** Seconds spent training, pauses not counted. */
  seconds: number;
  /** Estimated seconds to the end, or null while unknown. */
  eta: number | null;
}

/** A finished epoch, as the page shows it. */
export interface LiveEpoch {
  /** The epoch, from 1. */
  epoch: number;
  /** Mean discriminator loss over the epoch. */
  lossD: number;
  /** Mean generator loss. */
  lossG: number;
  /** Mean D(x). */
  dReal: number;
  /** Mean D(G(z)). */
  dFake: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** URL path of the epoch's fixed-noise grid, when the run writes one. */
  grid: string | null;
}

/** A step taken by hand (one at a time or in slow motion): what it measured. */
export interface LiveSteppedStep {
  /** The epoch, from 1. */
  epoch: number;
  /** The step within the epoch. */
  step: number;
  /** Steps since the start. */
  globalStep: number;
  /** Which networks it updated. */
  part: StepPart;
  /** Whether slow motion took it (else a step asked for by itself). */
  slow: boolean;
  /** Discriminator loss. */
  lossD: number;
  /** Generator loss. */
  lossG: number;
  /** D(x). */
  dReal: number;
  /** D(G(z)). */
  dFake: number;
}

/** The fixed-noise grid after a step taken by hand, drawn from G's weights then. */
export interface LiveStepGrid {
  /** The step after which it was drawn. */
  globalStep: number;
  /** The grid as a PNG `data:` URL. */
  image: string;
}

/** What describes a run before it starts. */
export interface LiveRunInfo {
  /** The preset's name. */
  preset: string;
  /** Epochs planned. */
  epochs: number;
  /** Steps per epoch, if known. */
  stepsPerEpoch?: number;
  /** Where the run writes (shown on the page). */
  out?: string;
}

/** Everything a page needs when it connects: the run so far. */
export interface LiveSnapshot {
  /** The run's description, or null before it starts. */
  run: LiveRunInfo | null;
  /** Where it is. */
  state: LiveState;
  /** Whether the page may pause, resume and stop it. */
  controllable: boolean;
  /** Whether it may also take steps one at a time and in slow motion. */
  steppable: boolean;
  /** Slow motion's part and rate while it plays (state `slow`); else null. */
  slow: SlowMotion | null;
  /** The last step taken by hand, if any. */
  stepped: LiveSteppedStep | null;
  /** The grid after the last step taken by hand that has one, if any. */
  stepGrid: LiveStepGrid | null;
  /** How far it is. */
  progress: LiveProgress;
  /** The curves so far (points averaged over `stride` steps once there are many). */
  points: LivePoint[];
  /** Steps per point in `points`. */
  stride: number;
  /** Finished epochs. */
  epochs: LiveEpoch[];
  /** Evaluations (FID, IS, coverage, precision, recall, …). */
  evaluations: RunEvaluation[];
  /** Health warnings. */
  warnings: { epoch: number; kind: string; message: string }[];
}

/** A message to pages: its kind (the SSE event name) and JSON data. */
export interface LiveEvent {
  /**
   * `snapshot`, `steps`, `epoch`, `evaluation`, `warning`, `state`, `stepped` (a
   * {@linkcode LiveSteppedStep}) or `stepGrid` (a {@linkcode LiveStepGrid}).
   */
  type: string;
  /** The event's data. */
  data: unknown;
}

/** What `LiveTraining.hooks` gives a run: the signal and the callbacks, for `trainRun`. */
export interface LiveHooks {
  /** Aborted when a page stops the run. */
  signal: AbortSignal;
  /** Before every step: the part of a step asked for by hand, else undefined. */
  nextStep: () => StepPart | undefined;
  /** Records a step; while paused, waits until the next step may run. */
  onStep: (info: StepInfo) => Promise<void> | void;
  /** Records an epoch. */
  onEpoch: (info: EpochInfo) => void;
  /** Records an evaluation. */
  onEvaluation: (evaluation: RunEvaluation) => void;
  /** Records a health warning. */
  onWarning: (warning: HealthWarning) => void;
  /** After a step taken by hand: sends its grid (drawn by `drawGrid`) when one is due. */
  onManualStep: (info: StepInfo, drawGrid: () => Promise<Uint8Array>) => Promise<void>;
}

/** Options of {@linkcode LiveTraining}. */
export interface LiveTrainingOptions {
  /**
   * Whether pages may pause, resume and stop the run (true for a run in this process, false for
   * one followed through its files).
   * @default {true}
   */
  controllable?: boolean;
  /**
   * URL path prefix of the run directory's files, for the epochs' grids; no grids when null.
   * @default {"/files/"}
   */
  filesPrefix?: string | null;
  /**
   * Milliseconds between messages carrying new steps (steps come faster than pages need them).
   * @default {200}
   */
  flushMs?: number;
  /**
   * In slow motion, the fewest milliseconds between two grids (the steps between get none); a
   * step taken by itself always gets one.
   * @default {250}
   */
  stepGridMs?: number;
}
