/**
 * CIFAR-10 in its binary format ("CIFAR-10 binary version", `cifar-10-batches-bin/`), from a
 * directory the user provides: nothing is downloaded.
 *
 * Each of `data_batch_1.bin` … `data_batch_5.bin` (training, 10,000 images each) and
 * `test_batch.bin` holds records of 3,073 bytes: the label (0–9), then the 32×32 red plane, the
 * green plane and the blue plane, each row-major. Images come out as 32×32×3 (channels last,
 * as tf.js wants them) in [-1, 1].
 *
 * @module
 */

import { join } from "node:path";
import { checkInteger, DataFileError } from "../errors.ts";
import type { ImageSet } from "./images.ts";

/** Side of a CIFAR-10 image. */
const SIDE = 32;
/** Bytes of one record: a label, then three 32×32 planes. */
export const CIFAR_RECORD_BYTES = 1 + 3 * SIDE * SIDE;
/** The training files, in order. */
export const CIFAR_TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) =>
  `data_batch_${i}.bin`
);
/** The test file. */
export const CIFAR_TEST_FILE = "test_batch.bin";
/**
 * CIFAR-10's class names, by label.
 *
 * @example
 * ```ts
 * import { CIFAR_CLASSES } from "@gan/mnist";
 *
 * console.log(CIFAR_CLASSES[3]); // cat
 * ```
 */
export const CIFAR_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** Options of {@linkcode loadCifar10}. */
export interface LoadCifarOptions {
  /** The directory holding the `.bin` files. */
  dir: string;
  /**
   * Which files: the five training batches, or the test batch.
   * @default {"train"}
   */
  split?: "train" | "test";
  /** Load at most this many images (the first ones). */
  limit?: number;
}

/**
 * Whether a directory holds CIFAR-10's binary files (its first training batch).
 *
 * @param dir The directory.
 * @returns True if `data_batch_1.bin` is in it.
 *
 * @example
 * ```ts
 * import { isCifarDir } from "@gan/mnist";
 *
 * console.log(await isCifarDir(".")); // false
 * ```
 */
export async function isCifarDir(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(join(dir, CIFAR_TRAIN_FILES[0]))).isFile;
  } catch {
    return false;
  }
}

/**
 * Decodes CIFAR-10 records into images (32×32×3, channels last, in [-1, 1]) and labels.
 *
 * @param bytes Whole records, as in a `.bin` file.
 * @param name The file, for messages.
 * @returns The images and labels.
 * @throws {DataFileError} If the length is not a whole number of records or a label is not 0–9.
 *
 * @example One black record of label 3
 * ```ts
 * import { decodeCifar } from "@gan/mnist";
 *
 * const record = new Uint8Array(3073);
 * record[0] = 3;
 * const set = decodeCifar(record, "one.bin");
 * console.log(set.count, set.labels?.[0], set.pixels[0]); // 1 3 -1
 * ```
 */
export function decodeCifar(bytes: Uint8Array, name: string): ImageSet {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new DataFileError(
      "CIFAR-10 file",
      name,
      `${bytes.length} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records ` +
        `(truncated or not CIFAR-10's binary format)`,
    );
  }
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const plane = SIDE * SIDE;
  const pixels = new Float32Array(count * plane * 3);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const record = i * CIFAR_RECORD_BYTES;
    const label = bytes[record];
    if (label > 9) {
      throw new DataFileError(
        "CIFAR-10 file",
        name,
        `record ${i} has label ${label}, not 0–9 (not CIFAR-10's binary format?)`,
      );
    }
    labels[i] = label;
    const out = i * plane * 3;
    // Planes R, G, B → pixels (y, x, channel).
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        pixels[out + p * 3 + c] = bytes[record + 1 + c * plane + p] / 127.5 - 1;
      }
    }
  }
  return { pixels, count, height: SIDE, width: SIDE, channels: 3, labels };
}

/**
 * Loads CIFAR-10 from its binary files in a directory.
 *
 * @param options The directory, the split and a limit.
 * @returns 32×32×3 images in [-1, 1] with their labels.
 * @throws {DataFileError} On a missing directory or file or a damaged file, naming it.
 *
 * @example
 * ```ts ignore
 * import { loadCifar10 } from "@gan/mnist";
 *
 * const images = await loadCifar10({ dir: "cifar-10-batches-bin", limit: 5000 });
 * console.log(images.count, images.height, images.channels); // 5000 32 3
 * ```
 */
export async function loadCifar10(options: LoadCifarOptions): Promise<ImageSet> {
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new RangeError(`loadCifar10: split must be "train" or "test", got "${split}"`);
  }
  if (options.limit !== undefined) checkInteger("loadCifar10", "limit", options.limit);
  try {
    if (!(await Deno.stat(options.dir)).isDirectory) throw new Error();
  } catch {
    throw new DataFileError("CIFAR-10 directory", options.dir, "no such directory");
  }
  const files = split === "train" ? CIFAR_TRAIN_FILES : [CIFAR_TEST_FILE];
  const limit = options.limit ?? Infinity;
  const parts: ImageSet[] = [];
  let count = 0;
  for (const file of files) {
    if (count >= limit) break;
    const path = join(options.dir, file);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      const missing = error instanceof Deno.errors.NotFound;
      throw new DataFileError(
        "CIFAR-10 file",
        path,
        missing ? `missing (the directory needs ${files.join(", ")})` : (error as Error).message,
      );
    }
    const records = Math.min(bytes.length / CIFAR_RECORD_BYTES, limit - count);
    // Whole-file check first, then decode only what is wanted.
    if (bytes.length % CIFAR_RECORD_BYTES !== 0 || bytes.length === 0) decodeCifar(bytes, path);
    const part = decodeCifar(bytes.subarray(0, records * CIFAR_RECORD_BYTES), path);
    parts.push(part);
    count += part.count;
  }
  const size = SIDE * SIDE * 3;
  const pixels = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const part of parts) {
    pixels.set(part.pixels, at * size);
    labels.set(part.labels!, at);
    at += part.count;
  }
  return { pixels, count, height: SIDE, width: SIDE, channels: 3, labels };
}
