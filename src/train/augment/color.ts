/**
 * DiffAugment's `color`: per sample, brightness + U(−0.5, 0.5), saturation × U(0, 2) about the
 * pixel's channel mean, contrast × U(0.5, 1.5) about the image's mean, in that order, as the
 * official `rand_brightness`, `rand_color`, `rand_contrast`. On one channel the saturation step
 * is left out: the channel mean is the pixel itself, so it changes nothing (the official code's
 * result too), and its factor is not drawn.
 *
 * Each step is written x + a·(x − mean) with a = factor − 1, so that a sample left alone (a = 0,
 * brightness 0) comes back bit for bit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../../random.ts";
import { chosen } from "./policy.ts";

/** Each sample's colour changes; all zero for a sample left alone. */
export interface ColorJitter {
  /** Added to every pixel: U(−0.5, 0.5). */
  brightness: Float32Array;
  /** Saturation factor minus 1: U(−1, 1) (0 on one channel). */
  saturation: Float32Array;
  /** Contrast factor minus 1: U(−0.5, 0.5). */
  contrast: Float32Array;
}

/**
 * Draws the changes: for each sample, its choice (when p < 1), then, if chosen, the brightness,
 * the saturation factor (more than one channel only) and the contrast factor.
 *
 * @param random The source of the draws.
 * @param shape `[B, H, W, C]`.
 * @param p The probability of changing a sample, in (0, 1].
 * @returns The changes, or undefined where no sample is chosen.
 */
export function drawColorJitter(
  random: Random,
  shape: readonly number[],
  p: number,
): ColorJitter | undefined {
  const [batch, , , channels] = shape;
  const jitter: ColorJitter = {
    brightness: new Float32Array(batch),
    saturation: new Float32Array(batch),
    contrast: new Float32Array(batch),
  };
  let any = false;
  for (let b = 0; b < batch; b++) {
    if (!chosen(random, p)) continue;
    any = true;
    jitter.brightness[b] = random.uniform() - 0.5;
    if (channels > 1) jitter.saturation[b] = random.uniform() * 2 - 1;
    jitter.contrast[b] = random.uniform() - 0.5;
  }
  return any ? jitter : undefined;
}

/**
 * Applies the colour changes, elementwise arithmetic and means only.
 *
 * @param x `(B, H, W, C)`.
 * @param jitter From {@linkcode drawColorJitter}.
 * @returns `(B, H, W, C)`.
 */
export function jitterColor(x: tf.Tensor4D, jitter: ColorJitter): tf.Tensor4D {
  const [batch, , , channels] = x.shape;
  const perSample = (values: Float32Array) => tf.tensor4d(values, [batch, 1, 1, 1]);
  let y: tf.Tensor4D = tf.add(x, perSample(jitter.brightness));
  if (channels > 1) {
    const mean = tf.mean(y, 3, true); // (B, H, W, 1)
    y = tf.add(y, tf.mul(tf.sub(y, mean), perSample(jitter.saturation)));
  }
  const mean = tf.mean(y, [1, 2, 3], true); // (B, 1, 1, 1)
  return tf.add(y, tf.mul(tf.sub(y, mean), perSample(jitter.contrast)));
}
