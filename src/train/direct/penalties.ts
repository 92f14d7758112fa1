/**
 * The gradient penalties of the direct step (WGAN-GP's and R1), by hand: "double backprop" on
 * our kernels, as src/train/penalties.ts computes them with tf.js's nested gradients.
 *
 * A penalty is a function of each sample's input gradient `g = ∇ₓD(x)`, which is itself a
 * backward pass through D with `dy = 1`: for each Dense layer `y = σ(xW + b)` going backwards,
 * `v = u ⊙ σ'` (the mask of the forward pass at x), `u ← v·Wᵀ`. The penalty's gradient for D's
 * weights is the backward pass of that pass, run forwards from the penalty's gradient `G` for g:
 * each Dense layer gets `dW += Gᵀ·v` (the second-order signal against the first-order one) and
 * passes on `G ← (G·W) ⊙ σ'`. ReLU and LeakyReLU are piecewise linear: their masks are constants
 * (no second-order term), so biases get no gradient from a penalty, and the first-order signals
 * depend on the weights only through the products. Tanh's would not be, so a discriminator with
 * Tanh is left to the autograd step ({@linkcode penaltiesApply}).
 *
 * The gradient is the images' only: the label columns of a conditional D's input row are left out
 * of the norm, as the autograd step differentiates `x ↦ D([x, y])`.
 *
 * @module
 */

import type { HeapKernels } from "../../backend/kernels/module.ts";
import { splitGemm, splitRange } from "../../backend/kernels/pool.ts";
import type { Random } from "../../random.ts";
import { interpolationWeights } from "../penalties.ts";
import { f32, type Network } from "./network.ts";
import type { Op } from "./plan.ts";

/** The sum of squares below which a gradient's norm counts as 0 (src/train/penalties.ts's). */
const TINY = 1e-20;

/** What {@linkcode DirectPenalties} needs to know of the step. */
export interface PenaltyOptions {
  /** Batch size: samples a penalty is taken at. */
  batchSize: number;
  /** Width of D's input row (image ‖ label). */
  row: number;
  /** Pixels per image: the columns of a row the gradient is taken for. */
  pixels: number;
  /** λ of WGAN-GP (0: none). */
  gradientPenalty: number;
  /** γ of R1 (0: none). */
  r1: number;
  /** R1 every `r1Every` D updates, weighted by it. */
  r1Every: number;
  /** The step's random numbers (WGAN-GP's α). */
  random: Random;
}

/**
 * Whether the direct step can compute penalties for a discriminator of these ops: only
 * piecewise-linear activations (Dense, ReLU, LeakyReLU), no BatchNorm or Tanh.
 *
 * @param ops D's plan.
 * @returns Whether {@linkcode DirectPenalties} applies.
 *
 * @example
 * ```ts
 * import { penaltiesApply } from "./penalties.ts";
 *
 * penaltiesApply([{ kind: "tanh", units: 1, alpha: 0 }]); // false
 * ```
 */
export function penaltiesApply(ops: Op[]): boolean {
  return ops.every((op) => op.kind === "dense" || op.kind === "relu" || op.kind === "leaky");
}

/** A discriminator's gradient penalties on the heap, added into its gradient buffers. */
export class DirectPenalties {
  readonly #kernels: HeapKernels;
  readonly #D: Network;
  readonly #options: PenaltyOptions;
  /** Each Dense op's first-order signal `v` (B × units); 0 for other ops. */
  readonly #signals: number[];
  /** Two buffers of `B × widest` that take turns. */
  readonly #u: number;
  readonly #w: number;
  /** A Dense kernel's gradient before it is added in. */
  readonly #dW: number;
  /** WGAN-GP's interpolates, `B × row`. */
  readonly #interpolates: number;

  /**
   * @param kernels Our kernels on the heap.
   * @param D The discriminator's network (its gradient buffers get the penalties' gradients).
   * @param options The penalties and the sizes.
   */
  constructor(kernels: HeapKernels, D: Network, options: PenaltyOptions) {
    this.#kernels = kernels;
    this.#D = D;
    this.#options = options;
    const B = options.batchSize;
    this.#signals = D.ops.map((op) => (op.kind === "dense" ? kernels.alloc(B * op.units) : 0));
    const widest = Math.max(options.row, ...D.ops.map((op) => op.units));
    this.#u = kernels.alloc(B * widest);
    this.#w = kernels.alloc(B * widest);
    const kernelSizes = D.ops.map((op) => (op.kind === "dense" ? op.inputs * op.units : 0));
    this.#dW = kernels.alloc(Math.max(...kernelSizes));
    this.#interpolates = options.gradientPenalty > 0 ? kernels.alloc(B * options.row) : 0;
  }

  /**
   * This D update's interpolation weights, drawn first in the update as the autograd step draws
   * them; undefined without WGAN-GP.
   */
  draw(): Float32Array | undefined {
    const { gradientPenalty, random, batchSize } = this.#options;
    return gradientPenalty > 0 ? interpolationWeights(random, batchSize) : undefined;
  }

  /**
   * Adds the penalties due in D update number `update` (from 0) into D's gradient buffers, after
   * its loss's backward pass: R1 at the real rows of D's last forward pass (the first B of the
   * 2B at `images`, whose activations are still there), then WGAN-GP at `αx + (1 - α)x̃`.
   *
   * @param lossD D's loss without penalties.
   * @param update D updates before this one.
   * @param alpha This update's {@linkcode draw}.
   * @param images Byte offset of D's input: B real rows, then B generated ones.
   * @returns D's loss with the penalties, as the autograd step reports it.
   */
  add(lossD: number, update: number, alpha: Float32Array | undefined, images: number): number {
    const { r1, r1Every, gradientPenalty, batchSize: B } = this.#options;
    let r1Term = 0;
    if (r1 > 0 && update % r1Every === 0) {
      // Lazy R1: every r1Every-th update, weighted by r1Every.
      const weight = f32((r1 / 2) * r1Every);
      r1Term = f32(weight * this.#penalty((s) => [s, 1], weight));
    }
    if (alpha) {
      this.#interpolate(alpha, images);
      this.#D.forward(this.#interpolates, B);
      // (‖g‖ - 1)² with ‖g‖ = √max(s, TINY): its slope for s is (‖g‖ - 1)/‖g‖, 0 below TINY.
      const gp = this.#penalty((s) => {
        const norm = f32(Math.sqrt(Math.max(s, TINY)));
        return [f32(f32(norm - 1) ** 2), s >= TINY ? (norm - 1) / norm : 0];
      }, f32(gradientPenalty));
      lossD = f32(lossD + f32(f32(gradientPenalty) * gp));
    }
    return r1Term ? f32(lossD + r1Term) : lossD;
  }

  /** `x̂ = αx + (1 - α)x̃` per sample, labels copied (real and generated rows share them). */
  #interpolate(alpha: Float32Array, images: number): void {
    const { batchSize: B, row, pixels } = this.#options;
    const h = new Float32Array(this.#kernels.memory.buffer);
    const real = images / 4, fake = real + B * row, out = this.#interpolates / 4;
    for (let i = 0; i < B; i++) {
      const a = alpha[i], b = f32(1 - a);
      for (let j = 0; j < row; j++) {
        const at = i * row + j;
        h[out + at] = j < pixels
          ? f32(f32(a * h[real + at]) + f32(b * h[fake + at]))
          : h[real + at];
      }
    }
  }

  /**
   * One penalty `weight · mean(φ(sᵢ))` of each sample's squared gradient norm `sᵢ` at the first B
   * rows of D's last forward pass; adds its gradient into D's buffers.
   *
   * @param term `φ(s)` and `dφ/ds`.
   * @param weight The penalty's weight in D's loss.
   * @returns `mean(φ(sᵢ))`, unweighted.
   */
  #penalty(term: (s: number) => [number, number], weight: number): number {
    const { batchSize: B, row, pixels } = this.#options;
    const g = this.#inputGradient();
    const h = new Float32Array(this.#kernels.memory.buffer);
    let sum = 0;
    for (let i = 0; i < B; i++) {
      const at = g / 4 + i * row;
      let s = 0;
      for (let j = 0; j < pixels; j++) s = f32(s + f32(h[at + j] * h[at + j]));
      const [value, slope] = term(s);
      sum += value;
      // d(weight · mean φ)/dg = weight/B · φ'(s) · 2g; the labels' columns get none.
      const scale = f32((weight / B) * slope * 2);
      for (let j = 0; j < pixels; j++) h[at + j] = f32(scale * h[at + j]);
      h.fill(0, at + pixels, at + row);
    }
    this.#secondOrder(g);
    return f32(sum / B);
  }

  /**
   * `out = d ⊙ σ'` with the mask `σ'` of op `i`'s forward pass on its first `rows` rows (its
   * ReLU's or LeakyReLU's gradient; a copy for a linear Dense).
   */
  #mask(i: number, d: number, out: number, rows: number): void {
    const op = this.#D.ops[i];
    const act = op.kind === "dense" ? op.act : op.kind;
    const alpha = op.kind === "batchNorm" ? 0 : op.alpha;
    const y = this.#D.outputs[i], n = rows * op.units;
    if (act === "relu") splitRange(this.#kernels, "relu_grad", [y, d, out], n);
    else if (act === "leaky") {
      splitRange(this.#kernels, "leaky_relu_grad", [y, d, out], n, [alpha]);
    } else if (out !== d) {
      new Float32Array(this.#kernels.memory.buffer).copyWithin(out / 4, d / 4, d / 4 + n);
    }
  }

  /**
   * The first-order pass: `g = ∇ₓD(x)` for the first B rows of D's last forward pass, keeping each
   * Dense op's signal `v`. Returns the buffer holding g (`B × row`).
   */
  #inputGradient(): number {
    const B = this.#options.batchSize, ops = this.#D.ops;
    let u = this.#u, free = this.#w;
    // (B, 1): dD/dD = 1
    new Float32Array(this.#kernels.memory.buffer, u, B).fill(1);
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
      if (op.kind !== "dense") {
        this.#mask(i, u, u, B);
        continue;
      }
      const v = this.#signals[i];
      this.#mask(i, u, v, B);
      // u = v · Wᵀ: (B, units) -> (B, inputs)
      splitGemm(this.#kernels, {
        a: v,
        b: this.#D.offsetOf(op.kernel),
        c: free,
        m: B,
        n: op.inputs,
        k: op.units,
        transA: false,
        transB: true,
      });
      [u, free] = [free, u];
    }
    return u;
  }

  /**
   * The second-order pass from `G` (the penalty's gradient for g, at `g`, `B × row`): each Dense
   * op's kernel gets `Gᵀ·v` added to its gradient, and G goes on as `(G·W) ⊙ σ'`.
   */
  #secondOrder(G: number): void {
    const B = this.#options.batchSize, ops = this.#D.ops;
    let d = G, free = G === this.#u ? this.#w : this.#u;
    const last = ops.findLastIndex((op) => op.kind === "dense");
    for (let i = 0; i <= last; i++) {
      const op = ops[i];
      if (op.kind !== "dense") {
        this.#mask(i, d, d, B);
        continue;
      }
      // dW += Gᵀ · v: (inputs, B) · (B, units)
      splitGemm(this.#kernels, {
        a: d,
        b: this.#signals[i],
        c: this.#dW,
        m: op.inputs,
        n: op.units,
        k: B,
        transA: true,
        transB: false,
      });
      const grad = this.#D.gradientOf(op.kernel);
      splitRange(this.#kernels, "add", [grad, this.#dW, grad], op.inputs * op.units);
      if (i === last) break;
      // G · W: (B, inputs) -> (B, units), then the mask
      splitGemm(this.#kernels, {
        a: d,
        b: this.#D.offsetOf(op.kernel),
        c: free,
        m: B,
        n: op.units,
        k: op.inputs,
        transA: false,
        transB: false,
      });
      [d, free] = [free, d];
      this.#mask(i, d, d, B);
    }
  }

  /** Frees the buffers. */
  free(): void {
    const all = [...this.#signals, this.#u, this.#w, this.#dW, this.#interpolates];
    for (const offset of all) if (offset) this.#kernels.free(offset);
  }
}
