/**
 * DiffAugment's `cutout`: in each sample a rectangle of half the image's height and half its
 * width, centred on a random pixel (so partly outside the image at times), is set to zero, as the
 * official `rand_cutout`. It is a product with a mask, whose gradient is the same product.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../../random.ts";
import { chosen } from "./policy.ts";

/**
 * Draws the cut-out rectangles and returns them as a mask: for each sample, its choice (when
 * p < 1), then, if chosen, the centre's row in [0, H − (⌊H/2⌋ mod 2)] and column in
 * [0, W − (⌊W/2⌋ mod 2)], uniform; rows centre − ⌊⌊H/2⌋/2⌋ to that + ⌊H/2⌋ − 1 (and the same for
 * columns), clipped to the image, are zeroed.
 *
 * @param random The source of the draws.
 * @param shape `[B, H, W, C]`.
 * @param p The probability of cutting a sample, in (0, 1].
 * @returns `(B, H, W)` ones and zeros, or undefined where no sample is chosen.
 */
export function drawCutoutMask(
  random: Random,
  shape: readonly number[],
  p: number,
): Float32Array | undefined {
  const [batch, height, width] = shape;
  const boxHeight = Math.floor(height / 2), boxWidth = Math.floor(width / 2);
  const mask = new Float32Array(batch * height * width).fill(1);
  let any = false;
  for (let b = 0; b < batch; b++) {
    if (!chosen(random, p)) continue;
    any = true;
    const top = random.int(height + 1 - (boxHeight % 2)) - Math.floor(boxHeight / 2);
    const left = random.int(width + 1 - (boxWidth % 2)) - Math.floor(boxWidth / 2);
    for (let i = Math.max(0, top); i < Math.min(height, top + boxHeight); i++) {
      const row = (b * height + i) * width;
      mask.fill(0, row + Math.max(0, left), row + Math.min(width, left + boxWidth));
    }
  }
  return any ? mask : undefined;
}

/**
 * Multiplies each sample by its mask, the same for every channel.
 *
 * @param x `(B, H, W, C)`.
 * @param mask `(B, H, W)` from {@linkcode drawCutoutMask}.
 * @returns `(B, H, W, C)`.
 */
export function cutOut(x: tf.Tensor4D, mask: Float32Array): tf.Tensor4D {
  const [batch, height, width] = x.shape;
  // (B, H, W, C) · (B, H, W, 1), broadcast over the channels
  return tf.mul(x, tf.tensor4d(mask, [batch, height, width, 1]));
}
