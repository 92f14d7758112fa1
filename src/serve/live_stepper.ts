/**
 * The live hub's stepper (GAN Lab's): the gate that a paused run's next step waits at, what the
 * last step taken by hand measured, and the fixed-noise grid after it, drawn at most every
 * `stepGridMs` in slow motion.
 *
 * @module
 */

import type { StepInfo } from "../train/options.ts";
import type { LiveStepGrid, LiveSteppedStep } from "./live_types.ts";
import { type ReleasedStep, type SlowMotion, StepGate, type StepPart } from "./step_gate.ts";

/**
 * The stepper of one live run: {@linkcode LiveTraining} holds one and sends what it reports.
 *
 * @example A paused run waits; a page asks for a D-only step; the run takes it
 * ```ts
 * import { LiveStepper } from "./live_stepper.ts";
 *
 * const stepper = new LiveStepper();
 * stepper.gate.hold();
 * const waiting = stepper.gate.wait();
 * stepper.gate.stepOnce("discriminator");
 * await waiting;
 * console.log(stepper.take()); // discriminator
 * ```
 */
export class LiveStepper {
  /** The gate the next step waits at. */
  readonly gate: StepGate = new StepGate();
  /** Whether the loop calls `nextStep` (then `onStep` never waits). */
  driven = false;
  /** The last step taken by hand, if any. */
  stepped: LiveSteppedStep | null = null;
  /** The grid after the last step taken by hand that has one, if any. */
  stepGrid: LiveStepGrid | null = null;
  #released: ReleasedStep | undefined;
  #gridMs: number;
  #lastGridAt = -Infinity;

  /**
   * @param gridMs In slow motion, the fewest milliseconds between two grids.
   */
  constructor(gridMs = 250) {
    this.#gridMs = gridMs;
  }

  /** Slow motion's part and rate while it plays; else null. */
  get slow(): SlowMotion | null {
    return this.gate.slow;
  }

  /**
   * The part of the next step (`nextStep`): of the step the gate let through, if any.
   *
   * @returns Its part, or undefined for the schedule's.
   */
  take(): StepPart | undefined {
    this.#released = this.gate.take();
    return this.#released?.part;
  }

  /**
   * Takes a step's report: what it measured, when the gate let it through by hand (the step
   * taken after {@linkcode LiveStepper.take} gave its part).
   *
   * @param info What `trainGAN` reports.
   * @returns The step taken by hand, or undefined for one of the schedule.
   */
  report(info: StepInfo): LiveSteppedStep | undefined {
    const released = this.#released;
    this.#released = undefined;
    if (!released) return undefined;
    this.stepped = {
      epoch: info.epoch,
      step: info.step,
      globalStep: info.globalStep,
      part: info.part,
      slow: released.slow,
      lossD: info.lossD,
      lossG: info.lossG,
      dReal: info.dReal,
      dFake: info.dFake,
    };
    return this.stepped;
  }

  /**
   * The grid after a step taken by hand: drawn, except in slow motion less than `gridMs` after
   * the last one.
   *
   * @param info The step.
   * @param drawGrid Draws the grid from G's weights now, as a PNG.
   * @returns The grid, or undefined when none is due.
   */
  async grid(
    info: StepInfo,
    drawGrid: () => Promise<Uint8Array>,
  ): Promise<LiveStepGrid | undefined> {
    const now = performance.now();
    // Called before or after the step's report.
    const slow = this.#released?.slow ??
      (this.stepped?.globalStep === info.globalStep && this.stepped.slow);
    if (slow && now - this.#lastGridAt < this.#gridMs) return undefined;
    this.#lastGridAt = now;
    const image = `data:image/png;base64,${base64(await drawGrid())}`;
    this.stepGrid = { globalStep: info.globalStep, image };
    return this.stepGrid;
  }
}

/** Bytes in base64 (in chunks: a grid's PNG is too long for one `String.fromCharCode` call). */
function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
