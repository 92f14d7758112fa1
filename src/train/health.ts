/**
 * Health checks while a GAN trains: non-finite losses or weights, a discriminator that has won,
 * and a generator whose samples lose classes. Plain data in, warnings out: no file access.
 *
 * @module
 */

import type { LossName } from "./losses.ts";
import type { StepInfo } from "./options.ts";

/**
 * The discriminator loss below which D has won, per objective: `ns` at 0.15 (balanced: 2·ln 2 ≈
 * 1.39), `hinge` at 0.15 (balanced: 2), `ls` at 0.03 (balanced: 0.25); a Wasserstein critic's
 * loss has no floor (it is negative when the critic separates the sets at all): none.
 *
 * @example
 * ```ts
 * import { DISCRIMINATOR_LOSS_FLOOR, HealthMonitor } from "@gan/mnist";
 *
 * const health = new HealthMonitor({ dLossFloor: DISCRIMINATOR_LOSS_FLOOR.ls });
 * ```
 */
export const DISCRIMINATOR_LOSS_FLOOR: Readonly<Record<LossName, number>> = Object.freeze({
  ns: 0.15,
  hinge: 0.15,
  ls: 0.03,
  "wgan-gp": -Infinity,
});

/** The kinds of trouble {@linkcode HealthMonitor} reports. */
export type HealthIssue = "non-finite" | "discriminator-collapse" | "mode-collapse";

/** One warning: what went wrong, when, and a sentence for people. */
export interface HealthWarning {
  /** The kind of trouble. */
  kind: HealthIssue;
  /** The epoch it was seen in, from 1. */
  epoch: number;
  /** The global step it was seen at, from 1. */
  globalStep: number;
  /** One line, e.g. `mode collapse: 4 classes hold ≥ 5% of samples (best so far 10)`. */
  message: string;
  /** Whether training cannot usefully go on (non-finite values). */
  fatal: boolean;
}

/** Thresholds of {@linkcode HealthMonitor}. */
export interface HealthOptions {
  /**
   * Steps per block: the discriminator check compares block means.
   * @default {100}
   */
  blockSteps?: number;
  /**
   * Consecutive blocks that must all look collapsed before the discriminator check warns.
   * @default {5}
   */
  blocks?: number;
  /**
   * The discriminator has won when its mean loss stays below this (both D(x) → 1 and
   * D(G(z)) → 0; a balanced GAN sits near 2·ln 2 ≈ 1.39; the original's collapsing standard recipe
   * crosses 0.15 around epoch 6).
   * @default {0.15}
   */
  dLossFloor?: number;
  /**
   * Mode collapse: coverage (classes with ≥ 5% of samples) at least this many classes below the
   * best so far, in `collapseEvaluations` evaluations in a row. (Coverage of a few thousand
   * samples moves by a class or two from one evaluation to the next in a healthy run.)
   * @default {3}
   */
  coverageDrop?: number;
  /**
   * Evaluations in a row the drop must last.
   * @default {2}
   */
  collapseEvaluations?: number;
}

/**
 * The state of a {@linkcode HealthMonitor}: plain JSON data.
 *
 * @example
 * ```ts
 * import { HealthMonitor } from "@gan/mnist";
 *
 * const state = new HealthMonitor().exportState();
 * console.log(JSON.stringify(state));
 * ```
 */
export interface HealthState {
  /** The block of steps in progress: steps and sums of the losses. */
  block: { steps: number; lossD: number; lossG: number };
  /** Means of the last full blocks: [lossD, lossG]. */
  recent: [number, number][];
  /** The best coverage so far. */
  bestCoverage: number;
  /** Evaluations in a row with low coverage. */
  lowEvaluations: number;
  /** The issues said and not yet recovered from. */
  warned: HealthIssue[];
}

/** What an evaluation tells the monitor. */
export interface HealthMetrics {
  /** Classes holding at least 5% of the samples. */
  coverage: number;
  /** Fréchet distance to the test set. */
  fid: number;
}

/**
 * Watches a training run and says when it goes wrong. Feed it every step, every evaluation and,
 * now and then, the weights; each method returns a warning the first time a condition is seen,
 * and again only after training has recovered (D's loss back above twice the floor, coverage
 * back at its best).
 *
 * - **non-finite**: a loss or a weight is NaN or ±Infinity (fatal: nothing useful follows);
 * - **discriminator collapse**: D's loss stays near 0 while G's loss keeps growing, for
 *   `blocks × blockSteps` steps: D has won and G gets no useful gradient;
 * - **mode collapse**: the samples' class coverage stays 3 classes or more below its best for two
 *   evaluations in a row.
 *
 * @example Watch a run
 * ```ts
 * import { HealthMonitor } from "@gan/mnist";
 *
 * const health = new HealthMonitor();
 * health.evaluation({ coverage: 10, fid: 40 }, { epoch: 2, globalStep: 1874 });
 * health.evaluation({ coverage: 4, fid: 110 }, { epoch: 3, globalStep: 2811 });
 * const warning = health.evaluation({ coverage: 3, fid: 120 }, { epoch: 4, globalStep: 3748 });
 * console.log(warning?.message); // mode collapse: only 3 classes hold ≥ 5% of samples …
 * ```
 */
export class HealthMonitor {
  readonly #blockSteps: number;
  readonly #blocks: number;
  readonly #dLossFloor: number;
  readonly #coverageDrop: number;
  readonly #collapseEvaluations: number;
  #block = { steps: 0, lossD: 0, lossG: 0 };
  /** Means of the last `blocks` full blocks: [lossD, lossG]. */
  #recent: [number, number][] = [];
  #bestCoverage = 0;
  /** Evaluations in a row with coverage `coverageDrop` below the best. */
  #lowEvaluations = 0;
  #warned = new Set<HealthIssue>();

  /**
   * Makes a monitor with the given thresholds.
   *
   * @param options Thresholds.
   */
  constructor(options: HealthOptions = {}) {
    this.#blockSteps = options.blockSteps ?? 100;
    this.#blocks = options.blocks ?? 5;
    this.#dLossFloor = options.dLossFloor ?? 0.15;
    this.#coverageDrop = options.coverageDrop ?? 3;
    this.#collapseEvaluations = options.collapseEvaluations ?? 2;
  }

  /**
   * Checks one training step.
   *
   * @param info The step's losses and position.
   * @returns A warning, or undefined.
   */
  step(
    info: Pick<StepInfo, "epoch" | "globalStep" | "lossD" | "lossG">,
  ): HealthWarning | undefined {
    if (!Number.isFinite(info.lossD) || !Number.isFinite(info.lossG)) {
      return this.#raise(
        "non-finite",
        info,
        true,
        `non-finite loss at step ${info.globalStep}: loss_d ${info.lossD}, loss_g ${info.lossG}`,
      );
    }
    const b = this.#block;
    b.steps++, b.lossD += info.lossD, b.lossG += info.lossG;
    if (b.steps < this.#blockSteps) return undefined;
    this.#recent.push([b.lossD / b.steps, b.lossG / b.steps]);
    if (this.#recent.length > this.#blocks) this.#recent.shift();
    this.#block = { steps: 0, lossD: 0, lossG: 0 };
    const full = this.#recent.length === this.#blocks;
    const dWon = full && this.#recent.every(([lossD]) => lossD < this.#dLossFloor);
    const gGrowing = full && this.#recent[this.#blocks - 1][1] > this.#recent[0][1];
    // Said once per collapse: armed again only once D's loss has clearly come back.
    if (this.#recent[this.#recent.length - 1][0] >= 2 * this.#dLossFloor) {
      this.#warned.delete("discriminator-collapse");
    }
    if (!(dWon && gGrowing)) return undefined;
    const [lossD, lossG] = this.#recent[this.#blocks - 1];
    return this.#raise(
      "discriminator-collapse",
      info,
      false,
      `discriminator collapse: loss_d ${lossD.toFixed(3)} < ${this.#dLossFloor} for ${
        this.#blocks * this.#blockSteps
      } steps while loss_g grew ${this.#recent[0][1].toFixed(2)} → ${lossG.toFixed(2)}`,
    );
  }

  /**
   * Checks an evaluation of the generator's samples.
   *
   * @param metrics Coverage and FID.
   * @param at When it was taken.
   * @returns A warning, or undefined.
   */
  evaluation(
    metrics: HealthMetrics,
    at: Pick<StepInfo, "epoch" | "globalStep">,
  ): HealthWarning | undefined {
    if (!Number.isFinite(metrics.fid)) {
      return this.#raise(
        "non-finite",
        at,
        true,
        `non-finite FID at epoch ${at.epoch}: the samples hold NaN or Infinity`,
      );
    }
    const best = this.#bestCoverage = Math.max(this.#bestCoverage, metrics.coverage);
    // Said once per collapse: armed again only once coverage is back at its best.
    if (metrics.coverage >= best) this.#warned.delete("mode-collapse");
    const low = metrics.coverage <= best - this.#coverageDrop;
    this.#lowEvaluations = low ? this.#lowEvaluations + 1 : 0;
    if (this.#lowEvaluations < this.#collapseEvaluations) return undefined;
    return this.#raise(
      "mode-collapse",
      at,
      false,
      `mode collapse: only ${metrics.coverage} classes hold ≥ 5% of samples in ${this.#lowEvaluations} evaluations in a row (best so far ${best})`,
    );
  }

  /**
   * Checks weights for NaN and ±Infinity.
   *
   * @param weights Each weight's values, e.g. from `model.getWeights()` read back.
   * @param at When they were read.
   * @param names The weights' names, for the message.
   * @returns A warning, or undefined.
   */
  weights(
    weights: Iterable<ArrayLike<number>>,
    at: Pick<StepInfo, "epoch" | "globalStep">,
    names: string[] = [],
  ): HealthWarning | undefined {
    let w = 0;
    for (const values of weights) {
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) {
          const name = names[w] ? ` ${names[w]}` : "";
          return this.#raise(
            "non-finite",
            at,
            true,
            `non-finite weight${name} at step ${at.globalStep} (${values[i]})`,
          );
        }
      }
      w++;
    }
    return undefined;
  }

  /**
   * The monitor's whole state, copied: what a checkpoint saves.
   *
   * @returns Plain JSON data.
   */
  exportState(): HealthState {
    return {
      block: { ...this.#block },
      recent: this.#recent.map(([d, g]) => [d, g]),
      bestCoverage: this.#bestCoverage,
      lowEvaluations: this.#lowEvaluations,
      warned: [...this.#warned],
    };
  }

  /**
   * Continues from a state that {@linkcode HealthMonitor.exportState} returned.
   *
   * @param state The state.
   */
  importState(state: HealthState): void {
    this.#block = { ...state.block };
    this.#recent = state.recent.map(([d, g]) => [d, g]);
    this.#bestCoverage = state.bestCoverage;
    this.#lowEvaluations = state.lowEvaluations;
    this.#warned = new Set(state.warned);
  }

  #raise(
    kind: HealthIssue,
    at: Pick<StepInfo, "epoch" | "globalStep">,
    fatal: boolean,
    message: string,
  ): HealthWarning | undefined {
    if (this.#warned.has(kind)) return undefined;
    this.#warned.add(kind);
    return { kind, epoch: at.epoch, globalStep: at.globalStep, message, fatal };
  }
}
