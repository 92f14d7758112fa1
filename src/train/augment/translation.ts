/**
 * DiffAugment's `translation`: each sample shifted by a whole number of pixels, up to 1/8 of the
 * image in each axis, the uncovered pixels zero (as the official `rand_translation`). The shift is
 * two batched products with one-hot matrices, so its gradient, and the gradient's, are products
 * too.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../../random.ts";
import { chosen } from "./policy.ts";

/** Each sample's shift: `rows[b]` in [−⌊H/8⌋, ⌊H/8⌋], `columns[b]` in [−⌊W/8⌋, ⌊W/8⌋]. */
export interface Shifts {
  /** Output row i of sample b shows input row i + rows[b] (zero where that is outside). */
  rows: Int32Array;
  /** Output column j of sample b shows input column j + columns[b]. */
  columns: Int32Array;
}

/**
 * Draws the shifts: for each sample, its choice (when p < 1), then, if chosen, the row shift and
 * the column shift, each uniform over its range. A sample not chosen keeps shift 0.
 *
 * @param random The source of the draws.
 * @param shape `[B, H, W, C]`.
 * @param p The probability of shifting a sample, in (0, 1].
 * @returns The shifts.
 */
export function drawShifts(random: Random, shape: readonly number[], p: number): Shifts {
  const [batch, height, width] = shape;
  const maxRow = Math.floor(height / 8), maxColumn = Math.floor(width / 8);
  const rows = new Int32Array(batch), columns = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    if (!chosen(random, p)) continue;
    rows[b] = random.int(2 * maxRow + 1) - maxRow;
    columns[b] = random.int(2 * maxColumn + 1) - maxColumn;
  }
  return { rows, columns };
}

/**
 * `(B, n·m, n·m)`: for each sample the one-hot matrix S ⊗ I_m with S[i][i + shift] = 1 (none where
 * i + shift falls outside [0, n)), so that S·v moves v by `shift` places of m values.
 */
function shiftMatrices(shifts: Int32Array, n: number, m: number): tf.Tensor3D {
  const size = n * m;
  const data = new Float32Array(shifts.length * size * size);
  shifts.forEach((shift, b) => {
    for (let i = Math.max(0, -shift); i < Math.min(n, n - shift); i++) {
      for (let c = 0; c < m; c++) {
        data[b * size * size + (i * m + c) * size + (i + shift) * m + c] = 1;
      }
    }
  });
  return tf.tensor3d(data, [shifts.length, size, size]);
}

/**
 * Shifts each sample of `x` (NHWC) as `shifts` says, filling with zeros. An axis whose shifts are
 * all 0 costs nothing.
 *
 * @param x `(B, H, W, C)`.
 * @param shifts From {@linkcode drawShifts}.
 * @returns `(B, H, W, C)`.
 */
export function translate(x: tf.Tensor4D, shifts: Shifts): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  let y: tf.Tensor3D = tf.reshape(x, [batch, height, width * channels]);
  if (shifts.rows.some((shift) => shift !== 0)) {
    // (B, H, H) · (B, H, W·C) -> (B, H, W·C)
    y = tf.matMul(shiftMatrices(shifts.rows, height, 1), y);
  }
  if (shifts.columns.some((shift) => shift !== 0)) {
    // (B, H, W·C) · (B, W·C, W·C)ᵀ -> (B, H, W·C): the columns move with their C channels.
    y = tf.matMul(y, shiftMatrices(shifts.columns, width, channels), false, true);
  }
  return tf.reshape(y, [batch, height, width, channels]);
}
