/**
 * A run's time-lapse (Deno only): `samples/progress.gif`, the fixed-noise grid of every epoch
 * as one animation, rebuilt from the epoch PNGs on disk after each epoch, so that it is right
 * after a resume or a rollback without any state of its own.
 *
 * @module
 */

import { decode } from "fast-png";
import { join } from "node:path";
import { writeFileAtomic } from "../../fs.ts";
import { encodeGif } from "../../sample/animation.ts";
import type { RasterImage } from "../../sample/grid.ts";
import { RUN_LAYOUT } from "./layout.ts";

/**
 * The time-lapse's name in a run's `samples/` directory.
 *
 * @example
 * ```ts
 * import { PROGRESS_GIF } from "@gan/mnist";
 *
 * console.log(`runs/lite/samples/${PROGRESS_GIF}`); // runs/lite/samples/progress.gif
 * ```
 */
export const PROGRESS_GIF: string = RUN_LAYOUT.progressGif;

/** Frame delay of the time-lapse, and how long its last frame (the newest grid) is held, in ms. */
const DELAY = 250, HOLD = 1500;

/**
 * The name of an epoch's grid in `samples/`.
 *
 * @param epoch The epoch, from 1.
 * @returns `epoch-NNN.png`.
 */
export function epochGridName(epoch: number): string {
  return RUN_LAYOUT.epochGrid(epoch);
}

/** The most frames the time-lapse holds; a longer run shows evenly spaced epochs. */
const MAX_FRAMES = 100;

/**
 * Writes `samples/progress.gif` from the grids `epoch-001.png` … of epochs 1 to `epoch` in
 * `samplesDir`: one frame each (up to 100, then evenly spaced epochs
 * from the first to the last), oldest first, a quarter of a second per frame and the last held
 * for 1.5 s. Each frame is its grid at half size, every 2×2 block averaged: the run writes its
 * grids with each image pixel doubled, so the frame shows them pixel for pixel, in all 256 grey
 * levels, at a quarter of the bytes. Grids of later epochs (left by a run that was rolled back)
 * are not included; a grid that is missing, unreadable or of another size than `epoch`'s is left
 * out. The write is atomic.
 *
 * @param samplesDir The run's `samples/` directory.
 * @param epoch The last epoch to include; its grid must be there.
 * @returns The number of frames written.
 * @throws {RangeError} If the grid of `epoch` is missing or unreadable.
 *
 * @example After an epoch's grid is written
 * ```ts
 * import { createGenerator, sample, writePngGrid, writeProgressGif } from "@gan/mnist";
 * import { join } from "node:path";
 *
 * const dir = await Deno.makeTempDir();
 * const grid = await sample(createGenerator({ preset: "lite", seed: 1 }), { n: 16 });
 * await writePngGrid(join(dir, "epoch-001.png"), grid, { scale: 2 });
 * console.log(await writeProgressGif(dir, 1)); // 1
 * ```
 */
export async function writeProgressGif(samplesDir: string, epoch: number): Promise<number> {
  const epochs = shownEpochs(epoch, MAX_FRAMES);
  const grids = await Promise.all(epochs.map((e) => readGrid(join(samplesDir, epochGridName(e)))));
  const newest = grids.at(-1);
  if (!newest) throw new RangeError(`writeProgressGif: no grid of epoch ${epoch} in ${samplesDir}`);
  const frames = grids.filter((g): g is RasterImage =>
    g !== undefined && g.width === newest.width && g.height === newest.height &&
    g.channels === newest.channels
  ).map(halve);
  await writeFileAtomic(
    join(samplesDir, PROGRESS_GIF),
    encodeGif(frames, { delay: DELAY, holdDelay: HOLD }),
  );
  return frames.length;
}

/** Epochs 1 to `last`, or `most` of them evenly spaced, the first and the last included. */
function shownEpochs(last: number, most: number): number[] {
  if (last <= most) return Array.from({ length: last }, (_, i) => i + 1);
  return Array.from({ length: most }, (_, i) => 1 + Math.round((i * (last - 1)) / (most - 1)));
}

/** An image at half its width and height, each 2×2 block averaged (an odd last row or column
 * dropped). */
function halve(image: RasterImage): RasterImage {
  const { channels: c } = image;
  const width = image.width >> 1, height = image.height >> 1;
  const data = new Uint8Array(width * height * c);
  const at = (x: number, y: number, k: number) => image.data[(y * image.width + x) * c + k];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < c; k++) {
        const sum = at(2 * x, 2 * y, k) + at(2 * x + 1, 2 * y, k) + at(2 * x, 2 * y + 1, k) +
          at(2 * x + 1, 2 * y + 1, k);
        data[(y * width + x) * c + k] = Math.round(sum / 4);
      }
    }
  }
  return { width, height, channels: c, data };
}

/** An 8-bit grey or RGB PNG, or `undefined` when it is missing or not one. */
async function readGrid(path: string): Promise<RasterImage | undefined> {
  try {
    const png = decode(await Deno.readFile(path));
    if (png.depth !== 8 || (png.channels !== 1 && png.channels !== 3) || png.palette) {
      return undefined;
    }
    return {
      width: png.width,
      height: png.height,
      channels: png.channels,
      data: png.data as Uint8Array,
    };
  } catch {
    return undefined;
  }
}
