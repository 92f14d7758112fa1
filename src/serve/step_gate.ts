/**
 * The gate that a paused live run waits at (GAN Lab's stepper): held, it lets one step through per
 * {@linkcode StepGate.stepOnce}, with the part asked for (D only, G only or both); in slow motion
 * it lets one through every `1 / rate` seconds; open, it lets every step through with the part
 * the schedule gives. The run waits in {@linkcode StepGate.wait} after a step (its step hook) and
 * asks {@linkcode StepGate.take} for the next step's part (its `nextStep`).
 *
 * @module
 */

import type { StepPart } from "../train/options.ts";

export type { StepPart } from "../train/options.ts";

/** The parts a step may update, as a control message names them. */
export const STEP_PARTS: readonly StepPart[] = ["discriminator", "generator", "both"];

/** The slowest and fastest slow motion, in steps per second. */
export const SLOW_RATES: Readonly<{ min: number; max: number }> = { min: 0.1, max: 10 };

/** The most steps that may wait to be taken one at a time (a page clicking faster than steps run). */
export const MAX_QUEUED_STEPS = 16;

/** Slow motion: which part every step updates, and how many steps a second. */
export interface SlowMotion {
  /** The part each step updates. */
  part: StepPart;
  /** Steps per second, from {@linkcode SLOW_RATES}`.min` to `.max`. */
  rate: number;
}

/** A step the gate let through: its part, and whether slow motion's timer released it. */
export interface ReleasedStep {
  /** The part it updates. */
  part: StepPart;
  /** True for a step of slow motion, false for one asked for by itself. */
  slow: boolean;
}

/**
 * The gate between a paused run and its next step.
 *
 * @example Hold a run, let one D-only step through, then open
 * ```ts
 * import { StepGate } from "./step_gate.ts";
 *
 * const gate = new StepGate();
 * gate.hold();
 * const waiting = gate.wait(); // the step hook of a paused run
 * gate.stepOnce("discriminator");
 * await waiting;
 * console.log(gate.take()); // { part: "discriminator", slow: false }
 * gate.open();
 * console.log(gate.take()); // undefined: the schedule's part
 * ```
 */
export class StepGate {
  #mode: "open" | "held" | "slow" = "open";
  #queue: StepPart[] = [];
  #slow: SlowMotion | null = null;
  /** Slow motion's step that {@linkcode StepGate.wait} let through, until taken. */
  #ticket: ReleasedStep | undefined;
  #lastRelease = -Infinity;
  #wake = Promise.withResolvers<void>();

  /** Steps asked for one at a time and not yet taken. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Slow motion's part and rate while it plays; null otherwise. */
  get slow(): SlowMotion | null {
    return this.#slow && { ...this.#slow };
  }

  /** Lets every step through (a run that resumed or stopped); forgets the steps asked for. */
  open(): void {
    this.#mode = "open";
    this.#queue = [];
    this.#slow = null;
    this.#ticket = undefined;
    this.#wakeUp();
  }

  /**
   * Holds the run until {@linkcode StepGate.stepOnce} (a paused run; slow motion ends, steps
   * asked for before are forgotten).
   */
  hold(): void {
    this.#mode = "held";
    this.#queue = [];
    this.#slow = null;
    this.#wakeUp();
  }

  /**
   * Lets one step through with `part`, after those already asked for; ends slow motion.
   *
   * @param part The part the step updates.
   */
  stepOnce(part: StepPart): void {
    if (this.#mode !== "held") this.hold();
    this.#queue.push(part);
    this.#wakeUp();
  }

  /**
   * Plays slow motion: one step with `part` every `1 / rate` seconds, the first at once (or one
   * interval after the last one, when already in slow motion).
   *
   * @param slow The part and the rate.
   */
  slowMotion(slow: SlowMotion): void {
    if (this.#mode !== "slow") this.#lastRelease = -Infinity;
    this.#mode = "slow";
    this.#queue = [];
    this.#slow = { ...slow };
    this.#wakeUp();
  }

  /**
   * Waits until the next step may run: the gate opened, a step was asked for, or slow motion's
   * next step is due.
   */
  async wait(): Promise<void> {
    for (;;) {
      if (this.#mode === "open" || this.#queue.length > 0 || this.#ticket) return;
      const woken = this.#wake.promise;
      if (this.#mode === "slow" && this.#slow) {
        const now = performance.now();
        const due = this.#lastRelease + 1000 / this.#slow.rate;
        if (now >= due) {
          this.#lastRelease = now;
          this.#ticket = { part: this.#slow.part, slow: true };
          return;
        }
        await sleep(due - now, woken);
      } else {
        await woken;
      }
    }
  }

  /**
   * The step that may run now, taken: slow motion's, or the first asked for.
   *
   * @returns Its part and how it was released; undefined for the schedule's part.
   */
  take(): ReleasedStep | undefined {
    const ticket = this.#ticket;
    this.#ticket = undefined;
    if (ticket) return ticket;
    const part = this.#queue.shift();
    return part === undefined ? undefined : { part, slow: false };
  }

  #wakeUp(): void {
    this.#wake.resolve();
    this.#wake = Promise.withResolvers<void>();
  }
}

/** Resolves after `ms` milliseconds, or sooner when `woken` resolves (the timer then cleared). */
function sleep(ms: number, woken: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    woken.then(done);
  });
}
