/**
 * ADA's adaptive augmentation probability (Karras et al. 2020, "Training Generative Adversarial
 * Networks with Limited Data", section 3): the overfitting heuristic r_t = E[sign(D(x_real))]
 * over the last few discriminator updates moves p up when D is too sure of the real images and
 * down when it is not.
 *
 * @module
 */

import { checkInteger, checkNumber } from "../../errors.ts";

/** Options of {@linkcode AdaptiveProbability}. */
export interface AdaptiveProbabilityOptions {
  /**
   * The r_t to hold: above it p rises, below it p falls (the paper's 0.6).
   * @default {0.6}
   */
  target?: number;
  /**
   * Discriminator updates (calls of `observe`) between adjustments (the paper's 4).
   * @default {4}
   */
  interval?: number;
  /**
   * Real images over which p can go from 0 to 1. The paper's 500,000 suits its runs of tens of
   * millions of images; the presets here train on 300,000 (dcgan, 5 epochs) to 3,000,000
   * (standard), so the default is 100,000 (1.7 MNIST epochs): p can cross its range within the
   * shortest run, in steps of 0.00256 at batch 64.
   * @default {100_000}
   */
  speedImages?: number;
}

/** An {@linkcode AdaptiveProbability}'s whole state, plain JSON data. */
export interface AdaptiveProbabilityState {
  /** The probability now. */
  p: number;
  /** The sum of the signs observed since the last adjustment. */
  signSum: number;
  /** How many outputs were observed since the last adjustment. */
  count: number;
  /** How many batches (`observe` calls) since the last adjustment. */
  batches: number;
  /** r_t of the last adjustment; null before the first. */
  lastSignMean: number | null;
}

/**
 * ADA's probability p: starts at 0; every `interval` calls of {@linkcode observe}, with r_t the
 * mean sign of the real images' discriminator outputs over them and n the number of those
 * outputs, p ← clamp(p + sign(r_t − target) · n / speedImages, 0, 1). n is batch size × interval
 * as the paper writes it, counted so that a short last batch counts what it holds.
 *
 * @example Adapt p to the discriminator's outputs on real images
 * ```ts
 * import { AdaptiveProbability } from "@gan/mnist";
 *
 * const ada = new AdaptiveProbability();
 * for (let step = 0; step < 8; step++) ada.observe(new Float32Array(64).fill(2)); // D is sure
 * console.log(ada.p); // 0.00512: two adjustments of 256 / 100,000
 * ```
 */
export class AdaptiveProbability {
  /** The r_t held. */
  readonly target: number;
  /** Updates between adjustments. */
  readonly interval: number;
  /** Real images for p to go from 0 to 1. */
  readonly speedImages: number;
  #p = 0;
  #signSum = 0;
  #count = 0;
  #batches = 0;
  #lastSignMean: number | null = null;

  /**
   * Starts at p = 0.
   *
   * @param options Target, interval and speed.
   */
  constructor(options: AdaptiveProbabilityOptions = {}) {
    const where = "AdaptiveProbability";
    this.target = checkNumber(where, "target", options.target ?? 0.6, -1, 1, "[]");
    this.interval = checkInteger(where, "interval", options.interval ?? 4, 1);
    this.speedImages = checkNumber(where, "speedImages", options.speedImages ?? 100_000, 0, 1e12);
  }

  /**
   * The probability now, in [0, 1].
   *
   * @returns p.
   */
  get p(): number {
    return this.#p;
  }

  /**
   * r_t of the last adjustment (the mean sign of D's real outputs over its interval).
   *
   * @returns r_t, or undefined before the first adjustment.
   */
  get lastSignMean(): number | undefined {
    return this.#lastSignMean ?? undefined;
  }

  /**
   * Records one discriminator update's outputs on its real images, and adjusts p after every
   * `interval` of them. A NaN output counts as sign 0.
   *
   * @param realLogits D(x) for the real batch (raw outputs, before any sigmoid).
   * @returns p after this update.
   */
  observe(realLogits: Float32Array | readonly number[]): number {
    for (const value of realLogits) this.#signSum += Math.sign(value) || 0;
    this.#count += realLogits.length;
    if (++this.#batches < this.interval) return this.#p;
    if (this.#count > 0) {
      const mean = this.#signSum / this.#count;
      const step = Math.sign(mean - this.target) * this.#count / this.speedImages;
      this.#p = Math.min(1, Math.max(0, this.#p + step));
      this.#lastSignMean = mean;
    }
    this.#signSum = this.#count = this.#batches = 0;
    return this.#p;
  }

  /**
   * The whole state, copied: what a checkpoint saves to resume bit for bit.
   *
   * @returns Plain JSON data.
   */
  exportState(): AdaptiveProbabilityState {
    return {
      p: this.#p,
      signSum: this.#signSum,
      count: this.#count,
      batches: this.#batches,
      lastSignMean: this.#lastSignMean,
    };
  }

  /**
   * Continues from a state that {@linkcode AdaptiveProbability.exportState} returned.
   *
   * @param state The state.
   * @throws {RangeError} If it is not one (p outside [0, 1], counts not whole numbers).
   */
  importState(state: AdaptiveProbabilityState): void {
    const where = "AdaptiveProbability.importState";
    checkNumber(where, "p", state.p, 0, 1, "[]");
    checkInteger(where, "signSum", state.signSum, -Number.MAX_SAFE_INTEGER);
    checkInteger(where, "count", state.count, 0);
    checkInteger(where, "batches", state.batches, 0, this.interval - 1);
    if (state.lastSignMean !== null) {
      checkNumber(where, "lastSignMean", state.lastSignMean, -1, 1, "[]");
    }
    this.#p = state.p;
    this.#signSum = state.signSum;
    this.#count = state.count;
    this.#batches = state.batches;
    this.#lastSignMean = state.lastSignMean;
  }
}
