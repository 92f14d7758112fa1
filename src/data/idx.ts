/**
 * The IDX format of MNIST and its relatives, as bytes (no file access, so it also runs in a
 * browser). The file functions are in `idx_file.ts`.
 *
 * Layout: two zero bytes, a type code, the number of dimensions, each dimension as a big-endian
 * uint32, then the values in row-major order, big-endian.
 *
 * @module
 */

import { DataFileError } from "../errors.ts";

/** The value types IDX can hold, by their names in this library. */
export type IdxType = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

/** The typed array that holds each {@linkcode IdxType}. */
export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * An n-dimensional array as stored in an IDX file.
 *
 * @example A 2×3 array of bytes
 * ```ts
 * import type { IdxArray } from "@gan/mnist";
 *
 * const array: IdxArray = { type: "uint8", shape: [2, 3], data: new Uint8Array(6) };
 * console.log(array.shape);
 * ```
 */
export interface IdxArray {
  /** The value type. */
  type: IdxType;
  /** The dimensions, outermost first: `[60000, 28, 28]` for MNIST training images. */
  shape: number[];
  /** The values in row-major order; its length is the product of `shape`. */
  data: IdxData;
}

interface TypeInfo {
  code: number;
  size: number;
  make: (n: number) => IdxData;
  get: (view: DataView, offset: number) => number;
  set: (view: DataView, offset: number, value: number) => void;
}

const TYPES: Record<IdxType, TypeInfo> = {
  uint8: {
    code: 0x08,
    size: 1,
    make: (n) => new Uint8Array(n),
    get: (v, o) => v.getUint8(o),
    set: (v, o, x) => v.setUint8(o, x),
  },
  int8: {
    code: 0x09,
    size: 1,
    make: (n) => new Int8Array(n),
    get: (v, o) => v.getInt8(o),
    set: (v, o, x) => v.setInt8(o, x),
  },
  int16: {
    code: 0x0b,
    size: 2,
    make: (n) => new Int16Array(n),
    get: (v, o) => v.getInt16(o),
    set: (v, o, x) => v.setInt16(o, x),
  },
  int32: {
    code: 0x0c,
    size: 4,
    make: (n) => new Int32Array(n),
    get: (v, o) => v.getInt32(o),
    set: (v, o, x) => v.setInt32(o, x),
  },
  float32: {
    code: 0x0d,
    size: 4,
    make: (n) => new Float32Array(n),
    get: (v, o) => v.getFloat32(o),
    set: (v, o, x) => v.setFloat32(o, x),
  },
  float64: {
    code: 0x0e,
    size: 8,
    make: (n) => new Float64Array(n),
    get: (v, o) => v.getFloat64(o),
    set: (v, o, x) => v.setFloat64(o, x),
  },
};

/** Magic number of an IDX file of uint8 labels (one dimension). */
export const IDX_LABELS_MAGIC = 0x00000801;
/** Magic number of an IDX file of uint8 images (three dimensions). */
export const IDX_IMAGES_MAGIC = 0x00000803;

const hex = (n: number): string => "0x" + (n >>> 0).toString(16).padStart(8, "0");

/**
 * The magic number an array would have in an IDX file: type code × 256 + number of dimensions.
 *
 * @param array The array.
 * @returns The magic number, e.g. `0x00000803` for uint8 images.
 */
export function idxMagic(array: Pick<IdxArray, "type" | "shape">): number {
  return TYPES[array.type].code * 256 + array.shape.length;
}

/**
 * Decodes IDX bytes (already decompressed).
 *
 * @param bytes The file's contents.
 * @param name The file's name for error messages.
 * @param expectedMagic If given, the magic number the file must have.
 * @returns The array.
 * @throws {DataFileError} On a wrong magic number, a truncated header or data, or extra bytes.
 */
export function decodeIdx(bytes: Uint8Array, name: string, expectedMagic?: number): IdxArray {
  const fail = (fault: string): never => {
    throw new DataFileError("IDX file", name, fault);
  };
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, too short for the 4-byte magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    fail(`expected magic ${hex(expectedMagic)}, got ${hex(magic)}`);
  }
  const type = (Object.keys(TYPES) as IdxType[]).find((t) => TYPES[t].code === bytes[2]);
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined) {
    fail(`not an IDX file (magic ${hex(magic)})`);
  }
  const info = TYPES[type!];
  const rank = bytes[3];
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) {
    fail(`truncated header: ${rank} dimensions need ${headerSize} bytes, file has ${bytes.length}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i));
  // Checked against the file's length before anything is allocated, so a header that claims
  // billions of items costs nothing.
  const count = shape.reduce((a, b) => a * b, 1);
  const dataSize = count * info.size;
  const actual = bytes.length - headerSize;
  if (actual < dataSize) {
    fail(
      `truncated: header says ${shape.join("×")} ${type} values (${dataSize} bytes), ` +
        `file has ${actual} bytes of data`,
    );
  }
  if (actual > dataSize) {
    fail(
      `size mismatch: header says ${shape.join("×")} ${type} values (${dataSize} bytes), ` +
        `file has ${actual - dataSize} extra bytes`,
    );
  }
  let data: IdxData;
  if (info.size === 1) {
    const slice = bytes.slice(headerSize);
    data = type === "uint8" ? slice : new Int8Array(slice.buffer);
  } else {
    data = info.make(count);
    for (let i = 0; i < count; i++) data[i] = info.get(view, headerSize + i * info.size);
  }
  return { type: type!, shape, data };
}

/**
 * Encodes an array as IDX bytes (uncompressed).
 *
 * @param array The array; `data.length` must equal the product of `shape`.
 * @returns The file's contents.
 * @throws {RangeError} If the shape and the data disagree.
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const info = TYPES[array.type];
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.shape.length > 255 || array.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`encodeIdx: invalid shape [${array.shape.join(", ")}]`);
  }
  if (count !== array.data.length) {
    throw new RangeError(
      `encodeIdx: shape [${
        array.shape.join(", ")
      }] holds ${count} values, data has ${array.data.length}`,
    );
  }
  const headerSize = 4 + 4 * array.shape.length;
  const bytes = new Uint8Array(headerSize + count * info.size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, idxMagic(array));
  array.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  if (array.type === "uint8" || array.type === "int8") {
    bytes.set(new Uint8Array(array.data.buffer, array.data.byteOffset, count), headerSize);
  } else {
    for (let i = 0; i < count; i++) info.set(view, headerSize + i * info.size, array.data[i]);
  }
  return bytes;
}
