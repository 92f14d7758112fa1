/**
 * Spectral normalisation of the discriminator (Miyato et al. 2018), as a projection: after every
 * discriminator update, each normalised kernel is divided by its largest singular value σ, so that
 * the layer's linear map stretches no input by more than 1 and the discriminator stays smooth.
 * σ comes from power iteration with a vector `u` kept from step to step (one iteration a step, as
 * in the paper; 50 when the vectors are made), which checkpoints save.
 *
 * Which kernels: every Dense or convolution kernel of the discriminator that is not followed by
 * BatchNormalization before the next layer with weights (BatchNorm undoes any scale of the kernel
 * before it). In `dcgan`'s discriminator: the first convolution and the final Dense layer.
 *
 * The paper divides by σ inside the forward pass and differentiates through it; here the
 * weights themselves are divided after the update, which keeps the forward pass and its gradients
 * unchanged (and the saved discriminator a plain model).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel, Variable } from "../tf_types.ts";

/** Power iterations when the vectors are made (from a constant vector). */
const FIRST_ITERATIONS = 50;

/** Keeps divisions by a vector's length finite. */
const EPSILON = 1e-12;

/**
 * The discriminator's kernels that spectral normalisation divides: those of Dense and
 * convolution layers not followed by BatchNormalization before the next layer with weights.
 *
 * @param model The discriminator.
 * @returns The kernels' variables, in the model's layer order.
 *
 * @example
 * ```ts
 * import { createDiscriminator, spectralKernels } from "@gan/mnist";
 *
 * const discriminator = createDiscriminator({ preset: "dcgan" });
 * console.log(spectralKernels(discriminator).map((k) => k.shape)); // [[4, 4, 1, 64], [6272, 1]]
 * ```
 */
export function spectralKernels(model: LayersModel): Variable[] {
  const layers = model.layers;
  const kernelOf = (i: number) =>
    layers[i].trainableWeights.find((w) => /(^|\/)kernel(_\d+)?$/.test(w.originalName));
  const kernels: tf.Variable[] = [];
  layers.forEach((_, i) => {
    const kernel = kernelOf(i);
    if (!kernel) return;
    for (let j = i + 1; j < layers.length; j++) {
      if (layers[j].getClassName() === "BatchNormalization") return;
      if (layers[j].trainableWeights.length > 0) break;
    }
    kernels.push(kernel.read() as tf.Variable);
  });
  return kernels;
}

/** A kernel seen as the `(fanIn, units)` matrix it multiplies by. */
function asMatrix(kernel: tf.Tensor): tf.Tensor2D {
  return tf.reshape(kernel, [-1, kernel.shape[kernel.shape.length - 1]]) as tf.Tensor2D;
}

/**
 * Refuses a step's state that holds spectral normalisation's vectors, for a step without it.
 *
 * @param state The state to import.
 * @throws {RangeError} If it holds them.
 */
export function refuseSpectralState(state: { spectral?: Float32Array[] }): void {
  if (state.spectral) {
    throw new RangeError(
      "GanStep: the state holds spectral normalisation's vectors; this step does not normalise",
    );
  }
}

/** One power iteration on a kernel seen as a `(fanIn, units)` matrix W; returns σ ≈ ‖W u‖. */
function powerIteration(w: tf.Tensor2D, u: tf.Variable): tf.Scalar {
  return tf.tidy(() => {
    const normalise = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x), EPSILON));
    // (fanIn, units)·(units, 1) -> (fanIn, 1)
    const v = normalise(tf.matMul(w, u));
    // (units, fanIn)·(fanIn, 1) -> (units, 1)
    const next = normalise(tf.matMul(w, v, true, false));
    u.assign(next);
    return tf.norm(tf.matMul(w, next)) as tf.Scalar;
  });
}

/**
 * Spectral normalisation of a discriminator's kernels (see the module's description).
 *
 * @example Normalise a DCGAN discriminator's kernels once
 * ```ts
 * import { createDiscriminator, SpectralNorm } from "@gan/mnist";
 *
 * const discriminator = createDiscriminator({ preset: "dcgan", seed: 1 });
 * const norm = new SpectralNorm(discriminator);
 * console.log(norm.kernels.map((k) => k.shape)); // [[4, 4, 1, 64], [6272, 1]]
 * norm.apply();
 * norm.dispose();
 * ```
 */
export class SpectralNorm {
  /** The kernels it divides. */
  readonly kernels: Variable[];
  /** Per kernel: the estimate of its top right singular vector, `(units, 1)`. */
  #u: tf.Variable[];

  /**
   * Makes the vectors: 50 power iterations from a constant vector on the kernels as they are.
   *
   * @param discriminator The discriminator whose kernels to normalise.
   * @throws {RangeError} If it has no kernel to normalise.
   */
  constructor(discriminator: LayersModel) {
    this.kernels = spectralKernels(discriminator);
    if (this.kernels.length === 0) {
      throw new RangeError("spectral normalisation: the discriminator has no kernel to normalise");
    }
    this.#u = this.kernels.map((kernel) => {
      const units = kernel.shape[kernel.shape.length - 1];
      return tf.tidy(() => tf.variable(tf.fill([units, 1], 1 / Math.sqrt(units)), false));
    });
    this.kernels.forEach((kernel, i) => {
      tf.tidy(() => {
        const w = asMatrix(kernel);
        for (let k = 0; k < FIRST_ITERATIONS; k++) powerIteration(w, this.#u[i]);
      });
    });
  }

  /** One power iteration per kernel, then each kernel divided by its σ. */
  apply(): void {
    this.kernels.forEach((kernel, i) => {
      tf.tidy(() => {
        const sigma = powerIteration(asMatrix(kernel), this.#u[i]);
        kernel.assign(tf.div(kernel, sigma));
      });
    });
  }

  /**
   * The largest singular value of each kernel as the vectors estimate it now (1 just after
   * `apply`, up to the estimate's error).
   *
   * @returns One number per kernel.
   */
  sigmas(): number[] {
    return this.kernels.map((kernel, i) =>
      tf.tidy(() => tf.norm(tf.matMul(asMatrix(kernel), this.#u[i])).dataSync()[0])
    );
  }

  /**
   * Copies of the vectors: what a checkpoint saves.
   *
   * @returns One array per kernel.
   */
  exportState(): Float32Array[] {
    return this.#u.map((u) => Float32Array.from(u.dataSync() as Float32Array));
  }

  /**
   * Goes on from vectors that `exportState` returned.
   *
   * @param state One array per kernel.
   * @throws {RangeError} If they do not fit the kernels.
   */
  importState(state: Float32Array[]): void {
    if (state.length !== this.#u.length) {
      throw new RangeError(
        `spectral normalisation: the state has ${state.length} vectors, the discriminator ${this.#u.length} normalised kernels`,
      );
    }
    state.forEach((values, i) => {
      const units = this.#u[i].shape[0];
      if (values.length !== units || !values.every(Number.isFinite)) {
        throw new RangeError(
          `spectral normalisation: vector ${i} has ${values.length} values, not ${units} finite ones`,
        );
      }
    });
    state.forEach((values, i) =>
      tf.tidy(() => this.#u[i].assign(tf.tensor2d(values, [values.length, 1])))
    );
  }

  /** Frees the vectors. */
  dispose(): void {
    tf.dispose(this.#u);
  }
}
