/**
 * Adam for GAN training: tf.js's own `AdamOptimizer` arithmetic, run as one fused kernel per
 * variable where our WASM kernels are active, and as tf.js's operations everywhere else (the same
 * operations `tf.train.adam` runs, in the same order). Both give the same numbers: the fused kernel
 * follows tf.js's operations one for one, in float32. The whole state (moments, β powers, steps)
 * is ours, so that a checkpoint can save it and restore it exactly.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE, type AdamUpdateAttrs } from "../backend/kernels/adam.ts";

/** Adam's settings. */
export interface AdamSettings {
  /** Step size. */
  learningRate: number;
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Added to the denominator. */
  epsilon: number;
}

const f32 = Math.fround;

/**
 * The scalar settings of one Adam update, in float32 as tf.js's optimiser holds them.
 *
 * @param s The optimiser's settings.
 * @param accBeta1 β1 to the power of the step (float32, as tf.js keeps it).
 * @param accBeta2 β2 likewise.
 * @returns The `AdamUpdate` kernel's attributes.
 *
 * @example
 * ```ts ignore
 * const attrs = adamAttrs({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 }, 0.5, 0.999);
 * ```
 */
export function adamAttrs(s: AdamSettings, accBeta1: number, accBeta2: number): AdamUpdateAttrs {
  return {
    learningRate: f32(s.learningRate),
    beta1: f32(s.beta1),
    beta2: f32(s.beta2),
    oneMinusBeta1: f32(1 - s.beta1),
    oneMinusBeta2: f32(1 - s.beta2),
    oneMinusAccBeta1: f32(1 - accBeta1),
    oneMinusAccBeta2: f32(1 - accBeta2),
    epsilon: f32(s.epsilon),
  };
}

/**
 * {@linkcode adamAttrs} in the order of the `adam` kernel's scalar arguments: lr, β1, β2, 1-β1,
 * 1-β2, 1-β1ᵗ, 1-β2ᵗ, ε.
 *
 * @param s The optimiser's settings.
 * @param accBeta1 β1 to the power of the step.
 * @param accBeta2 β2 likewise.
 * @returns The eight scalars.
 */
export function adamScalars(s: AdamSettings, accBeta1: number, accBeta2: number): number[] {
  const a = adamAttrs(s, accBeta1, accBeta2);
  return [
    a.learningRate,
    a.beta1,
    a.beta2,
    a.oneMinusBeta1,
    a.oneMinusBeta2,
    a.oneMinusAccBeta1,
    a.oneMinusAccBeta2,
    a.epsilon,
  ];
}

/**
 * The complete state of an Adam optimiser over a list of variables: what a checkpoint saves.
 *
 * @example The state of an optimiser that has not taken a step
 * ```ts
 * import type { AdamState } from "@gan/mnist";
 *
 * const state: AdamState = {
 *   steps: 0, accBeta1: 0.5, accBeta2: Math.fround(0.999),
 *   m: [new Float32Array(3)], v: [new Float32Array(3)],
 * };
 * console.log(state.m.length);
 * ```
 */
export interface AdamState {
  /** Updates taken. */
  steps: number;
  /** β1 to the power of the next update's step (float32, as tf.js keeps it). */
  accBeta1: number;
  /** β2 likewise. */
  accBeta2: number;
  /** First moments, one per variable, in the variables' order. */
  m: Float32Array[];
  /** Second moments likewise. */
  v: Float32Array[];
  /**
   * Per variable, β1 and β2 to the power of its own next update, where some variable has missed
   * updates (a block of progressive growing, unused before its phase): its moments and bias
   * correction start at its first gradient. Absent when every variable took every update.
   */
  variableAcc?: { beta1: number[]; beta2: number[] };
}

/**
 * Checks that a state fits variables of the given sizes.
 *
 * @param state The state.
 * @param sizes Values per variable.
 * @param where Whose state it is, for the message.
 * @throws {RangeError} Naming the first thing that does not fit.
 */
export function checkAdamState(state: AdamState, sizes: number[], where: string): void {
  if (state.m.length !== sizes.length || state.v.length !== sizes.length) {
    throw new RangeError(
      `${where}: the optimiser state holds moments of ${state.m.length} variables, the model has ${sizes.length}`,
    );
  }
  sizes.forEach((size, i) => {
    if (state.m[i].length !== size || state.v[i].length !== size) {
      throw new RangeError(
        `${where}: the optimiser state of variable ${i} holds ${
          state.m[i].length
        } values, the variable ${size}`,
      );
    }
  });
  for (const x of [state.accBeta1, state.accBeta2]) {
    if (!(x >= 0 && x < 1)) {
      throw new RangeError(`${where}: a β power of the optimiser state is ${x}, not in [0, 1)`);
    }
  }
  const acc = state.variableAcc;
  if (
    acc && (acc.beta1.length !== sizes.length || acc.beta2.length !== sizes.length ||
      ![...acc.beta1, ...acc.beta2].every((x) => x >= 0 && x < 1))
  ) {
    throw new RangeError(
      `${where}: the optimiser state's per-variable β powers are not ${sizes.length} numbers in [0, 1)`,
    );
  }
  if (!Number.isInteger(state.steps) || state.steps < 0) {
    throw new RangeError(`${where}: the optimiser state's step count is ${state.steps}`);
  }
}

/** Adam over a fixed list of variables. */
export class TensorAdam {
  readonly #settings: AdamSettings;
  readonly #variables: tf.Variable[];
  #moments: { m: tf.Variable; v: tf.Variable }[] | undefined;
  #steps = 0;
  // β^t, kept in float32 exactly as tf.js keeps it (a float32 variable multiplied each step).
  #accBeta1: number;
  #accBeta2: number;
  // Each variable's own β powers: the same as the above unless it has missed an update.
  #acc1: number[];
  #acc2: number[];

  /**
   * @param variables The variables this optimiser updates.
   * @param settings Learning rate, betas, epsilon.
   */
  constructor(variables: tf.Variable[], settings: AdamSettings) {
    this.#variables = variables;
    this.#settings = settings;
    this.#accBeta1 = f32(settings.beta1);
    this.#accBeta2 = f32(settings.beta2);
    this.#acc1 = variables.map(() => this.#accBeta1);
    this.#acc2 = variables.map(() => this.#accBeta2);
  }

  /** The moments, made (zero) on first use; variables outlive tidy. */
  #ensureMoments(): { m: tf.Variable; v: tf.Variable }[] {
    this.#moments ??= tf.tidy(() =>
      this.#variables.map((x) => ({
        m: tf.zerosLike(x).variable(false),
        v: tf.zerosLike(x).variable(false),
      }))
    );
    return this.#moments;
  }

  /**
   * Applies one update from the gradients of `variableGrads`, and disposes them.
   *
   * @param grads Gradients by variable name.
   */
  apply(grads: tf.NamedTensorMap): void {
    const moments = this.#ensureMoments();
    const s = this.#settings;
    // Our fused kernel where it is registered for the backend in use, else tf.js's operations.
    const fused = tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
    const b1 = f32(s.beta1), b2 = f32(s.beta2);
    tf.tidy(() => {
      this.#variables.forEach((x, i) => {
        const g = grads[x.name];
        if (g === undefined) return;
        const attrs = adamAttrs(s, this.#acc1[i], this.#acc2[i]);
        this.#acc1[i] = f32(this.#acc1[i] * b1);
        this.#acc2[i] = f32(this.#acc2[i] * b2);
        const { m, v } = moments[i];
        if (fused) {
          const [x2, m2, v2] = tf.engine().runKernel(
            ADAM_UPDATE,
            { x, g, m, v },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
          x.assign(x2);
          m.assign(m2);
          v.assign(v2);
          return;
        }
        // tf.train.adam's applyGradients, operation for operation (tfjs-core 4.22).
        const m2 = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
        const v2 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
        const mHat = tf.div(m2, attrs.oneMinusAccBeta1);
        const vHat = tf.div(v2, attrs.oneMinusAccBeta2);
        m.assign(m2);
        v.assign(v2);
        x.assign(
          tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), s.epsilon)), -s.learningRate), x),
        );
      });
    });
    tf.dispose(Object.values(grads));
    this.#accBeta1 = f32(this.#accBeta1 * f32(s.beta1));
    this.#accBeta2 = f32(this.#accBeta2 * f32(s.beta2));
    this.#steps++;
  }

  /**
   * The optimiser's whole state, copied.
   *
   * @returns Moments (zero before the first update), β powers and steps.
   */
  exportState(): AdamState {
    const moments = this.#ensureMoments();
    const behind = this.#acc1.some((a, i) =>
      a !== this.#accBeta1 || this.#acc2[i] !== this.#accBeta2
    );
    return {
      steps: this.#steps,
      accBeta1: this.#accBeta1,
      accBeta2: this.#accBeta2,
      m: moments.map(({ m }) => Float32Array.from(m.dataSync() as Float32Array)),
      v: moments.map(({ v }) => Float32Array.from(v.dataSync() as Float32Array)),
      ...(behind ? { variableAcc: { beta1: [...this.#acc1], beta2: [...this.#acc2] } } : {}),
    };
  }

  /**
   * Continues from a state that {@linkcode TensorAdam.exportState} (or the direct step's)
   * returned for the same variables.
   *
   * @param state The state.
   * @throws {RangeError} If it does not fit the variables.
   */
  importState(state: AdamState): void {
    checkAdamState(state, this.#variables.map((x) => x.size), "TensorAdam");
    const moments = this.#ensureMoments();
    tf.tidy(() => {
      moments.forEach(({ m, v }, i) => {
        m.assign(tf.tensor(state.m[i], m.shape, "float32"));
        v.assign(tf.tensor(state.v[i], v.shape, "float32"));
      });
    });
    this.#accBeta1 = state.accBeta1;
    this.#accBeta2 = state.accBeta2;
    this.#acc1 = state.variableAcc?.beta1.slice() ?? this.#variables.map(() => state.accBeta1);
    this.#acc2 = state.variableAcc?.beta2.slice() ?? this.#variables.map(() => state.accBeta2);
    this.#steps = state.steps;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const { m, v } of this.#moments ?? []) tf.dispose([m, v]);
  }
}
