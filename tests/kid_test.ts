import { equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { kernelDistance } from "../src/eval/kid.ts";
import { Random } from "../src/random.ts";
import { assertRejects } from "./helpers.ts";

await selectBackend("wasm");

/** `count` vectors of N(shift, scale²·I) in `dim` dimensions. */
function gaussian(random: Random, count: number, dim: number, shift = 0, scale = 1): Float32Array {
  return random.fillNormal(new Float32Array(count * dim)).map((v) => scale * v + shift);
}

/** The kernel in float64, straight from its definition. */
function kernel(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let dot = 0;
  for (let c = 0; c < dim; c++) dot += a[i * dim + c] * b[j * dim + c];
  return (dot / dim + 1) ** 3;
}

/** The unbiased MMD² of all of x and all of y by a double loop in float64 (or the biased one). */
function directMmd(x: Float32Array, y: Float32Array, dim: number, biased = false): number {
  const m = x.length / dim, n = y.length / dim;
  let xx = 0, yy = 0, xy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) if (biased || i !== j) xx += kernel(x, i, x, j, dim);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (biased || i !== j) yy += kernel(y, i, y, j, dim);
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xy += kernel(x, i, y, j, dim);
  return biased
    ? xx / (m * m) + yy / (n * n) - 2 * xy / (m * n)
    : xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n);
}

Deno.test("kernelDistance with subsets of all vectors is the double loop's unbiased MMD²", async () => {
  const random = new Random(3);
  const dim = 8;
  const x = gaussian(random, 150, dim), y = gaussian(random, 150, dim, 0.3, 1.2);
  const expected = directMmd(x, y, dim);
  const result = await kernelDistance(x, y, dim, { subsets: 4 });
  equal(result.subsetSize, 150);
  equal(result.subsets, 4);
  ok(expected > 0.05, `the sets differ: ${expected}`);
  // Every subset holds all vectors, so all four estimates are the one number.
  ok(
    Math.abs(result.kid - expected) < 1e-5 * Math.max(1, expected),
    `${result.kid} vs ${expected}`,
  );
  ok(result.std < 1e-6, `std ${result.std}`);
});

Deno.test("kernelDistance over smaller subsets averages to the full sets' MMD²", async () => {
  const random = new Random(5);
  const dim = 6;
  const x = gaussian(random, 300, dim), y = gaussian(random, 240, dim, 0.2);
  const full = directMmd(x, y, dim);
  const result = await kernelDistance(x, y, dim, { subsets: 200, subsetSize: 60, seed: 2 });
  equal(result.subsetSize, 60);
  ok(result.std > 0, "subsets differ");
  // Each subset's estimate is unbiased for the population MMD², like the full-data one; their
  // mean lands within a few standard errors of it.
  const standardError = result.std / Math.sqrt(200);
  ok(
    Math.abs(result.kid - full) < 4 * standardError + 0.1 * Math.abs(full),
    `${result.kid} vs ${full} (standard error ${standardError})`,
  );
  const again = await kernelDistance(x, y, dim, { subsets: 200, subsetSize: 60, seed: 2 });
  equal(again.kid, result.kid);
  const other = await kernelDistance(x, y, dim, { subsets: 200, subsetSize: 60, seed: 3 });
  ok(other.kid !== result.kid, "another seed draws other subsets");
});

Deno.test("kernelDistance is unbiased at n = 10: two samples of one distribution average to 0", async () => {
  const random = new Random(11);
  const dim = 4, n = 10, repeats = 300;
  const values: number[] = [], biased: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const x = gaussian(random, n, dim), y = gaussian(random, n, dim);
    values.push((await kernelDistance(x, y, dim, { subsets: 1 })).kid);
    biased.push(directMmd(x, y, dim, true));
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(mean(values.map((v) => (v - mean(values)) ** 2)));
  const standardError = sd / Math.sqrt(repeats);
  ok(Math.abs(mean(values)) < 3.5 * standardError, `mean ${mean(values)} ± ${standardError}`);
  ok(values.some((v) => v < 0), "unbiased estimates fall below 0 too");
  // The biased (V-statistic) estimate of the same pairs sits far above 0: the test can tell.
  ok(mean(biased) > 10 * standardError, `biased mean ${mean(biased)}`);
  // A shifted distribution at the same n scores clearly higher.
  const shifted: number[] = [];
  for (let r = 0; r < 50; r++) {
    const x = gaussian(random, n, dim), y = gaussian(random, n, dim, 1);
    shifted.push((await kernelDistance(x, y, dim, { subsets: 1 })).kid);
  }
  ok(mean(shifted) > 20 * standardError, `shifted ${mean(shifted)}`);
});

Deno.test("kernelDistance grows with the shift between the sets", async () => {
  const random = new Random(7);
  const dim = 16;
  const base = gaussian(random, 400, dim);
  const kids: number[] = [];
  for (const shift of [0, 0.25, 0.5, 1]) {
    const other = gaussian(random, 400, dim, shift);
    kids.push((await kernelDistance(base, other, dim, { subsets: 20, subsetSize: 200 })).kid);
  }
  ok(Math.abs(kids[0]) < 0.02, `same distribution: ${kids[0]}`);
  for (let i = 1; i < kids.length; i++) ok(kids[i] > kids[i - 1], `${kids}`);
});

Deno.test("kernelDistance leaves no tensors behind and rejects sets of fewer than two vectors", async () => {
  const random = new Random(1);
  const x = gaussian(random, 50, 3), y = gaussian(random, 40, 3);
  await kernelDistance(x, y, 3, { subsets: 2 });
  const before = tf.memory().numTensors;
  const result = await kernelDistance(x, y, 3, { subsets: 3, subsetSize: 20 });
  equal(tf.memory().numTensors, before);
  equal(result.subsetSize, 20);
  // The defaults as a caller meets them: 100 subsets of at most 1000.
  const defaults = await kernelDistance(x, y, 3);
  equal(defaults.subsets, 100);
  equal(defaults.subsetSize, 40);
  await assertRejects(
    () => kernelDistance(new Float32Array(3), y, 3),
    RangeError,
    "x needs at least two vectors of 3 values, got 3 values",
  );
  await assertRejects(
    () => kernelDistance(x, y, 3, { subsetSize: 1 }),
    RangeError,
    "subsetSize",
  );
});
