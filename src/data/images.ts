/**
 * The in-memory image set every part of the library passes around: pixels as floats in [-1, 1],
 * channels last, with optional labels. No file access, so it also runs in a browser.
 *
 * @module
 */

import type { IdxArray } from "./idx.ts";
import { Random } from "../random.ts";

/**
 * A set of equally sized images, with pixel values in [-1, 1] (−1 is the background of MNIST).
 *
 * @example An empty set of two 28×28 grey images
 * ```ts
 * import type { ImageSet } from "@gan/mnist";
 *
 * const set: ImageSet = {
 *   pixels: new Float32Array(2 * 28 * 28).fill(-1),
 *   count: 2, height: 28, width: 28, channels: 1,
 * };
 * console.log(set.pixels.length);
 * ```
 */
export interface ImageSet {
  /** `count × height × width × channels` values in [-1, 1], image after image, row-major. */
  pixels: Float32Array;
  /** The number of images. */
  count: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Colour channels: 1 for grey, 3 for RGB. */
  channels: number;
  /** One class label per image, when known. */
  labels?: Uint8Array;
}

/**
 * The number of values in one image of the set.
 *
 * @param set The image set.
 * @returns `height × width × channels`.
 */
export function imageSize(set: Pick<ImageSet, "height" | "width" | "channels">): number {
  return set.height * set.width * set.channels;
}

/**
 * Converts bytes (0 = background, 255 = ink) to floats in [-1, 1].
 *
 * @param bytes The pixel bytes.
 * @returns `bytes / 127.5 - 1`.
 */
export function bytesToPixels(bytes: Uint8Array): Float32Array {
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i] / 127.5 - 1;
  return pixels;
}

/**
 * Converts floats in [-1, 1] to bytes (0 = background), rounding and clamping.
 *
 * @param pixels The pixel values.
 * @returns `round((x + 1) × 127.5)` clamped to [0, 255].
 */
export function pixelsToBytes(pixels: Float32Array): Uint8Array {
  const bytes = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    // Uint8Array stores clamp nothing, so clamp first; NaN becomes 0.
    const v = Math.round((pixels[i] + 1) * 127.5);
    bytes[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return bytes;
}

/**
 * Turns an image set into an IDX array of bytes, `count × height × width` for grey images and
 * `count × height × width × channels` for colour ones.
 *
 * @param set The images.
 * @returns The IDX array (0 = background).
 */
export function imagesToIdx(set: ImageSet): IdxArray {
  const shape = set.channels === 1
    ? [set.count, set.height, set.width]
    : [set.count, set.height, set.width, set.channels];
  return { type: "uint8", shape, data: pixelsToBytes(set.pixels) };
}

/**
 * The images (and labels) at the given indices, in that order.
 *
 * @param set The image set.
 * @param indices Which images to take.
 * @returns A new set.
 */
export function pickImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = imageSize(set);
  const pixels = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    pixels.set(set.pixels.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
  }
  const labels = set.labels ? Uint8Array.from(indices, (i) => set.labels![i]) : undefined;
  return { ...set, pixels, count: indices.length, ...(labels ? { labels } : {}) };
}

/**
 * A copy of the set in a seeded random order.
 *
 * @param set The image set.
 * @param seed The shuffle's seed.
 * @returns A new, shuffled set.
 */
export function shuffleImages(set: ImageSet, seed: number): ImageSet {
  const order = new Random(seed).shuffle(Uint32Array.from({ length: set.count }, (_, i) => i));
  return pickImages(set, order);
}
