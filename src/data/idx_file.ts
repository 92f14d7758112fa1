/**
 * Reading and writing IDX files, plain or gzip-compressed (Deno only).
 *
 * @module
 */

import { gunzipSync, gzipSync } from "std/zlib";
import { DataFileError } from "../errors.ts";
import { describeFsError, readFileOr, writeFileAtomic } from "../fs.ts";
import { decodeIdx, encodeIdx, type IdxArray } from "./idx.ts";

/** Options of {@linkcode readIdx}. */
export interface ReadIdxOptions {
  /**
   * The magic number the file must have, e.g. `0x00000803` for uint8 images; any IDX type is
   * accepted when absent.
   */
  magic?: number;
}

/**
 * Reads an IDX file. Gzip-compressed files (recognised by their content, whatever their name) are
 * decompressed first.
 *
 * @param path The file.
 * @param options What the file must be.
 * @returns The array it holds.
 * @throws {DataFileError} On a missing file, a bad gzip stream, a wrong magic number, or a size
 * that does not match the header; the message names the file and the fault.
 *
 * @example Read the MNIST training labels
 * ```ts ignore
 * import { readIdx } from "@gan/mnist";
 *
 * const labels = await readIdx("train-labels-idx1-ubyte.gz", { magic: 0x00000801 });
 * console.log(labels.shape); // [60000]
 * ```
 */
export async function readIdx(path: string, options: ReadIdxOptions = {}): Promise<IdxArray> {
  let bytes = await readFileOr(path, (fault) => new DataFileError("IDX file", path, fault));
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (error) {
      throw new DataFileError(
        "IDX file",
        path,
        `bad gzip data (${describeFsError(error)})`,
      );
    }
  }
  return decodeIdx(bytes, path, options.magic);
}

/**
 * Writes an array as an IDX file, gzip-compressed when `path` ends in `.gz`. The write is atomic:
 * an existing file is replaced only once the new one is complete.
 *
 * @param path The file to write.
 * @param array The array.
 *
 * @example Write three 2×2 images
 * ```ts ignore
 * import { writeIdx } from "@gan/mnist";
 *
 * await writeIdx("tiny-images.idx", { type: "uint8", shape: [3, 2, 2], data: new Uint8Array(12) });
 * ```
 */
export async function writeIdx(path: string, array: IdxArray): Promise<void> {
  const bytes = encodeIdx(array);
  await writeFileAtomic(path, path.endsWith(".gz") ? new Uint8Array(gzipSync(bytes)) : bytes);
}
