/**
 * A checkpoint's bytes (`checkpoint.ckpt`): encoding, and decoding with every check. No file
 * access here (it runs in a browser too).
 *
 * Layout, little-endian:
 *
 * ```
 * "GANCKPT\0"               8 bytes
 * format version            uint32 (1)
 * header length H           uint32
 * header                    H bytes of JSON: the checkpoint, each typed array replaced by
 *                           {"$f32": i} or {"$u32": i}, and "arrays": [[type, offset, length], …]
 * zero padding              to a multiple of 8
 * arrays                    each at a multiple of 8 from here
 * CRC-32                    uint32, of every byte before it
 * ```
 *
 * Decoding checks the size, the magic, the version and the checksum before it parses anything, and
 * every array's place against the file's length before it copies anything.
 *
 * @module
 */

import type { Checkpoint } from "./checkpoint.ts";
import { checkCheckpoint } from "./checkpoint_check.ts";

/** The format version this library writes and reads. */
export const CHECKPOINT_FORMAT = 1;

const MAGIC = new TextEncoder().encode("GANCKPT\0");

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as zip and PNG use it).
 *
 * @param bytes The bytes.
 * @returns The checksum, unsigned.
 */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Encodes a checkpoint as bytes.
 *
 * @param checkpoint The checkpoint.
 * @returns The file's contents.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  if (!littleEndian) throw new RangeError("checkpoints are little-endian; this machine is not");
  const arrays: (Float32Array | Uint32Array)[] = [];
  const table: [string, number, number][] = [];
  let offset = 0;
  const body = JSON.stringify(checkpoint, (_key, value) => {
    if (value instanceof Float32Array || value instanceof Uint32Array) {
      const type = value instanceof Float32Array ? "f32" : "u32";
      table.push([type, offset, value.length]);
      arrays.push(value);
      offset = align8(offset + value.byteLength);
      return { [`$${type}`]: arrays.length - 1 };
    }
    return value;
  });
  const header = new TextEncoder().encode(
    `{"arrays":${JSON.stringify(table)},"checkpoint":${body}}`,
  );
  const dataStart = align8(16 + header.length);
  const bytes = new Uint8Array(dataStart + offset + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_FORMAT, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, 16);
  arrays.forEach((array, i) => {
    bytes.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      dataStart + table[i][1],
    );
  });
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/**
 * Decodes and checks a checkpoint's bytes.
 *
 * @param bytes The file's contents.
 * @returns The checkpoint.
 * @throws {RangeError} Naming the fault (the caller adds the file's name): too short, not a
 * checkpoint, another format version, damaged (checksum), or a field missing or of the wrong kind.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const fail = (fault: string): never => {
    throw new RangeError(fault);
  };
  if (bytes.length < 20) fail(`truncated: ${bytes.length} bytes, not a checkpoint`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) fail("not a checkpoint (wrong magic bytes)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(8, true);
  if (format !== CHECKPOINT_FORMAT) {
    fail(`format version ${format}, this library reads version ${CHECKPOINT_FORMAT}`);
  }
  const headerLength = view.getUint32(12, true);
  const dataStart = align8(16 + headerLength);
  if (dataStart + 4 > bytes.length) {
    fail(`truncated: the header needs ${dataStart + 4} bytes, the file has ${bytes.length}`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) {
    fail("damaged: its checksum does not match (truncated or changed since it was written)");
  }
  if (!littleEndian) fail("checkpoints are little-endian; this machine is not");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(16, 16 + headerLength),
    ));
  } catch (error) {
    fail(`its header is not valid JSON (${(error as Error).message})`);
  }
  const head = parsed as { arrays?: unknown; checkpoint?: unknown };
  if (!isObject(head) || !Array.isArray(head.arrays)) fail("its header has no array table");
  const dataLength = bytes.length - 4 - dataStart;
  const arrays = (head.arrays as unknown[]).map((entry, i) => {
    const [type, offset, length] = Array.isArray(entry) ? entry : [];
    const size = type === "f32" || type === "u32" ? 4 : 0;
    if (
      !size || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 ||
      length < 0 || offset % 8 !== 0 || offset + length * size > dataLength
    ) {
      fail(`array ${i} of its table lies outside the file`);
    }
    const start = bytes.byteOffset + dataStart + offset;
    const buffer = bytes.buffer.slice(start, start + length * size) as ArrayBuffer;
    return type === "f32" ? new Float32Array(buffer) : new Uint32Array(buffer);
  });
  const used = new Set<number>();
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === "$f32" || keys[0] === "$u32")) {
      const i = value[keys[0]];
      const array = typeof i === "number" ? arrays[i] : undefined;
      const type = array instanceof Float32Array ? "$f32" : "$u32";
      if (array === undefined || type !== keys[0] || used.has(i as number)) {
        fail(`a reference to array ${i} does not match its table`);
      }
      used.add(i as number);
      return array;
    }
    return Object.fromEntries(keys.map((k) => [k, revive(value[k])]));
  };
  return checkCheckpoint(revive(head.checkpoint));
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}
