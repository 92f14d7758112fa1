/**
 * Writing samples to disk (Deno only): PNG grids, IDX files and GIF animations.
 *
 * @module
 */

import { type ImageSet, imagesToIdx } from "../data/images.ts";
import { writeIdx } from "../data/idx_file.ts";
import { writeFileAtomic } from "../fs.ts";
import { encodePngGrid, type GridOptions, type RasterImage } from "./grid.ts";
import { encodeGif, type GifOptions } from "./animation.ts";

/**
 * Writes images as one PNG grid. The write is atomic.
 *
 * @param path The `.png` file to write.
 * @param images The images (pixels in [-1, 1]).
 * @param options Columns, padding, scale.
 *
 * @example
 * ```ts
 * import { createGenerator, sample, writePngGrid } from "@gan/mnist";
 *
 * const images = await sample(createGenerator({ preset: "lite", seed: 1 }), { n: 64 });
 * await writePngGrid(await Deno.makeTempFile({ suffix: ".png" }), images);
 * ```
 */
export async function writePngGrid(
  path: string,
  images: ImageSet,
  options: GridOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodePngGrid(images, options));
}

/**
 * Writes images as an IDX file of bytes, `N × height × width` (0 = background, like MNIST), or
 * `N × height × width × channels` for colour images; gzip-compressed when `path` ends in `.gz`.
 *
 * @param path The file to write.
 * @param images The images (pixels in [-1, 1]).
 *
 * @example
 * ```ts
 * import { createGenerator, sample, writeImagesIdx } from "@gan/mnist";
 *
 * const images = await sample(createGenerator({ preset: "lite", seed: 1 }), { n: 100 });
 * await writeImagesIdx(await Deno.makeTempFile({ suffix: ".idx" }), images);
 * ```
 */
export async function writeImagesIdx(path: string, images: ImageSet): Promise<void> {
  await writeIdx(path, imagesToIdx(images));
}

/**
 * Writes frames as an animated GIF that loops forever. The write is atomic.
 *
 * @param path The `.gif` file to write.
 * @param frames The frames, all of one size.
 * @param options Delays, and whether to play back and forth.
 *
 * @example A latent walk as a film, forward and back
 * ```ts
 * import { createGenerator, imageFrames, sampleInterpolation, writeGif } from "@gan/mnist";
 *
 * const walk = await sampleInterpolation(createGenerator({ preset: "lite", seed: 1 }), {
 *   seeds: [1, 2],
 * });
 * await writeGif(await Deno.makeTempFile({ suffix: ".gif" }), imageFrames(walk, 4), {
 *   bounce: true,
 * });
 * ```
 */
export async function writeGif(
  path: string,
  frames: readonly RasterImage[],
  options: GifOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeGif(frames, options));
}
