/**
 * Seeds of the models' initialisers, drawn from a model's seed.
 *
 * @module
 */

import { Random } from "../random.ts";

/** A source of per-layer seeds (undefined: unseeded). */
export interface SeedStream {
  next(): number | undefined;
}

/** Draws initializer seeds from the model's seed, or leaves them unseeded. */
export class SeedSource implements SeedStream {
  #random: Random | undefined;
  constructor(seed: number | undefined, salt: number) {
    this.#random = seed === undefined ? undefined : new Random((seed ^ salt) >>> 0);
  }
  next(): number | undefined {
    return this.#random?.uint32();
  }
}
