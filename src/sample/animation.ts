/**
 * Animated GIFs of images: a latent walk played as a film, or a run's sample grids as a
 * time-lapse. Encoded with gifenc (LZW and colour quantisation). No file access.
 *
 * @module
 */

// @ts-types="./gifenc.d.ts"
import { applyPalette, GIFEncoder, type Palette, quantize } from "gifenc";
import type { ImageSet } from "../data/images.ts";
import { checkBoolean, checkInteger } from "../errors.ts";
import { gridImage, type RasterImage } from "./grid.ts";

/** Options of {@linkcode encodeGif}. */
export interface GifOptions {
  /**
   * How long each frame shows, in milliseconds (GIF keeps hundredths of a second).
   * @default {250}
   */
  delay?: number;
  /**
   * How long the last frame shows, in milliseconds, so that the end can be seen; with
   * `bounce`, the first frame too.
   * @default {1000}
   */
  holdDelay?: number;
  /**
   * Play the frames forward and then back (0, 1, …, n−1, …, 1), looping: a walk that returns
   * to where it started instead of jumping.
   * @default {false}
   */
  bounce?: boolean;
}

/** The 256 grey levels: palette index `v` is grey `v`, so a grey byte is its own index. */
const GREYS: Palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);

/** The longest frame delay a GIF can hold: 65535 hundredths of a second. */
const MAX_DELAY = 655_350;

/**
 * Encodes frames as an animated GIF that loops forever. Grey frames keep all 256 levels (one
 * palette for the whole file); colour frames are quantised to 256 colours each, every frame with
 * its own palette.
 *
 * @param frames The frames, all of one size and channel count (1 grey or 3 RGB).
 * @param options Delays, and whether to play back and forth.
 * @returns The GIF file's bytes.
 * @throws {RangeError} On no frames, frames of different sizes, or a bad option.
 *
 * @example Two frames, black then white, played back and forth
 * ```ts
 * import { encodeGif } from "@gan/mnist";
 *
 * const frame = (grey: number) => ({
 *   width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(grey),
 * });
 * const gif = encodeGif([frame(0), frame(255)], { delay: 200, bounce: true });
 * console.log(new TextDecoder().decode(gif.subarray(0, 6))); // GIF89a
 * ```
 */
export function encodeGif(frames: readonly RasterImage[], options: GifOptions = {}): Uint8Array {
  const delay = checkInteger("encodeGif", "delay", options.delay ?? 250, 0, MAX_DELAY);
  const holdDelay = checkInteger("encodeGif", "holdDelay", options.holdDelay ?? 1000, 0, MAX_DELAY);
  const bounce = checkBoolean("encodeGif", "bounce", options.bounce ?? false);
  if (frames.length === 0) throw new RangeError("encodeGif: no frames");
  const { width, height, channels } = frames[0];
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`encodeGif: frames must have 1 or 3 channels, got ${channels}`);
  }
  frames.forEach((frame, i) => {
    if (
      frame.width !== width || frame.height !== height || frame.channels !== channels ||
      frame.data.length !== width * height * channels
    ) {
      throw new RangeError(
        `encodeGif: frame ${i} is ${frame.width}×${frame.height}×${frame.channels} ` +
          `(${frame.data.length} bytes), frame 0 ${width}×${height}×${channels}`,
      );
    }
  });
  // Each frame as palette indices, computed once even where `bounce` shows it twice.
  const indexed = frames.map((frame) =>
    channels === 1 ? { index: frame.data, palette: GREYS } : paletted(frame)
  );
  const last = frames.length - 1;
  const order = bounce && last > 1
    ? [...frames.keys(), ...[...frames.keys()].slice(1, last).reverse()]
    : [...frames.keys()];
  const gif = GIFEncoder();
  order.forEach((i, at) => {
    const held = i === last || (bounce && i === 0);
    gif.writeFrame(indexed[i].index, width, height, {
      // Grey: the first frame's palette becomes the global one, which the others use.
      palette: channels === 1 && at > 0 ? undefined : indexed[i].palette,
      delay: held ? holdDelay : delay,
      repeat: 0,
    });
  });
  gif.finish();
  return gif.bytes();
}

/** An RGB frame quantised to at most 256 colours: its palette and each pixel's index. */
function paletted(frame: RasterImage): { index: Uint8Array; palette: Palette } {
  const pixels = frame.width * frame.height;
  const rgba = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = frame.data[3 * p];
    rgba[4 * p + 1] = frame.data[3 * p + 1];
    rgba[4 * p + 2] = frame.data[3 * p + 2];
    rgba[4 * p + 3] = 255;
  }
  const palette = quantize(rgba, 256);
  return { index: applyPalette(rgba, palette), palette };
}

/**
 * Each image of a set as a frame of its own (no padding), each pixel a `scale × scale` block.
 *
 * @param images The images (pixels in [-1, 1]).
 * @param scale Pixel size.
 * @returns One frame per image.
 *
 * @example A film of a latent walk
 * ```ts
 * import { createGenerator, encodeGif, imageFrames, sampleInterpolation } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const walk = await sampleInterpolation(generator, { seeds: [1, 2], steps: 8 });
 * const gif = encodeGif(imageFrames(walk, 4), { bounce: true });
 * console.log(gif.length > 0); // true
 * ```
 */
export function imageFrames(images: ImageSet, scale = 1): RasterImage[] {
  const size = images.height * images.width * images.channels;
  return Array.from({ length: images.count }, (_, i) =>
    gridImage({
      pixels: images.pixels.subarray(i * size, (i + 1) * size),
      count: 1,
      height: images.height,
      width: images.width,
      channels: images.channels,
    }, { columns: 1, padding: 0, scale }));
}
