/**
 * The live view's curve history: every step's point while there are few, then means over
 * buckets of `stride` steps, the stride doubling whenever the history fills, so that a page that
 * connects late gets the whole run in a bounded number of points.
 *
 * @module
 */

import type { LivePoint } from "./live_types.ts";

/** Points kept for a page that connects late; beyond it, neighbours are averaged in pairs. */
const MAX_POINTS = 4096;

/**
 * The curves of a run so far, at most 4096 points.
 *
 * @example
 * ```ts
 * import { LiveCurve } from "./live_curve.ts";
 *
 * const curve = new LiveCurve();
 * curve.add({ step: 1, lossD: 1.4, lossG: 0.7, dReal: 0.5, dFake: 0.5 });
 * console.log(curve.points.length, curve.stride); // 1 1
 * ```
 */
export class LiveCurve {
  #points: LivePoint[] = [];
  #stride = 1;
  #bucket: LivePoint[] = [];

  /** The points so far (a copy), each the mean of `stride` steps. */
  get points(): LivePoint[] {
    return [...this.#points];
  }

  /** Steps per point. */
  get stride(): number {
    return this.#stride;
  }

  /**
   * Adds a step's point, in buckets of `stride` steps, halving the history when full.
   *
   * @param point The step's point.
   */
  add(point: LivePoint): void {
    this.#bucket.push(point);
    if (this.#bucket.length < this.#stride) return;
    this.#points.push(mean(this.#bucket));
    this.#bucket = [];
    if (this.#points.length >= MAX_POINTS) {
      const merged: LivePoint[] = [];
      for (let i = 0; i + 1 < this.#points.length; i += 2) {
        merged.push(mean([this.#points[i], this.#points[i + 1]]));
      }
      this.#points = merged;
      this.#stride *= 2;
    }
  }
}

/** The mean of some points, at the step of the last. */
function mean(points: LivePoint[]): LivePoint {
  const sum = { lossD: 0, lossG: 0, dReal: 0, dFake: 0 };
  for (const p of points) {
    sum.lossD += p.lossD;
    sum.lossG += p.lossG;
    sum.dReal += p.dReal;
    sum.dFake += p.dFake;
  }
  const n = points.length;
  return {
    step: points[n - 1].step,
    lossD: sum.lossD / n,
    lossG: sum.lossG / n,
    dReal: sum.dReal / n,
    dFake: sum.dFake / n,
  };
}
