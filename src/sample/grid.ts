/**
 * Sample grids: many images tiled into one picture, encoded as PNG with fast-png. No file access.
 *
 * @module
 */

import { encode } from "fast-png";
import { type ImageSet, imageSize, pixelsToBytes } from "../data/images.ts";
import { checkInteger } from "../errors.ts";

/** Options of {@linkcode gridImage} and {@linkcode encodePngGrid}. */
export interface GridOptions {
  /**
   * Images per row.
   * @default {Math.ceil(Math.sqrt(count))}
   */
  columns?: number;
  /**
   * Pixels between images and around the grid.
   * @default {2}
   */
  padding?: number;
  /**
   * Grey level (0–255) of the padding.
   * @default {96}
   */
  paddingValue?: number;
  /**
   * Each image pixel becomes a `scale × scale` block.
   * @default {1}
   */
  scale?: number;
}

/** A decoded 8-bit image: grey (1 channel) or RGB (3 channels), row-major. */
export interface RasterImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** `height × width × channels` bytes. */
  data: Uint8Array;
}

/**
 * Tiles images into one raster, row by row, with padding between them.
 *
 * @param images The images (pixels in [-1, 1]).
 * @param options Columns, padding, scale.
 * @returns The grid as 8-bit pixels.
 */
export function gridImage(images: ImageSet, options: GridOptions = {}): RasterImage {
  if (images.count === 0) throw new RangeError("gridImage: no images");
  const columns = checkInteger(
    "gridImage",
    "columns",
    options.columns ?? Math.ceil(Math.sqrt(images.count)),
  );
  const padding = checkInteger("gridImage", "padding", options.padding ?? 2, 0, 64);
  const scale = checkInteger("gridImage", "scale", options.scale ?? 1, 1, 64);
  const paddingValue = checkInteger(
    "gridImage",
    "paddingValue",
    options.paddingValue ?? 96,
    0,
    255,
  );
  const { height: h, width: w, channels: c } = images;
  const rows = Math.ceil(images.count / columns);
  const tileW = w * scale, tileH = h * scale;
  const width = padding + columns * (tileW + padding);
  const height = padding + rows * (tileH + padding);
  const data = new Uint8Array(width * height * c).fill(paddingValue);
  const bytes = pixelsToBytes(images.pixels);
  const size = imageSize(images);
  for (let i = 0; i < images.count; i++) {
    const left = padding + (i % columns) * (tileW + padding);
    const top = padding + Math.floor(i / columns) * (tileH + padding);
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        const from = i * size + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const to = ((top + y) * width + left + x) * c;
        for (let k = 0; k < c; k++) data[to + k] = bytes[from + k];
      }
    }
  }
  return { width, height, channels: c, data };
}

/**
 * Tiles images into a grid and encodes it as PNG (grey or RGB, 8 bits).
 *
 * @param images The images (pixels in [-1, 1]).
 * @param options Columns, padding, scale.
 * @returns The PNG file's bytes.
 *
 * @example A 4×4 grid of samples
 * ```ts
 * import { createGenerator, encodePngGrid, sample } from "@gan/mnist";
 *
 * const images = await sample(createGenerator({ preset: "tutorial", seed: 1 }), { n: 16 });
 * const png = encodePngGrid(images, { columns: 4 });
 * console.log(png.length > 0);
 * ```
 */
export function encodePngGrid(images: ImageSet, options: GridOptions = {}): Uint8Array {
  if (images.channels !== 1 && images.channels !== 3) {
    throw new RangeError(`encodePngGrid: images must have 1 or 3 channels, got ${images.channels}`);
  }
  const grid = gridImage(images, options);
  return encode({
    width: grid.width,
    height: grid.height,
    data: grid.data,
    channels: grid.channels,
    depth: 8,
  });
}
