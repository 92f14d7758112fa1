/**
 * The gate that a paused live run's next step waits at (GAN Lab's stepper): held, it lets one
 * step through per {@linkcode StepGate.stepOnce}, with the part asked for (D only, G only or
 * both); in slow motion it lets one through every `1 / rate` seconds; open, it lets every step
 * through with the part the schedule gives.
 *
 * @module
 */

// MERGE: import { StepPart } from "../train/options.ts" once trainGAN's nextStep is on main.
/** Which networks a step updates (as in trainGAN's `nextStep`). */
export type StepPart = "both" | "discriminator" | "generator";

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
 * const next = gate.next();
 * gate.stepOnce("discriminator");
 * console.log(await next); // { part: "discriminator", slow: false }
 * gate.open();
 * console.log(await gate.next()); // undefined: the schedule's part
 * ```
 */
export class StepGate {
  #mode: "open" | "held" | "slow" = "open";
  #queue: StepPart[] = [];
  #slow: SlowMotion | null = null;
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

  /** Lets every step through (a run that resumed or stopped); forgets queued steps. */
  open(): void {
    this.#mode = "open";
    this.#queue = [];
    this.#slow = null;
    this.#wakeUp();
  }

  /** Holds the next step until {@linkcode StepGate.stepOnce} (a paused run; slow motion ends). */
  hold(): void {
    this.#mode = "held";
    this.#slow = null;
    this.#wakeUp();
  }

  /**
   * Lets one step through with `part`, after those already queued; ends slow motion.
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
   * interval after the last step released, when already in slow motion).
   *
   * @param slow The part and the rate.
   */
  slowMotion(slow: SlowMotion): void {
    if (this.#mode !== "slow") this.#lastRelease = -Infinity;
    this.#mode = "slow";
    this.#slow = { ...slow };
    this.#wakeUp();
  }

  /**
   * Waits until the next step may run.
   *
   * @returns The part it updates and how it was released, or undefined when the gate is open
   * (the schedule's part).
   */
  async next(): Promise<ReleasedStep | undefined> {
    for (;;) {
      if (this.#mode === "open") return undefined;
      const queued = this.#queue.shift();
      if (queued !== undefined) return { part: queued, slow: false };
      const woken = this.#wake.promise;
      if (this.#mode === "slow" && this.#slow) {
        const due = this.#lastRelease + 1000 / this.#slow.rate;
        const now = performance.now();
        if (now >= due) {
          this.#lastRelease = now;
          return { part: this.#slow.part, slow: true };
        }
        await sleep(due - now, woken);
      } else {
        await woken;
      }
    }
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
