import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { createGenerator } from "../src/models/create.ts";
import { setLatentMixture } from "../src/models/prior.ts";
import { Random } from "../src/random.ts";
import {
  interpolateLatents,
  sampleInterpolation,
  seedLatent,
  slerp,
} from "../src/sample/interpolate.ts";
import { sample } from "../src/sample/sample.ts";
import { assertRejects, assertThrows } from "./helpers.ts";

await selectBackend("wasm");

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

/** Image `i` of a set, as its own array. */
const imageOf = (set: { pixels: Float32Array; height: number; width: number }, i: number) =>
  set.pixels.slice(i * set.height * set.width, (i + 1) * set.height * set.width);

/** Small generators: lite's MLP with a short latent, conditional MLP and DCGAN on 8×8 images. */
function conditional(architecture: "mlp" | "dcgan") {
  return createGenerator({
    preset: architecture === "dcgan" ? "cdcgan" : "cgan",
    latentDim: 6,
    hiddenUnits: architecture === "dcgan" ? [8, 4] : [16],
    imageShape: [8, 8, 1],
    seed: 3,
  });
}

Deno.test("slerp turns a towards b at constant angular speed: cos(tΩ)·a + sin(tΩ)·(b − cos Ω·a)/sin Ω", () => {
  const random = new Random(1);
  for (const scaleB of [1, 1.3]) {
    const a = random.fillNormal(new Float32Array(100));
    const b = random.fillNormal(new Float32Array(100)).map((x) => x * scaleB);
    // The same rotation written another way: the part of b orthogonal to a, in float64.
    const omega = Math.acos(dot(a, b) / (norm(a) * norm(b)));
    for (const t of [0.1, 0.25, 0.5, 0.9]) {
      const got = slerp(a, b, t);
      const expected = Array.from(a, (x, i) =>
        Math.cos(t * omega) * x +
        Math.sin(t * omega) * (b[i] - Math.cos(omega) * x) / Math.sin(omega));
      const error = Math.max(...Array.from(got, (x, i) => Math.abs(x - expected[i])));
      ok(error < 1e-5, `t ${t}, |b|/|a| ${scaleB}: error ${error}`);
    }
  }
});

Deno.test("slerp keeps the length of equal-length vectors all the way, where lerp cuts to cos(Ω/2) of it", () => {
  const random = new Random(2);
  const a = random.fillNormal(new Float32Array(64));
  const raw = random.fillNormal(new Float32Array(64));
  const b = raw.map((x) => x * norm(a) / norm(raw));
  const r = norm(a);
  const omega = Math.acos(dot(a, b) / (r * r));
  const path = interpolateLatents(a, b, 9);
  const line = interpolateLatents(a, b, 9, "lerp");
  for (let i = 0; i < 9; i++) {
    const point = path.subarray(i * 64, (i + 1) * 64);
    ok(Math.abs(norm(point) / r - 1) < 1e-5, `step ${i}: |p| ${norm(point)}, r ${r}`);
    // The angle from a grows linearly in t.
    const angle = Math.acos(Math.min(1, dot(a, point) / (r * norm(point))));
    ok(Math.abs(angle - (i / 8) * omega) < 1e-4, `step ${i}: angle ${angle}`);
  }
  const middle = norm(line.subarray(4 * 64, 5 * 64));
  ok(Math.abs(middle / r - Math.cos(omega / 2)) < 1e-5, `lerp halfway: ${middle / r}`);
});

Deno.test("slerp's ends are exactly a and b; parallel vectors take the line; bad input refused", () => {
  const a = [0.1, -2.5, 3], b = [1e-7, 4, 0.3];
  deepEqual(slerp(a, b, 0), Float32Array.from(a));
  deepEqual(slerp(a, b, 1), Float32Array.from(b));
  const path = interpolateLatents(a, b, 5);
  deepEqual(path.subarray(0, 3), Float32Array.from(a));
  deepEqual(path.subarray(12, 15), Float32Array.from(b));
  deepEqual(slerp([1, 2], [2, 4], 0.5), Float32Array.from([1.5, 3]));
  deepEqual(slerp([0, 0], [2, 4], 0.5), Float32Array.from([1, 2]));
  assertThrows(() => slerp([1], [1, 2], 0.5), RangeError, "vectors of 1 and 2 values");
  assertThrows(() => slerp([1], [2], NaN), RangeError, "t must be a finite number");
  assertThrows(() => interpolateLatents(a, b, 1), RangeError, "steps must be an integer >= 2");
  assertThrows(
    () => interpolateLatents(a, b, 3, "cubic" as "lerp"),
    RangeError,
    'path must be "slerp" or "lerp"',
  );
});

Deno.test("seedLatent is the noise sample(n: 1) feeds the generator, from N(0, I) and from a mixture", async () => {
  const plain = createGenerator({ preset: "lite", seed: 1 });
  const mixed = createGenerator({ preset: "lite", seed: 1 });
  setLatentMixture(mixed, { components: 10, scale: 4 });
  // N(0, I): Random(seed)'s normals, as they come.
  deepEqual(seedLatent(plain, 7), new Random(7).fillNormal(new Float32Array(64)));
  const z = seedLatent(mixed, 7);
  // The mixture moves exactly one of the first 10 axes by 4.
  const moved = Array.from(z, (x, i) => x - seedLatent(plain, 7)[i]);
  equal(moved.filter((d) => d !== 0).length, 1);
  ok(moved.findIndex((d) => d !== 0) < 10 && Math.abs(Math.max(...moved) - 4) < 1e-6);
  for (const generator of [plain, mixed]) {
    const direct = tf.tidy(() =>
      (generator.apply(tf.tensor2d(seedLatent(generator, 7), [1, 64]), {
        training: false,
      }) as tf.Tensor)
        .dataSync()
    );
    deepEqual(direct, (await sample(generator, { n: 1, seed: 7 })).pixels);
  }
  plain.dispose();
  mixed.dispose();
});

Deno.test("a walk between two seeds starts and ends at sample's images of those seeds, pixel for pixel", async () => {
  const plain = createGenerator({ preset: "lite", seed: 1 });
  const mixed = createGenerator({ preset: "lite", seed: 2 });
  setLatentMixture(mixed, { components: 10, scale: 4 });
  for (const generator of [plain, mixed, conditional("mlp")]) {
    const walk = await sampleInterpolation(generator, { seeds: [11, 12], steps: 6 });
    equal(walk.count, 6);
    const [first, last] = [
      (await sample(generator, { n: 1, seed: 11 })).pixels,
      (await sample(generator, { n: 1, seed: 12 })).pixels,
    ];
    deepEqual(imageOf(walk, 0), first);
    deepEqual(imageOf(walk, 5), last);
    notDeepEqual(imageOf(walk, 2), first);
    notDeepEqual(imageOf(walk, 2), last);
    generator.dispose();
  }
});

for (const architecture of ["mlp", "dcgan"] as const) {
  Deno.test(`conditional ${architecture}: a morph from 3 to 8 starts at sample's 3 and ends at its 8, same seed`, async () => {
    const generator = conditional(architecture);
    const morph = await sampleInterpolation(generator, { seeds: 5, labels: [3, 8], steps: 5 });
    equal(morph.labels, undefined);
    const three = (await sample(generator, { n: 1, seed: 5, labels: 3 })).pixels;
    const eight = (await sample(generator, { n: 1, seed: 5, labels: 8 })).pixels;
    deepEqual(imageOf(morph, 0), three);
    deepEqual(imageOf(morph, 4), eight);
    // Halfway the label is (0.5, 0.5) on 3 and 8: what the generator makes of that mix, directly.
    const half = new Float32Array(10);
    half[3] = half[8] = 0.5;
    const direct = tf.tidy(() =>
      (generator.apply([
        tf.tensor2d(seedLatent(generator, 5), [1, 6]),
        tf.tensor2d(half, [1, 10]),
      ], { training: false }) as tf.Tensor).dataSync()
    );
    const error = Math.max(...Array.from(imageOf(morph, 2), (v, i) => Math.abs(v - direct[i])));
    ok(error < 1e-6, `halfway image off by ${error}`);
    notDeepEqual(imageOf(morph, 2), three);
    // One class throughout, and a walk in z with a morph at once.
    const sevens = await sampleInterpolation(generator, { seeds: [1, 2], labels: 7, steps: 3 });
    deepEqual(sevens.labels, Uint8Array.from([7, 7, 7]));
    deepEqual(imageOf(sevens, 2), (await sample(generator, { n: 1, seed: 2, labels: 7 })).pixels);
    const both = await sampleInterpolation(generator, { seeds: [1, 2], labels: [0, 9], steps: 3 });
    deepEqual(imageOf(both, 0), (await sample(generator, { n: 1, seed: 1, labels: 0 })).pixels);
    deepEqual(imageOf(both, 2), (await sample(generator, { n: 1, seed: 2, labels: 9 })).pixels);
    generator.dispose();
  });
}

Deno.test("sampleInterpolation leaves no tensor behind", async () => {
  const plain = createGenerator({ preset: "lite", seed: 1 });
  const cond = conditional("dcgan");
  await sampleInterpolation(plain, { seeds: [1, 2], steps: 3 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await sampleInterpolation(plain, { seeds: [1, 2], steps: 300 });
    await sampleInterpolation(cond, { seeds: 4, labels: [3, 8], steps: 4 });
    seedLatent(plain, i);
  }
  equal(tf.memory().numTensors, before);
  plain.dispose();
  cond.dispose();
});

Deno.test("sampleInterpolation refuses too few steps, bad seeds, and classes it does not have", async () => {
  const plain = createGenerator({ preset: "tutorial", seed: 1 });
  const cond = conditional("mlp");
  await assertRejects(
    () => sampleInterpolation(plain, { steps: 1 }),
    RangeError,
    "sampleInterpolation: steps must be an integer in [2, 100000], got 1",
  );
  await assertRejects(
    () => sampleInterpolation(plain, { seeds: [1, -1] }),
    RangeError,
    "seeds must be an integer in [0, 4294967295], got -1",
  );
  await assertRejects(
    () => sampleInterpolation(plain, { labels: 3 }),
    RangeError,
    "labels are for conditional generators",
  );
  await assertRejects(
    () => sampleInterpolation(cond, { labels: [3, 12] }),
    RangeError,
    "label 12 is not a class of this generator (0–9)",
  );
  plain.dispose();
  cond.dispose();
});
