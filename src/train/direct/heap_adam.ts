/**
 * Adam over one direct-step network's weights on tf.js's WASM heap, updating them in place.
 *
 * @module
 */

import type { HeapKernels } from "../../backend/kernels/module.ts";
import { splitRange } from "../../backend/kernels/pool.ts";
import type { LayersModel } from "../../tf_types.ts";
import { adamScalars, type AdamSettings, type AdamState, checkAdamState } from "../adam.ts";
import { f32, type Network, writable } from "./network.ts";

/** Adam over one network's weights in the WASM heap, updating them in place (the direct step's; `TensorAdam` (src/train/adam.ts) updates tf.js variables). */
export class HeapAdam {
  readonly #kernels: HeapKernels;
  readonly #settings: AdamSettings;
  readonly #moments: { m: number; v: number }[];
  readonly #network: Network;
  /** The model's trainable weight behind each of the network's weights (states are in its order). */
  readonly #order: number[];
  #accBeta1: number;
  #accBeta2: number;
  #steps = 0;

  constructor(
    kernels: HeapKernels,
    network: Network,
    model: LayersModel,
    settings: AdamSettings,
  ) {
    this.#kernels = kernels;
    this.#network = network;
    this.#settings = settings;
    const variables = model.trainableWeights.map((w) => w.read());
    this.#order = network.weights.map(({ weight }) => variables.indexOf(weight.read()));
    this.#moments = network.weights.map(({ size }) => ({
      m: kernels.alloc(size),
      v: kernels.alloc(size),
    }));
    this.#accBeta1 = f32(settings.beta1);
    this.#accBeta2 = f32(settings.beta2);
  }

  /** One update of every weight from the gradients in the network's buffers. */
  apply(): void {
    const scalars = adamScalars(this.#settings, this.#accBeta1, this.#accBeta2);
    this.#network.weights.forEach(({ weight, grad, size }, i) => {
      const x = writable(this.#kernels, weight);
      const { m, v } = this.#moments[i];
      splitRange(this.#kernels, "adam", [x, grad, m, v, x, m, v], size, scalars);
    });
    this.#accBeta1 = f32(this.#accBeta1 * f32(this.#settings.beta1));
    this.#accBeta2 = f32(this.#accBeta2 * f32(this.#settings.beta2));
    this.#steps++;
  }

  /** The moments (copied off the heap), β powers and steps, in the model's weight order. */
  exportState(): AdamState {
    const n = this.#order.length;
    const state: AdamState = {
      steps: this.#steps,
      accBeta1: this.#accBeta1,
      accBeta2: this.#accBeta2,
      m: new Array(n),
      v: new Array(n),
    };
    const heap = this.#kernels.memory.buffer;
    this.#network.weights.forEach(({ size }, i) => {
      const { m, v } = this.#moments[i];
      state.m[this.#order[i]] = new Float32Array(heap, m, size).slice();
      state.v[this.#order[i]] = new Float32Array(heap, v, size).slice();
    });
    return state;
  }

  /** Continues from a state of the same model's weights (from either kind of step). */
  importState(state: AdamState): void {
    const sizes = new Array<number>(this.#order.length);
    this.#network.weights.forEach(({ size }, i) => sizes[this.#order[i]] = size);
    checkAdamState(state, sizes, "GanStep");
    const heap = this.#kernels.memory.buffer;
    this.#network.weights.forEach(({ size }, i) => {
      const { m, v } = this.#moments[i];
      new Float32Array(heap, m, size).set(state.m[this.#order[i]]);
      new Float32Array(heap, v, size).set(state.v[this.#order[i]]);
    });
    this.#accBeta1 = state.accBeta1;
    this.#accBeta2 = state.accBeta2;
    this.#steps = state.steps;
  }

  free(): void {
    for (const { m, v } of this.#moments) this.#kernels.free(m), this.#kernels.free(v);
  }
}
