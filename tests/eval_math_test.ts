import { deepEqual, equal, ok } from "node:assert/strict";
import { featureStatistics, frechetDistance } from "../src/eval/fid.ts";
import { matMul64, sqrtmSymmetric, symmetricEigen, traceSqrtProduct } from "../src/eval/linalg.ts";
import { classScores } from "../src/eval/scores.ts";
import { Random } from "../src/random.ts";
import { assertThrows } from "./helpers.ts";

/** A random orthogonal matrix: Gram–Schmidt on normal columns. */
function randomOrthogonal(n: number, random: Random): Float64Array {
  const q = Float64Array.from(random.fillNormal(new Float32Array(n * n)));
  for (let c = 0; c < n; c++) {
    for (let prev = 0; prev < c; prev++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += q[r * n + c] * q[r * n + prev];
      for (let r = 0; r < n; r++) q[r * n + c] -= dot * q[r * n + prev];
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * n + c] ** 2;
    for (let r = 0; r < n; r++) q[r * n + c] /= Math.sqrt(norm);
  }
  return q;
}

function transpose(a: Float64Array, n: number): Float64Array {
  return Float64Array.from({ length: n * n }, (_, i) => a[(i % n) * n + Math.floor(i / n)]);
}

/** Q · diag(values) · Qᵀ. */
function fromEigen(q: Float64Array, values: number[], n: number): Float64Array {
  const scaled = Float64Array.from(q, (v, i) => v * values[i % n]);
  return matMul64(scaled, transpose(q, n), n);
}

/** A random symmetric positive definite matrix B·Bᵀ + εI. */
function randomSpd(n: number, random: Random, epsilon = 1e-3): Float64Array {
  const b = Float64Array.from(random.fillNormal(new Float32Array(n * n)));
  const a = matMul64(b, transpose(b, n), n);
  for (let i = 0; i < n; i++) a[i * n + i] += epsilon;
  return a;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function maxAbs(a: ArrayLike<number>): number {
  return maxAbsDiff(a, new Float64Array(a.length));
}

Deno.test("symmetricEigen recovers the eigenvalues a matrix was built from, with orthonormal vectors", () => {
  const random = new Random(7);
  for (const n of [1, 2, 5, 64]) {
    const q = randomOrthogonal(n, random);
    // Spread over 12 orders of magnitude, with a repeated value and a zero.
    const values = Array.from({ length: n }, (_, i) => i === 1 ? 0 : 10 ** (6 - (12 * i) / n));
    if (n > 3) values[3] = values[2];
    const a = fromEigen(q, values, n);
    const eigen = symmetricEigen(a, n);
    const expected = [...values].sort((x, y) => y - x);
    ok(maxAbsDiff(eigen.values, expected) < 1e-9 * expected[0], `n = ${n}: ${eigen.values}`);
    // A·v = λ·v, and VᵀV = I.
    const av = matMul64(a, eigen.vectors, n);
    const vl = Float64Array.from(eigen.vectors, (v, i) => v * eigen.values[i % n]);
    ok(maxAbsDiff(av, vl) < 1e-9 * expected[0], `n = ${n}: A·V = V·Λ`);
    const identity = Float64Array.from({ length: n * n }, (_, i) => i % (n + 1) === 0 ? 1 : 0);
    ok(maxAbsDiff(matMul64(transpose(eigen.vectors, n), eigen.vectors, n), identity) < 1e-12);
  }
});

Deno.test("symmetricEigen of a 2×2 matrix matches the closed form", () => {
  const [a, b, d] = [3, 1.5, -2];
  const mean = (a + d) / 2;
  const radius = Math.sqrt(((a - d) / 2) ** 2 + b * b);
  const { values } = symmetricEigen(new Float64Array([a, b, b, d]), 2);
  ok(maxAbsDiff(values, [mean + radius, mean - radius]) < 1e-14);
});

Deno.test("symmetricEigen rejects a wrong size and non-finite values", () => {
  assertThrows(() => symmetricEigen(new Float64Array(5), 2), RangeError, "expected 2×2 = 4 values");
  assertThrows(
    () => symmetricEigen(new Float64Array([1, NaN, NaN, 1]), 2),
    RangeError,
    "NaN or infinite",
  );
});

Deno.test("sqrtmSymmetric of a random SPD matrix squares back to it", () => {
  const random = new Random(3);
  for (const n of [3, 16, 64]) {
    const a = randomSpd(n, random);
    const root = sqrtmSymmetric(a, n);
    ok(maxAbsDiff(matMul64(root, root, n), a) < 1e-10 * maxAbs(a), `n = ${n}`);
    ok(maxAbsDiff(root, transpose(root, n)) < 1e-12 * maxAbs(root), "symmetric");
    // The principal root is positive semi-definite.
    ok(symmetricEigen(root, n).values[n - 1] > 0);
  }
  // A singular PSD matrix: rank 1.
  const v = [1, 2, 3];
  const rankOne = Float64Array.from({ length: 9 }, (_, i) => v[Math.floor(i / 3)] * v[i % 3]);
  const root = sqrtmSymmetric(rankOne, 3);
  ok(maxAbsDiff(matMul64(root, root, 3), rankOne) < 1e-12);
});

Deno.test("traceSqrtProduct equals tr √(A·B) from the 2×2 closed form", () => {
  // For 2×2 M with positive eigenvalues: tr √M = √(tr M + 2 √det M).
  const random = new Random(11);
  for (let trial = 0; trial < 20; trial++) {
    const a = randomSpd(2, random, 0.1);
    const b = randomSpd(2, random, 0.1);
    const m = matMul64(a, b, 2);
    const det = m[0] * m[3] - m[1] * m[2];
    const expected = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(det));
    ok(Math.abs(traceSqrtProduct(a, b, 2) - expected) < 1e-10 * expected);
  }
});

Deno.test("frechetDistance of Gaussians with commuting covariances matches the closed form", () => {
  // Same eigenvectors Q: FID = |μ₁ − μ₂|² + Σ (√λᵢ − √νᵢ)².
  const random = new Random(5);
  const n = 8;
  const q = randomOrthogonal(n, random);
  const lambda = Array.from({ length: n }, () => 0.1 + 4 * random.uniform());
  const nu = Array.from({ length: n }, () => 0.1 + 4 * random.uniform());
  const mu1 = Float64Array.from({ length: n }, () => random.uniform());
  const mu2 = Float64Array.from({ length: n }, () => random.uniform());
  let expected = 0;
  for (let i = 0; i < n; i++) {
    expected += (mu1[i] - mu2[i]) ** 2 + (Math.sqrt(lambda[i]) - Math.sqrt(nu[i])) ** 2;
  }
  const fid = frechetDistance(
    { dim: n, mean: mu1, covariance: fromEigen(q, lambda, n) },
    { dim: n, mean: mu2, covariance: fromEigen(q, nu, n) },
  );
  ok(Math.abs(fid - expected) < 1e-10 * expected, `${fid} vs ${expected}`);
  // A distribution is at distance 0 from itself.
  const self = { dim: n, mean: mu1, covariance: fromEigen(q, lambda, n) };
  ok(frechetDistance(self, self) < 1e-10);
  assertThrows(
    () =>
      frechetDistance(self, { dim: 2, mean: new Float64Array(2), covariance: new Float64Array(4) }),
    RangeError,
    "different sizes",
  );
});

Deno.test("frechetDistance of two sampled Gaussian feature sets approaches the closed form", () => {
  // X ~ N(0, diag(1, 4, 9)), Y ~ N((1, 0, 2), diag(4, 4, 1)): FID = 1 + 4 + (1−2)² + 0 + (3−1)² = 10.
  const random = new Random(9);
  const count = 50_000;
  const draw = (mean: number[], sd: number[]) => {
    const out = random.fillNormal(new Float32Array(count * 3));
    for (let i = 0; i < out.length; i++) out[i] = mean[i % 3] + sd[i % 3] * out[i];
    return out;
  };
  const x = featureStatistics(draw([0, 0, 0], [1, 2, 3]), 3);
  const y = featureStatistics(draw([1, 0, 2], [2, 2, 1]), 3);
  equal(x.count, count);
  const fid = frechetDistance(x, y);
  ok(Math.abs(fid - 10) < 0.15, `FID ${fid}, expected 10`);
});

Deno.test("featureStatistics gives the mean and the unbiased covariance", () => {
  const { mean, covariance, count, dim } = featureStatistics(
    new Float32Array([0, 0, 1, 0, 2, 3]),
    2,
  );
  deepEqual([count, dim], [3, 2]);
  deepEqual([...mean], [1, 1]);
  deepEqual([...covariance], [1, 1.5, 1.5, 3]);
  assertThrows(() => featureStatistics(new Float32Array(2), 2), RangeError, "at least two vectors");
});

Deno.test("classScores: IS, shares, coverage and confidence from probabilities", () => {
  // Confident and balanced over 4 classes: IS = 4.
  const balanced = new Float32Array(16);
  for (let i = 0; i < 4; i++) balanced[i * 4 + i] = 1;
  const a = classScores(balanced, { classes: 4 });
  ok(Math.abs(a.inceptionScore - 4) < 1e-6);
  deepEqual(a.classShare, [0.25, 0.25, 0.25, 0.25]);
  equal(a.coverage, 4);
  equal(a.confidence, 1);
  // One class only: IS = 1, coverage 1.
  const one = classScores(new Float32Array([0, 1, 0, 1, 0, 1]), { classes: 2 });
  ok(Math.abs(one.inceptionScore - 1) < 1e-9);
  equal(one.coverage, 1);
  // Uniform predictions: IS = 1, confidence 1/classes.
  const uniform = classScores(new Float32Array(20).fill(0.25), { classes: 4 });
  ok(Math.abs(uniform.inceptionScore - 1) < 1e-6);
  ok(Math.abs(uniform.confidence - 0.25) < 1e-7);
  // Against a direct computation of exp(mean KL) on random rows.
  const random = new Random(2);
  const rows = 50;
  const p = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const raw = [random.uniform(), random.uniform(), random.uniform()];
    const sum = raw[0] + raw[1] + raw[2];
    raw.forEach((v, c) => p[i * 3 + c] = v / sum);
  }
  const marginal = [0, 1, 2].map((c) =>
    p.filter((_, j) => j % 3 === c).reduce((s, v) => s + v, 0) / rows
  );
  let kl = 0;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < 3; c++) kl += p[i * 3 + c] * Math.log(p[i * 3 + c] / marginal[c]);
  }
  ok(Math.abs(classScores(p, { classes: 3 }).inceptionScore - Math.exp(kl / rows)) < 1e-9);
});
