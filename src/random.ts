/**
 * A small seeded random number generator (sfc32) whose whole state is four integers, so that a
 * run can be reproduced from its seed and, later, resumed from a saved state.
 *
 * Everything random in training (data order, noise vectors, initializer seeds) comes from here,
 * computed in plain JavaScript, so it is the same on every backend.
 *
 * @module
 */

/** The complete state of a {@linkcode Random}: four unsigned 32-bit integers. */
export type RandomState = [number, number, number, number];

/**
 * A seeded pseudo-random generator (Chris Doty-Humphrey's sfc32, period about 2^128).
 *
 * @example Reproducible numbers from a seed
 * ```ts
 * import { Random } from "@gan/mnist";
 *
 * const a = new Random(42), b = new Random(42);
 * console.log(a.uniform() === b.uniform()); // true
 * ```
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * Starts a generator from a seed.
   *
   * @param seed Any integer; equal seeds give equal sequences.
   */
  constructor(seed: number) {
    // splitmix32 spreads nearby seeds (1, 2, 3, …) over unrelated states.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /**
   * The generator's state; `Random.fromState(r.state)` continues exactly where `r` is.
   *
   * @returns A copy of the four state words.
   */
  get state(): RandomState {
    return [this.#a, this.#b, this.#c, this.#d];
  }

  /**
   * A generator that continues from a saved state.
   *
   * @param state Four unsigned 32-bit integers from {@linkcode Random.state}.
   * @returns A new generator.
   */
  static fromState(state: RandomState): Random {
    const r = new Random(0);
    [r.#a, r.#b, r.#c, r.#d] = state.map((x) => x >>> 0);
    return r;
  }

  /**
   * The next unsigned 32-bit integer.
   *
   * @returns An integer in [0, 2^32).
   */
  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /**
   * A uniform number in [0, 1) with 32 random bits.
   *
   * @returns A number in [0, 1).
   */
  uniform(): number {
    return this.uint32() / 4294967296;
  }

  /**
   * An integer in [0, n).
   *
   * @param n The exclusive upper bound, at most 2^32.
   * @returns An integer in [0, n).
   */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * Fills `out` with independent standard normal numbers (Box–Muller, both values used).
   *
   * @param out The array to fill.
   * @returns `out`.
   */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      // 1 - uniform() lies in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
      const angle = 2 * Math.PI * this.uniform();
      out[i] = radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
    }
    return out;
  }

  /**
   * Shuffles `items` in place (Fisher–Yates).
   *
   * @param items The array to shuffle.
   * @returns `items`.
   */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}
