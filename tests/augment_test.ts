/**
 * DiffAugment and ADA's probability (src/train/augment.ts): each augmentation against a per-pixel
 * reference written from the official code's formulas, drawing from the same seed; the gradient
 * (first and second order) against the reference's own matrix; repeatability; no leaks.
 */
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { type BackendName, selectBackend } from "../src/backend/select.ts";
import { Random } from "../src/random.ts";
import {
  AdaptiveProbability,
  augment,
  AUGMENT_NAMES,
  type AugmentName,
  checkAugmentNames,
  parseAugmentNames,
} from "../src/train/augment.ts";

await selectBackend("wasm");

type Shape = [number, number, number, number];
const BACKENDS: BackendName[] = ["wasm", "cpu"];

/** Runs `body` on each backend, ending on wasm. */
async function onEachBackend(body: (backend: BackendName) => void): Promise<void> {
  for (const backend of BACKENDS) {
    await selectBackend(backend);
    body(backend);
  }
  await selectBackend("wasm");
}

/** Pixels uniform in [−1, 1], as float32. */
function images(shape: Shape, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from(
    { length: shape.reduce((a, b) => a * b) },
    () => 2 * random.uniform() - 1,
  );
}

/**
 * The augmentations pixel by pixel in float64, from the official DiffAugment_pytorch.py's
 * formulas (translation reads a zero-padded image at i + shift; cutout zeroes a clamped index
 * grid), drawing in the documented order: per augmentation, per sample, the choice (p < 1), then
 * its numbers.
 */
function reference(
  x: ArrayLike<number>,
  shape: Shape,
  names: readonly AugmentName[],
  p: number,
  random: Random,
): Float64Array {
  const [B, H, W, C] = shape;
  const at = (b: number, i: number, j: number, c: number) => ((b * H + i) * W + j) * C + c;
  let y = Float64Array.from(x);
  if (p === 0) return y;
  for (const name of ["color", "translation", "cutout"] as const) {
    if (!names.includes(name)) continue;
    const out = Float64Array.from(y);
    for (let b = 0; b < B; b++) {
      if (p < 1 && !(random.uniform() < p)) continue;
      if (name === "color") {
        const brightness = random.uniform() - 0.5;
        for (let i = 0; i < H * W * C; i++) out[b * H * W * C + i] += brightness;
        if (C > 1) {
          const factor = random.uniform() * 2;
          for (let i = 0; i < H; i++) {
            for (let j = 0; j < W; j++) {
              let mean = 0;
              for (let c = 0; c < C; c++) mean += out[at(b, i, j, c)] / C;
              for (let c = 0; c < C; c++) {
                out[at(b, i, j, c)] = (out[at(b, i, j, c)] - mean) * factor + mean;
              }
            }
          }
        }
        const factor = random.uniform() + 0.5;
        let mean = 0;
        for (let i = 0; i < H * W * C; i++) mean += out[b * H * W * C + i] / (H * W * C);
        for (let i = 0; i < H * W * C; i++) {
          out[b * H * W * C + i] = (out[b * H * W * C + i] - mean) * factor + mean;
        }
      } else if (name === "translation") {
        const sx = Math.floor(H / 8), sy = Math.floor(W / 8);
        const tx = random.int(2 * sx + 1) - sx, ty = random.int(2 * sy + 1) - sy;
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < W; j++) {
            for (let c = 0; c < C; c++) {
              const si = i + tx, sj = j + ty;
              const inside = si >= 0 && si < H && sj >= 0 && sj < W;
              out[at(b, i, j, c)] = inside ? y[at(b, si, sj, c)] : 0;
            }
          }
        }
      } else {
        const [ch, cw] = [Math.floor(H / 2), Math.floor(W / 2)];
        const ox = random.int(H + (1 - (ch % 2))), oy = random.int(W + (1 - (cw % 2)));
        for (let gx = 0; gx < ch; gx++) {
          for (let gy = 0; gy < cw; gy++) {
            const i = Math.min(H - 1, Math.max(0, gx + ox - Math.floor(ch / 2)));
            const j = Math.min(W - 1, Math.max(0, gy + oy - Math.floor(cw / 2)));
            for (let c = 0; c < C; c++) out[at(b, i, j, c)] = 0;
          }
        }
      }
    }
    y = out;
  }
  return y;
}

/** The largest |a − b|. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Runs augment on `data` and returns the pixels; the tensors are freed. */
function augmented(
  data: Float32Array,
  shape: Shape,
  names: AugmentName[],
  p: number,
  seed: number,
) {
  return tf.tidy(() => augment(tf.tensor4d(data, shape), names, p, new Random(seed)).dataSync());
}

const CASES: { shape: Shape; names: AugmentName[]; p: number }[] = [
  { shape: [6, 28, 28, 1], names: ["translation"], p: 1 },
  { shape: [6, 28, 28, 1], names: ["cutout"], p: 1 },
  { shape: [6, 28, 28, 1], names: ["color"], p: 1 },
  { shape: [5, 16, 8, 3], names: ["translation"], p: 1 },
  { shape: [5, 16, 8, 3], names: ["cutout"], p: 1 },
  { shape: [5, 16, 8, 3], names: ["color"], p: 1 },
  { shape: [5, 15, 9, 3], names: ["cutout", "translation", "color"], p: 1 },
  { shape: [8, 16, 8, 3], names: ["translation", "cutout", "color"], p: 0.5 },
  { shape: [8, 28, 28, 1], names: ["color", "cutout"], p: 0.3 },
];

Deno.test("each augmentation matches the per-pixel reference from the same seed (exactly for translation and cutout)", async () => {
  await onEachBackend((backend) => {
    for (const [k, { shape, names, p }] of CASES.entries()) {
      const x = images(shape, 10 + k);
      const got = augmented(x, shape, names, p, 7 + k);
      const want = reference(x, shape, names, p, new Random(7 + k));
      const tolerance = names.includes("color") ? 2e-6 : 0;
      const worst = maxDifference(got, want);
      ok(worst <= tolerance, `${backend} ${shape} ${names} p=${p}: off by ${worst}`);
      ok(maxDifference(got, x) > 0.1, `${backend} ${names}: the images changed`);
    }
  });
});

Deno.test("augment with p = 0 or no names returns x bit for bit and draws nothing", () => {
  const shape: Shape = [3, 8, 8, 3];
  const x = images(shape, 1);
  x[5] = -0; // a negative zero survives too
  for (const [names, p] of [[[...AUGMENT_NAMES], 0], [[], 1]] as const) {
    const random = new Random(3);
    const before = random.state;
    const got = tf.tidy(() => augment(tf.tensor4d(x, shape), names, p, random).dataSync());
    deepEqual(new Uint32Array(got.buffer), new Uint32Array(x.buffer));
    deepEqual(random.state, before);
  }
});

Deno.test("with 0 < p < 1 each augmentation reaches about p of the samples, each decided alone", () => {
  const shape: Shape = [400, 8, 8, 1];
  const ones = new Float32Array(400 * 64).fill(1);
  const got = augmented(ones, shape, ["cutout"], 0.3, 5);
  let cut = 0;
  for (let b = 0; b < 400; b++) cut += got.subarray(b * 64, b * 64 + 64).includes(0) ? 1 : 0;
  ok(cut > 90 && cut < 150, `${cut} of 400 samples cut at p = 0.3`);
});

/** The reference as a matrix: augment(x) = A·x + offset for fixed draws (every step is affine). */
function referenceMatrix(shape: Shape, names: AugmentName[], p: number, seed: number) {
  const n = shape.reduce((a, b) => a * b);
  const offset = reference(new Float64Array(n), shape, names, p, new Random(seed));
  const columns = Array.from({ length: n }, (_, k) => {
    const unit = new Float64Array(n);
    unit[k] = 1;
    return reference(unit, shape, names, p, new Random(seed)).map((v, i) => v - offset[i]);
  });
  /** A·v. */
  const apply = (v: ArrayLike<number>) => {
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) out[i] += columns[k][i] * v[k];
    return out;
  };
  /** Aᵀ·v. */
  const applyTransposed = (v: ArrayLike<number>) =>
    Float64Array.from(columns, (column) => column.reduce((sum, a, i) => sum + a * v[i], 0));
  return { offset, apply, applyTransposed };
}

const GRADIENT_CASES: { names: AugmentName[]; p: number }[] = [
  { names: ["translation"], p: 1 },
  { names: ["cutout"], p: 1 },
  { names: ["color"], p: 1 },
  { names: ["color", "translation", "cutout"], p: 0.7 },
];

Deno.test("the gradient of sum(w · augment(x)) with respect to x is Aᵀw, the reference's transpose", async () => {
  const shape: Shape = [3, 16, 8, 3];
  const x = images(shape, 20), w = images(shape, 21);
  await onEachBackend((backend) => {
    for (const [k, { names, p }] of GRADIENT_CASES.entries()) {
      const got = tf.tidy(() => {
        const f = (x: tf.Tensor) =>
          tf.sum(
            tf.mul(tf.tensor4d(w, shape), augment(x as tf.Tensor4D, names, p, new Random(30 + k))),
          );
        return tf.grad(f)(tf.tensor4d(x, shape)).dataSync();
      });
      const want = referenceMatrix(shape, names, p, 30 + k).applyTransposed(w);
      const worst = maxDifference(got, want);
      ok(worst < 1e-5, `${backend} ${names}: off by ${worst}`);
    }
  });
});

Deno.test("a second-order gradient through augment (tf.grad of a function of tf.grad) is finite and right", async () => {
  // g(x) = Σ w·aug(x)², ∇g = 2Aᵀ(w ⊙ aug(x)); h(x) = ‖∇g(x)‖², ∇h = 4Aᵀ(w ⊙ A∇g).
  const shape: Shape = [2, 16, 8, 3];
  const x = images(shape, 40), w = images(shape, 41);
  await onEachBackend((backend) => {
    for (const [k, { names, p }] of GRADIENT_CASES.entries()) {
      const seed = 50 + k;
      const got = tf.tidy(() => {
        const weights = tf.tensor4d(w, shape);
        const g = (x: tf.Tensor) =>
          tf.sum(tf.mul(weights, tf.square(augment(x as tf.Tensor4D, names, p, new Random(seed)))));
        const h = (x: tf.Tensor) => tf.sum(tf.square(tf.grad(g)(x)));
        return tf.grad(h)(tf.tensor4d(x, shape)).dataSync();
      });
      ok(got.every(Number.isFinite), `${backend} ${names}: not finite`);
      const a = referenceMatrix(shape, names, p, seed);
      const ax = a.apply(x).map((v, i) => v + a.offset[i]);
      const gradG = a.applyTransposed(ax.map((v, i) => 2 * w[i] * v));
      const want = a.applyTransposed(a.apply(gradG).map((v, i) => 4 * w[i] * v));
      const scale = Math.max(...want.map(Math.abs));
      const worst = maxDifference(got, want);
      ok(worst < 1e-5 * scale, `${backend} ${names}: off by ${worst} (scale ${scale})`);
    }
  });
});

Deno.test("the same seed or state gives the same augmentation, bit for bit; another seed another", () => {
  const shape: Shape = [4, 28, 28, 1];
  const x = images(shape, 60);
  const names: AugmentName[] = ["color", "translation", "cutout"];
  deepEqual(augmented(x, shape, names, 0.6, 1), augmented(x, shape, names, 0.6, 1));
  ok(maxDifference(augmented(x, shape, names, 1, 1), augmented(x, shape, names, 1, 2)) > 0.1);
  // Resuming from random.state continues the sequence: the second batch of a run is repeatable.
  const random = new Random(9);
  tf.tidy(() => augment(tf.tensor4d(x, shape), names, 0.6, random));
  const resumed = Random.fromState(random.state);
  const next = tf.tidy(() => augment(tf.tensor4d(x, shape), names, 0.6, random).dataSync());
  deepEqual(next, tf.tidy(() => augment(tf.tensor4d(x, shape), names, 0.6, resumed).dataSync()));
});

Deno.test("augment leaks no tensor: one result outside tf.tidy, none left inside, gradients too", () => {
  const x = tf.tensor4d(images([4, 16, 16, 3], 70), [4, 16, 16, 3]);
  const random = new Random(1);
  const names: AugmentName[] = ["color", "translation", "cutout"];
  const run = () => tf.tidy(() => augment(x, names, 0.8, random));
  run().dispose();
  const before = tf.memory().numTensors;
  const y = augment(x, names, 1, random);
  equal(tf.memory().numTensors, before + 1);
  y.dispose();
  for (let i = 0; i < 5; i++) {
    tf.tidy(() => {
      augment(x, names, 1, random);
      augment(x, names, 0, random);
      tf.grad((x) => tf.sum(augment(x as tf.Tensor4D, names, 0.5, random)))(x);
    });
    equal(tf.memory().numTensors, before, `after call ${i + 1}`);
  }
  x.dispose();
});

Deno.test("augment refuses unknown or repeated names, p outside [0, 1] and a tensor not (B, H, W, C)", () => {
  const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
  const random = new Random(1);
  throws(() => augment(x, ["flip" as AugmentName], 1, random), {
    name: "RangeError",
    message: 'augment: augment must name color, translation, cutout, got "flip"',
  });
  throws(() => augment(x, ["cutout", "cutout"], 1, random), /augment names "cutout" twice/);
  throws(() => augment(x, ["cutout"], 1.5, random), /augment: p must be a number in \[0, 1\]/);
  throws(() => augment(x, ["cutout"], NaN, random), /p must be a number/);
  throws(
    () => augment(tf.zeros([2, 8, 8]) as unknown as tf.Tensor4D, ["cutout"], 1, random),
    /\(B, H, W, C\)/,
  );
  x.dispose();
});

Deno.test("AUGMENT_NAMES is color, translation, cutout; names are read from a list or a comma string", () => {
  deepEqual(AUGMENT_NAMES, ["color", "translation", "cutout"]);
  deepEqual(parseAugmentNames("cutout, translation"), ["translation", "cutout"]);
  deepEqual(parseAugmentNames(""), []);
  deepEqual(checkAugmentNames("train", ["color"]), ["color"]);
  throws(() => parseAugmentNames("translation,zoom"), /--augment: augment must name .*"zoom"/);
});

/** ADA's rule written out: every `interval` batches p += sign(mean − target)·n/speed, clamped. */
function adaReference(batches: number[][], interval: number, target: number, speed: number) {
  let p = 0, sum = 0, n = 0;
  batches.forEach((batch, t) => {
    sum += batch.reduce((s, v) => s + (v > 0 ? 1 : v < 0 ? -1 : 0), 0);
    n += batch.length;
    if ((t + 1) % interval === 0) {
      const r = sum / n;
      p = Math.min(1, Math.max(0, p + (r > target ? 1 : r < target ? -1 : 0) * n / speed));
      sum = n = 0;
    }
  });
  return p;
}

Deno.test("AdaptiveProbability: defaults as a user meets them; p rises while D is sure of the reals", () => {
  const ada = new AdaptiveProbability();
  deepEqual([ada.p, ada.target, ada.interval, ada.speedImages], [0, 0.6, 4, 100_000]);
  equal(ada.lastSignMean, undefined);
  const sure = new Float32Array(64).fill(3);
  for (let t = 1; t <= 3; t++) equal(ada.observe(sure), 0, `no adjustment before the 4th (${t})`);
  equal(ada.observe(sure), 256 / 100_000);
  equal(ada.lastSignMean, 1);
  for (let t = 0; t < 4; t++) ada.observe(sure);
  equal(ada.p, 256 / 100_000 + 256 / 100_000);
});

Deno.test("AdaptiveProbability: p falls when the signs say D does not overfit, and clamps to [0, 1]", () => {
  const ada = new AdaptiveProbability({ speedImages: 1000, interval: 2 });
  const sure = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const unsure = [1, -2, 3, -4, 5, -6, 7, 8, -9, 10]; // mean sign 0.2 < 0.6
  for (let t = 0; t < 10; t++) ada.observe(sure);
  equal(ada.p, 5 * 20 / 1000);
  for (let t = 0; t < 4; t++) ada.observe(unsure);
  equal(ada.p, adaReference([...Array(10).fill(sure), ...Array(4).fill(unsure)], 2, 0.6, 1000));
  ok(ada.p < 0.1);
  for (let t = 0; t < 100; t++) ada.observe(unsure);
  equal(ada.p, 0);
  const fast = new AdaptiveProbability({ speedImages: 10 });
  for (let t = 0; t < 8; t++) fast.observe(sure);
  equal(fast.p, 1);
  // r_t exactly at the target (8 positive, 2 negative: 0.6) leaves p where it is.
  const held = new AdaptiveProbability({ interval: 1, speedImages: 10 });
  held.observe(sure);
  held.observe([1, 1, 1, 1, 1, 1, 1, 1, -1, -1]);
  equal(held.p, 1);
  held.observe([1, 1, 1, 1, 1, 1, 1, 0, NaN, -1]); // zero and NaN count as sign 0: 0.6 again
  equal(held.p, 1);
  equal(held.lastSignMean, 0.6);
});

Deno.test("AdaptiveProbability's state round-trips through JSON and resumes bit for bit", () => {
  // Mean signs near the target, so that p's path depends on every sign counted.
  const random = new Random(4);
  const batches = Array.from(
    { length: 203 },
    () => Array.from({ length: 10 }, () => random.uniform() - 0.2),
  );
  const path = (from: AdaptiveProbability, part: number[][]) => part.map((b) => from.observe(b));
  const whole = new AdaptiveProbability({ speedImages: 500 });
  const wholePath = path(whole, batches);
  equal(whole.p, adaReference(batches, 4, 0.6, 500));
  const moves = wholePath.slice(1).map((p, t) => Math.sign(p - wholePath[t]));
  ok(moves.includes(1) && moves.includes(-1), "p moves both ways");
  for (let split = 1; split < batches.length; split++) {
    const first = new AdaptiveProbability({ speedImages: 500 });
    const firstPath = path(first, batches.slice(0, split));
    const second = new AdaptiveProbability({ speedImages: 500 });
    second.importState(JSON.parse(JSON.stringify(first.exportState())));
    deepEqual([...firstPath, ...path(second, batches.slice(split))], wholePath, `split ${split}`);
    deepEqual(second.exportState(), whole.exportState());
  }
  throws(
    () => whole.importState({ ...whole.exportState(), p: 2 }),
    /p must be a number in \[0, 1\]/,
  );
  throws(() => new AdaptiveProbability({ interval: 0 }), /interval must be an integer >= 1/);
});
