/**
 * The tf.js types in the library's public API, under names of their own so that the docs can
 * link them. They are the very types of `@tensorflow/tfjs-core` and `-layers` 4.22.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** A tf.js layers model (`tf.LayersModel`): what `createGenerator` returns and `loadModel` loads. */
export type LayersModel = tfl.LayersModel;

/** A tf.js tensor. */
export type Tensor = tf.Tensor;

/**
 * A tf.js variable (`tf.Variable`): a tensor that training updates in place, such as a weight.
 *
 * @example The kernels spectral normalisation divides
 * ```ts
 * import { createDiscriminator, spectralKernels, type Variable } from "@gan/mnist";
 *
 * const kernels: Variable[] = spectralKernels(createDiscriminator({ preset: "dcgan" }));
 * console.log(kernels.map((k) => k.name));
 * ```
 */
export type Variable = tf.Variable;

/** A tf.js tensor of rank 0: one number, such as a loss. */
export type Scalar = tf.Scalar;

/** A tf.js tensor of rank 4: a batch of images, `(B, H, W, C)`. */
export type Tensor4D = tf.Tensor4D;
