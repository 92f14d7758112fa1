/**
 * Reading and writing IDX files, plain or gzip-compressed (Deno only).
 *
 * @module
 */

import { constants, gunzipSync, gzipSync } from "node:zlib";
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
  const fail = (fault: string) => new DataFileError("IDX file", path, fault);
  try {
    const { size } = await Deno.stat(path);
    if (size > MAX_IDX_BYTES) throw fail(`${size} bytes, more than the ${MAX_IDX_BYTES} read here`);
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    // readFileOr names the fault
  }
  let bytes = await readFileOr(path, fail);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipIdx(bytes, fail);
  return decodeIdx(bytes, path, options.magic);
}

/** The largest IDX file read (1 GiB; EMNIST's largest is about 550 MB). */
const MAX_IDX_BYTES = 2 ** 30;

/**
 * Decompresses a gzip IDX file to exactly the size its header declares, so that neither a
 * header that claims billions of values nor a stream that inflates without end (a "gzip bomb")
 * makes anything larger than the data it claims, and never more than {@linkcode MAX_IDX_BYTES}.
 */
function gunzipIdx(bytes: Uint8Array, fail: (fault: string) => DataFileError): Uint8Array {
  const bad = (error: unknown) => fail(`bad gzip data (${describeFsError(error)})`);
  let head: Uint8Array;
  try {
    // The start of the stream (512 bytes inflate to at most about 530 KB).
    head = new Uint8Array(gunzipSync(bytes.subarray(0, 512), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: 1 << 20,
    }));
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") throw bad(error);
    head = new Uint8Array(0);
  }
  let limit = MAX_IDX_BYTES;
  const rank = head[3];
  if (head.length >= 4 + 4 * rank && head[0] === 0 && head[1] === 0) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const sizes: Record<number, number> = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 };
    let declared = 4 + 4 * rank;
    let count = 1;
    for (let i = 0; i < rank; i++) count *= view.getUint32(4 + 4 * i);
    declared += count * (sizes[head[2]] ?? 1);
    if (declared > MAX_IDX_BYTES) {
      throw fail(
        `header says ${count} values (${declared} bytes), more than the ${MAX_IDX_BYTES} read here`,
      );
    }
    limit = declared;
  }
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: limit }));
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw fail(`size mismatch: decompresses to more than the ${limit} bytes its header declares`);
    }
    throw bad(error);
  }
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
