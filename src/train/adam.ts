/**
 * Adam for GAN training: tf.js's own `AdamOptimizer` arithmetic, run as one fused kernel per
 * variable where our WASM kernels are active, and as tf.js's optimiser everywhere else. Both give
 * the same numbers: the fused kernel follows tf.js's operations one for one, in float32.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { GAN_ADAM, type GanAdamAttrs } from "../backend/kernels/adam.ts";

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
 * @returns The `GanAdam` kernel's attributes.
 *
 * @example
 * ```ts ignore
 * const attrs = adamAttrs({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 }, 0.5, 0.999);
 * ```
 */
export function adamAttrs(s: AdamSettings, accBeta1: number, accBeta2: number): GanAdamAttrs {
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

/** Adam over a fixed list of variables. */
export class GanAdamOptimizer {
  readonly #settings: AdamSettings;
  readonly #variables: tf.Variable[];
  #fallback: tf.AdamOptimizer | undefined;
  #moments: { m: tf.Variable; v: tf.Variable }[] | undefined;
  // β^t, kept in float32 exactly as tf.js keeps it (a float32 variable multiplied each step).
  #accBeta1: number;
  #accBeta2: number;

  /**
   * @param variables The variables this optimiser updates.
   * @param settings Learning rate, betas, epsilon.
   */
  constructor(variables: tf.Variable[], settings: AdamSettings) {
    this.#variables = variables;
    this.#settings = settings;
    this.#accBeta1 = f32(settings.beta1);
    this.#accBeta2 = f32(settings.beta2);
  }

  /**
   * Applies one update from the gradients of `variableGrads`, and disposes them.
   *
   * @param grads Gradients by variable name.
   */
  apply(grads: tf.NamedTensorMap): void {
    if (this.#fallback === undefined && this.#moments === undefined) {
      // Decided on the first step, from the kernels registered for the backend in use then.
      if (tf.getKernel(GAN_ADAM, tf.getBackend())) {
        // tidy frees the zero tensors the variables are copied from; variables outlive it.
        this.#moments = tf.tidy(() =>
          this.#variables.map((x) => ({
            m: tf.zerosLike(x).variable(false),
            v: tf.zerosLike(x).variable(false),
          }))
        );
      } else {
        const s = this.#settings;
        this.#fallback = tf.train.adam(s.learningRate, s.beta1, s.beta2, s.epsilon);
      }
    }
    if (this.#fallback) {
      this.#fallback.applyGradients(
        Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
      );
      tf.dispose(Object.values(grads));
      return;
    }
    const s = this.#settings;
    const attrs = adamAttrs(s, this.#accBeta1, this.#accBeta2);
    tf.tidy(() => {
      this.#variables.forEach((x, i) => {
        const g = grads[x.name];
        if (g === undefined) return;
        const { m, v } = this.#moments![i];
        const [x2, m2, v2] = tf.engine().runKernel(
          GAN_ADAM,
          { x, g, m, v },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        x.assign(x2);
        m.assign(m2);
        v.assign(v2);
      });
    });
    tf.dispose(Object.values(grads));
    this.#accBeta1 = f32(this.#accBeta1 * f32(s.beta1));
    this.#accBeta2 = f32(this.#accBeta2 * f32(s.beta2));
  }

  /** Frees the moments. */
  dispose(): void {
    this.#fallback?.dispose();
    for (const { m, v } of this.#moments ?? []) tf.dispose([m, v]);
  }
}
