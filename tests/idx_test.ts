import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { decodeIdx, encodeIdx, IDX_IMAGES_MAGIC, type IdxArray } from "../src/data/idx.ts";
import { readIdx, writeIdx } from "../src/data/idx_file.ts";
import { DataFileError } from "../src/errors.ts";
import { assertRejects, assertThrows } from "./helpers.ts";

/** A header written by hand, big-endian, independent of encodeIdx. */
function header(typeCode: number, dims: number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length);
  bytes[2] = typeCode;
  bytes[3] = dims.length;
  dims.forEach((d, i) => {
    bytes[4 + 4 * i] = (d >>> 24) & 255;
    bytes[5 + 4 * i] = (d >>> 16) & 255;
    bytes[6 + 4 * i] = (d >>> 8) & 255;
    bytes[7 + 4 * i] = d & 255;
  });
  return bytes;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

Deno.test("decodeIdx reads a hand-written uint8 file: magic, big-endian dims, row-major data", () => {
  const bytes = concat(header(0x08, [2, 2, 3]), Uint8Array.from({ length: 12 }, (_, i) => i * 20));
  const array = decodeIdx(bytes, "hand.idx", IDX_IMAGES_MAGIC);
  equal(array.type, "uint8");
  deepEqual(array.shape, [2, 2, 3]);
  deepEqual([...array.data], Array.from({ length: 12 }, (_, i) => i * 20));
});

Deno.test("decodeIdx reads big-endian int16 and float32 values", () => {
  const int16 = concat(header(0x0b, [2]), new Uint8Array([0x01, 0x02, 0xff, 0xfe]));
  deepEqual([...decodeIdx(int16, "a").data], [258, -2]);
  const float = concat(header(0x0d, [1]), new Uint8Array([0x3f, 0xc0, 0x00, 0x00]));
  deepEqual([...decodeIdx(float, "b").data], [1.5]);
});

Deno.test("encodeIdx and decodeIdx round-trip every type", () => {
  const arrays: IdxArray[] = [
    { type: "uint8", shape: [3, 2], data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
    { type: "int8", shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { type: "int16", shape: [2, 2], data: new Int16Array([-32768, -2, 3, 32767]) },
    { type: "int32", shape: [3], data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]) },
    { type: "float32", shape: [2], data: new Float32Array([Math.fround(0.1), -3.5e38]) },
    { type: "float64", shape: [1, 1, 2], data: new Float64Array([Math.PI, -0]) },
  ];
  for (const array of arrays) {
    const back = decodeIdx(encodeIdx(array), array.type);
    equal(back.type, array.type);
    deepEqual(back.shape, array.shape);
    deepEqual([...back.data], [...array.data]);
  }
});

Deno.test("decodeIdx rejects a wrong magic number, naming the file and both numbers", () => {
  const labels = concat(header(0x08, [2]), new Uint8Array(2));
  const error = throwsDataError(() => decodeIdx(labels, "labels.idx", IDX_IMAGES_MAGIC));
  equal(
    error.message,
    'Cannot read IDX file "labels.idx": expected magic 0x00000803, got 0x00000801',
  );
});

Deno.test("decodeIdx rejects truncated data, a truncated header, extra bytes and non-IDX bytes", () => {
  const truncated = concat(header(0x08, [10, 28, 28]), new Uint8Array(100));
  match(
    throwsDataError(() => decodeIdx(truncated, "t.idx")).message,
    /"t\.idx": truncated: header says 10×28×28 uint8 values \(7840 bytes\), file has 100/,
  );
  match(
    throwsDataError(() => decodeIdx(header(0x08, [5, 5]).slice(0, 7), "h.idx")).message,
    /truncated header/,
  );
  match(throwsDataError(() => decodeIdx(new Uint8Array([0, 0]), "tiny")).message, /too short/);
  const extra = concat(header(0x08, [2]), new Uint8Array(5));
  match(
    throwsDataError(() => decodeIdx(extra, "e.idx")).message,
    /size mismatch: .* 3 extra bytes/,
  );
  match(
    throwsDataError(() => decodeIdx(new TextEncoder().encode("hello world"), "x.txt")).message,
    /not an IDX file/,
  );
});

Deno.test("decodeIdx checks a header claiming billions of images against the file size first", () => {
  const huge = concat(header(0x08, [4_000_000_000, 28, 28]), new Uint8Array(16));
  match(
    throwsDataError(() => decodeIdx(huge, "huge.idx")).message,
    /truncated: header says 4000000000×28×28/,
  );
});

Deno.test("encodeIdx refuses data that does not fill its shape", () => {
  assertThrows(
    () => encodeIdx({ type: "uint8", shape: [2, 2], data: new Uint8Array(3) }),
    RangeError,
  );
});

Deno.test("readIdx reads plain and gzip files alike and writeIdx compresses .gz names", async () => {
  const dir = await Deno.makeTempDir();
  const array: IdxArray = {
    type: "uint8",
    shape: [2, 3],
    data: new Uint8Array([1, 2, 3, 4, 5, 6]),
  };
  await writeIdx(join(dir, "a.idx"), array);
  await writeIdx(join(dir, "a.idx.gz"), array);
  const gz = await Deno.readFile(join(dir, "a.idx.gz"));
  deepEqual([gz[0], gz[1]], [0x1f, 0x8b]);
  deepEqual([...(await readIdx(join(dir, "a.idx"))).data], [1, 2, 3, 4, 5, 6]);
  deepEqual([...(await readIdx(join(dir, "a.idx.gz"))).data], [1, 2, 3, 4, 5, 6]);
  // Gzip recognised by content, whatever the name.
  await Deno.writeFile(join(dir, "b.idx"), new Uint8Array(gzipSync(encodeIdx(array))));
  deepEqual((await readIdx(join(dir, "b.idx"))).shape, [2, 3]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readIdx names a missing file, a directory, a bad gzip stream and a truncated .gz", async () => {
  const dir = await Deno.makeTempDir();
  const missing = join(dir, "nope.idx");
  await assertRejects(
    () => readIdx(missing),
    DataFileError,
    `Cannot read IDX file "${missing}": no such file`,
  );
  await assertRejects(() => readIdx(dir), DataFileError, "is a directory");
  await Deno.writeFile(join(dir, "bad.gz"), new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4]));
  await assertRejects(() => readIdx(join(dir, "bad.gz")), DataFileError, "bad gzip data");
  const gz = new Uint8Array(
    gzipSync(encodeIdx({ type: "uint8", shape: [1000], data: new Uint8Array(1000) })),
  );
  await Deno.writeFile(join(dir, "cut.gz"), gz.slice(0, gz.length - 10));
  await assertRejects(() => readIdx(join(dir, "cut.gz")), DataFileError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeIdx replaces a file atomically and leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "x.idx");
  await writeIdx(path, { type: "uint8", shape: [1], data: new Uint8Array([1]) });
  await writeIdx(path, { type: "uint8", shape: [2], data: new Uint8Array([7, 8]) });
  deepEqual([...(await readIdx(path)).data], [7, 8]);
  deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.idx"]);
  await Deno.remove(dir, { recursive: true });
});

function throwsDataError(fn: () => unknown): DataFileError {
  try {
    fn();
  } catch (error) {
    ok(error instanceof DataFileError, `expected DataFileError, got ${error}`);
    return error as DataFileError;
  }
  throw new Error("expected a DataFileError, nothing was thrown");
}
