/**
 * The copying kernels (src/backend/kernels/copies.ts) against tf.js's cpu backend, bit for bit, on
 * random shapes, axes and inputs; and `Concat`'s gradient, computed only for the inputs asked for.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { selectBackend } from "../src/backend/select.ts";
import { heapKernels } from "../src/backend/kernels/module.ts";
import { Random } from "../src/random.ts";

const random = new Random(25);
const randomInt = (lo: number, hi: number) => lo + random.int(hi - lo + 1);
const randomShape = (rank: number, hi = 6) => Array.from({ length: rank }, () => randomInt(1, hi));
const DTYPES = ["float32", "int32", "bool"] as const;

/** Random values for a tensor of a shape and dtype. */
function randomValues(shape: number[], dtype: (typeof DTYPES)[number] = "float32"): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === "float32") return Array.from(random.fillNormal(new Float32Array(n)));
  const lo = dtype === "bool" ? 0 : -1000, hi = dtype === "bool" ? 1 : 1000;
  return Array.from({ length: n }, () => randomInt(lo, hi));
}

/** Each output's bytes, on the cpu backend and on wasm with our kernels. */
async function bothBytes(f: () => tf.Tensor | tf.Tensor[]): Promise<[Uint8Array[], Uint8Array[]]> {
  const run = () =>
    tf.tidy(() => {
      const out = f();
      return (Array.isArray(out) ? out : [out]).map((t) => {
        const data = t.dataSync();
        return new Uint8Array(
          data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
        );
      });
    });
  await selectBackend("cpu");
  const cpu = run();
  await selectBackend("wasm", { threads: 1 });
  return [cpu, run()];
}

Deno.test("outputs that grow the heap are written in full (views of the heap are made after them)", async () => {
  await selectBackend("wasm", { threads: 1 });
  const heap = () => heapKernels(tf.backend()).memory.buffer.byteLength;
  // Each output is larger than the heap was before it: making it must grow the heap.
  const floats = heap() / 4;
  const half = Math.ceil(floats / 2);
  const a = tf.fill([2, half], 1.5), b = tf.fill([2, half], -2);
  let before = heap();
  const joined = tf.concat([a, b], 1); // (2, 2·half)
  ok(heap() > before, "the concat grew the heap");
  const data = joined.dataSync();
  ok(
    data.subarray(0, half).every((v) => v === 1.5) &&
      data.subarray(half, 2 * half).every((v) => v === -2),
  );
  ok(data.subarray(3 * half).every((v) => v === -2));
  before = heap();
  const parts = tf.split(joined, [half + 1, half - 1], 1);
  ok(heap() > before, "the split grew the heap");
  const [first, second] = parts.map((t) => t.dataSync());
  equal(first[half], -2);
  equal(first[half + 1], 1.5);
  ok(second.every((v) => v === -2));
  tf.dispose([a, b, joined, ...parts]);
  before = heap();
  const side = Math.ceil(Math.sqrt(heap() / 4 / 3)) + 1;
  const maps = tf.image.resizeNearestNeighbor(tf.tensor4d([1, 2, 3], [1, 1, 1, 3]), [side, side]);
  ok(heap() > before, "the resize grew the heap");
  const pixels = maps.dataSync();
  ok(pixels.every((v, i) => v === (i % 3) + 1));
  maps.dispose();
});

Deno.test("Concat on our kernel gives the cpu backend's bits: random shapes, axes, 2 to 4 inputs, every dtype", async () => {
  for (let trial = 0; trial < 40; trial++) {
    const rank = randomInt(1, 4);
    const axis = randomInt(-rank, rank - 1);
    const dtype = DTYPES[trial % 3];
    const shape = randomShape(rank);
    // Widths along the axis: some 0 (tf.js skips empty inputs), some long rows.
    const widths = Array.from({ length: randomInt(2, 4) }, () => randomInt(0, trial % 4 ? 5 : 40));
    const shapes = widths.map((w) => shape.map((d, i) => (i === (axis + rank) % rank ? w : d)));
    const data = shapes.map((s) => randomValues(s, dtype));
    const [cpu, ours] = await bothBytes(() =>
      tf.concat(data.map((d, i) => tf.tensor(d, shapes[i], dtype)), axis)
    );
    deepEqual(ours, cpu, `concat of ${JSON.stringify(shapes)} along ${axis} (${dtype})`);
  }
});

Deno.test("the conditional DCGAN's label join (1 + 10 channels of 28×28) is copied exactly", async () => {
  const image = { shape: [8, 28, 28, 1] }, maps = { shape: [8, 28, 28, 10] };
  const [imageData, mapData] = [randomValues(image.shape), randomValues(maps.shape)];
  const [cpu, ours] = await bothBytes(() =>
    [
      tf.concat([tf.tensor(imageData, image.shape), tf.tensor(mapData, maps.shape)], 3),
      tf.split(tf.concat([tf.tensor(imageData, image.shape), tf.tensor(mapData, maps.shape)], 3), [
        1,
        10,
      ], 3),
    ].flat()
  );
  deepEqual(ours, cpu);
  equal(ours[0].length, 8 * 28 * 28 * 11 * 4);
});

Deno.test("SplitV on our kernel gives the cpu backend's bits: sizes, a count, -1, empty parts", async () => {
  for (let trial = 0; trial < 30; trial++) {
    const rank = randomInt(1, 4);
    const axis = randomInt(-rank, rank - 1);
    const dtype = DTYPES[trial % 3];
    const shape = randomShape(rank, 7);
    const length = shape[(axis + rank) % rank];
    let splits: number | number[];
    if (trial % 3 === 0) {
      splits = [1, 2, 3, 4, 6, 7].filter((k) => length % k === 0)[randomInt(0, 1)] ?? 1;
    } else {
      const cut = randomInt(0, length);
      splits = trial % 3 === 1 ? [cut, length - cut] : [cut, -1];
    }
    const data = randomValues(shape, dtype);
    const [cpu, ours] = await bothBytes(() =>
      tf.split(tf.tensor(data, shape, dtype), splits, axis)
    );
    deepEqual(ours, cpu, `split of ${shape} along ${axis} into ${splits} (${dtype})`);
  }
});

Deno.test("Slice on our kernel gives the cpu backend's bits: ranks 1 to 5, any begin and size, -1", async () => {
  for (let trial = 0; trial < 60; trial++) {
    const rank = randomInt(1, 5);
    const dtype = DTYPES[trial % 3];
    const shape = randomShape(rank, 6);
    const begin = shape.map((d) => randomInt(0, d - 1));
    const size = shape.map((d, i) =>
      random.uniform() < 0.2
        ? -1
        : random.uniform() < 0.3
        ? d - begin[i]
        : randomInt(0, d - begin[i])
    );
    const data = randomValues(shape, dtype);
    const [cpu, ours] = await bothBytes(() => tf.slice(tf.tensor(data, shape, dtype), begin, size));
    deepEqual(ours, cpu, `slice of ${shape} at ${begin} size ${size} (${dtype})`);
  }
});

Deno.test("ResizeNearestNeighbor from 1×1 maps on our kernel gives the cpu backend's bits; other sizes too", async () => {
  for (
    const [b, h, w, c, newH, newW] of [[3, 1, 1, 10, 28, 28], [2, 1, 1, 3, 5, 1], [
      1,
      1,
      1,
      1,
      1,
      7,
    ], [
      2,
      2,
      3,
      4,
      5,
      7,
    ]]
  ) {
    for (const alignCorners of [false, true]) {
      for (const halfPixelCenters of alignCorners ? [false] : [false, true]) {
        const data = randomValues([b, h, w, c]);
        const [cpu, ours] = await bothBytes(() =>
          tf.image.resizeNearestNeighbor(
            tf.tensor4d(data, [b, h, w, c]),
            [newH, newW],
            alignCorners,
            halfPixelCenters,
          )
        );
        deepEqual(ours, cpu, `${[b, h, w, c]} -> ${[newH, newW]}`);
      }
    }
  }
});

Deno.test("Concat's gradient is tf.js's, and only the parts the tape asks for are sliced", async () => {
  const shapes = [[4, 5, 5, 1], [4, 5, 5, 10], [4, 5, 5, 3]];
  const values = shapes.map((s) => randomValues(s));
  const weights = randomValues([4, 5, 5, 14]);
  const gradients = () => {
    const [a, b, c] = values.map((v, i) => tf.tensor(v, shapes[i]));
    const w = tf.tensor(weights, [4, 5, 5, 14]);
    const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(tf.mul(tf.square(tf.concat([x, y, z], 3)), w));
    return tf.grads(loss)([a, b, c]);
  };
  const [cpu, ours] = await bothBytes(gradients);
  deepEqual(ours, cpu);
  // Only the first input is a variable: one slice of dy, no split.
  const a = tf.variable(tf.tensor(values[0], shapes[0]));
  const [b, c] = [1, 2].map((i) => tf.tensor(values[i], shapes[i]));
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(tf.concat([a, b, c], 3))),
      [a],
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  const names = info.kernels.map((k) => k.name);
  equal(names.filter((n) => n === "Slice").length, 1, names.join(" "));
  equal(names.filter((n) => n === "SplitV").length, 0);
  tf.dispose([a, b, c]);
});
