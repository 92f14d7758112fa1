/**
 * Where training stands after a step ({@linkcode TrainState}), and its check before a resume.
 *
 * @module
 */

import type { RandomState } from "../random.ts";
import type { GanStepState } from "./step.ts";

/**
 * Where training stands after a step: with the models' weights, everything `trainGAN`
 * needs to continue exactly. Plain data (numbers and typed arrays), copied.
 *
 * @example Stop after 5 steps, then go on from there
 * ```ts
 * import { createDiscriminator, createGenerator, loadMnist, trainGAN, type TrainState } from "@gan/mnist";
 *
 * const data = await loadMnist({ limit: 640 });
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * const stop = new AbortController();
 * let state: TrainState | undefined;
 * await trainGAN(generator, discriminator, data, {
 *   epochs: 1,
 *   signal: stop.signal,
 *   onStep: (info) => void (info.globalStep === 5 && stop.abort()),
 *   onCheckpoint: (s) => void (state = s), // with the models as they are now
 * });
 * await trainGAN(generator, discriminator, data, { epochs: 1, resume: state });
 * ```
 */
export interface TrainState {
  /** The epoch in progress, or the one just finished, from 1. */
  epoch: number;
  /** Steps of it done; `stepsPerEpoch` once it is finished, its `onEpoch` included. */
  step: number;
  /** Steps in each epoch. */
  stepsPerEpoch: number;
  /** Steps since the start of the run. */
  globalStep: number;
  /** The random generator's state: the data order and the noise come from it. */
  random: RandomState;
  /** The epoch's data order: an index into the data for each position. */
  order: Uint32Array;
  /** The epoch's sums of loss_d, loss_g, D(x) and D(G(z)) so far (its means' numerators). */
  sums: [number, number, number, number];
  /** Both optimisers' state. */
  optimizers: GanStepState;
}

/** Checks a state to resume from against the data and the epoch's length. */
export function checkTrainState(state: TrainState, count: number, stepsPerEpoch: number): void {
  const fail = (fault: string): never => {
    throw new RangeError(`trainGAN: cannot resume: ${fault}`);
  };
  if (state.stepsPerEpoch !== stepsPerEpoch) {
    fail(
      `the state has ${state.stepsPerEpoch} steps an epoch, this data and batch ${stepsPerEpoch}`,
    );
  }
  if (!Number.isInteger(state.epoch) || state.epoch < 1) fail(`epoch ${state.epoch}`);
  if (!Number.isInteger(state.step) || state.step < 0 || state.step > stepsPerEpoch) {
    fail(`step ${state.step} of an epoch of ${stepsPerEpoch}`);
  }
  if (state.globalStep !== (state.epoch - 1) * stepsPerEpoch + state.step) {
    fail(`global step ${state.globalStep} is not step ${state.step} of epoch ${state.epoch}`);
  }
  if (state.order.length !== count) {
    fail(`the data order has ${state.order.length} positions, the data ${count} images`);
  }
  const seen = new Uint8Array(count);
  for (const index of state.order) {
    if (index >= count || seen[index]) fail("the data order is not a permutation of the data");
    seen[index] = 1;
  }
  const word = (x: number) => Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 32;
  if (state.random.length !== 4 || !state.random.every(word)) {
    fail("the random state is not four 32-bit integers");
  }
  if (state.sums.length !== 4 || !state.sums.every(Number.isFinite)) {
    fail("the epoch's sums are not four finite numbers");
  }
}
