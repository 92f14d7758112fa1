// Types for the parts of gifenc (npm:gifenc@1.0.3, which ships none) that this library uses.

/** A colour table: `[r, g, b]` triples of bytes, at most 256. */
export type Palette = number[][];

/** Options of a frame written by {@linkcode GifStream.writeFrame}. */
export interface FrameOptions {
  /** The frame's colour table; the first frame's becomes the global one. */
  palette?: Palette;
  /** How long the frame shows, in milliseconds (stored in hundredths of a second). */
  delay?: number;
  /** Loops of the animation: 0 forever, -1 once. Read from the first frame. */
  repeat?: number;
}

/** A GIF being written, frame by frame. */
export interface GifStream {
  /** Appends a frame of palette indices, `width × height`, row-major. */
  writeFrame(index: Uint8Array, width: number, height: number, options?: FrameOptions): void;
  /** Writes the trailer; the file is complete. */
  finish(): void;
  /** A copy of the bytes written. */
  bytes(): Uint8Array;
}

/** Starts a GIF; the header is written with the first frame. */
export function GIFEncoder(): GifStream;

/** A palette of at most `maxColors` for RGBA pixels (pairwise nearest-neighbour clustering). */
export function quantize(rgba: Uint8Array, maxColors: number): Palette;

/** Each RGBA pixel's index of the nearest colour in `palette`. */
export function applyPalette(rgba: Uint8Array, palette: Palette): Uint8Array;
