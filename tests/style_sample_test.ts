/**
 * Sampling style-based generators (src/sample/style.ts, style_mix.ts): the truncation trick,
 * style-mixing grids and walks in w, in the library and from the command line
 * (`sample --truncation`, `--mix`, `--crossover`, `--interpolate` on a stylegan,
 * `eval --truncation`). The mixes and truncations are checked against ws assembled by hand from
 * the layer's mapping and synthesis.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { decode } from "fast-png";
import { selectBackend } from "../src/backend/select.ts";
import type { ImageSet } from "../src/data/images.ts";
import { loadModel, saveModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import { latentNoise } from "../src/models/prior.ts";
import { StyleGANGenerator } from "../src/models/style/stylegan.ts";
import { Random } from "../src/random.ts";
import { encodePngGrid } from "../src/sample/grid.ts";
import { sample } from "../src/sample/sample.ts";
import {
  sampleTruncated,
  styleAverage,
  type StyleLayer,
  styleLayerOf,
  styleLayout,
} from "../src/sample/style.ts";
import { interpolateW, styleMixGrid } from "../src/sample/style_mix.ts";
import type { LayersModel } from "../src/tf_types.ts";
import { assertRejects, assertThrows, oneLine, runCli } from "./helpers.ts";

await selectBackend("wasm");

/** Small enough for a test: z and w of 8, channels 8/4/2 at 7, 14 and 28 pixels. */
const SMALL = { latentDim: 8, styleDim: 8, mappingLayers: 2, hiddenUnits: [8, 4, 2] };
const LATENT = SMALL.latentDim;

/** Sets every noise input's strength (0 when untrained), so that the noise maps show. */
function setNoise(generator: LayersModel, strength: number): LayersModel {
  for (const weight of (styleLayerOf(generator) as StyleGANGenerator).weights) {
    if (/noise\d+_strength/.test(weight.name)) {
      const value = tf.fill([1], strength);
      weight.write(value);
      value.dispose();
    }
  }
  return generator;
}

const quiet = createGenerator({ preset: "stylegan", ...SMALL, seed: 1 });
const noisy = setNoise(createGenerator({ preset: "stylegan", ...SMALL, seed: 1 }), 0.5);
const conditional = setNoise(createGenerator({ preset: "cstylegan", ...SMALL, seed: 2 }), 0.5);
const layer = styleLayerOf(noisy) as StyleGANGenerator;

const work = await Deno.makeTempDir({ prefix: "gan-style-sample-" });
const styleDir = join(work, "stylegan");
const conditionalDir = join(work, "cstylegan");
const liteDir = join(work, "lite");
await saveModel(noisy, styleDir);
await saveModel(conditional, conditionalDir);
await saveModel(createGenerator({ preset: "lite", seed: 1 }), liteDir);

/** Image `i` of a set. */
function image(set: ImageSet, i: number): Float32Array {
  const size = set.height * set.width * set.channels;
  return set.pixels.slice(i * size, (i + 1) * size);
}

/** The largest difference between two images. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  equal(a.length, b.length);
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i] - b[i]));
  return most;
}

/** `sample`'s z of image `i` of `count` from `seed`, as the convention of src/models/prior.ts. */
function zOf(seed: number, count: number, i: number): Float32Array {
  return latentNoise(new Random(seed), count, LATENT).slice(i * LATENT, (i + 1) * LATENT);
}

/** One w, `(1, styleDim)`, of a z (and a class). */
function wOf(style: StyleLayer, z: Float32Array, label?: number): tf.Tensor2D {
  return tf.tidy(() =>
    style.mapping(
      tf.tensor2d(z, [1, LATENT]),
      label === undefined ? undefined : tf.cast(tf.oneHot([label], 10), "float32"),
    ) as tf.Tensor2D
  );
}

/** The image of one w per layer, assembled by hand: layer k takes `pick(k)`. */
function drawWs(style: StyleLayer, pick: (k: number) => tf.Tensor2D): Float32Array {
  return tf.tidy(() => {
    // numWs × (1, styleDim) -> (1, numWs, styleDim)
    const ws = tf.stack(Array.from({ length: style.numWs }, (_, k) => pick(k)), 1) as tf.Tensor3D;
    return tf.clipByValue(style.synthesis(ws), -1, 1).dataSync() as Float32Array;
  });
}

Deno.test("styleLayerOf finds the StyleGANGenerator of a stylegan, a cstylegan and a loaded one, nothing in a lite one", async () => {
  ok(styleLayerOf(noisy) instanceof StyleGANGenerator);
  equal(styleLayerOf(conditional)?.numWs, 6);
  const { model } = await loadModel(styleDir, "generator");
  equal(styleLayerOf(model)?.numWs, 6);
  equal(styleLayerOf(createGenerator({ preset: "lite", seed: 1 })), undefined);
  model.dispose();
});

Deno.test("styleLayout of 28×28 digits: coarse the 7×7 convolution's w, middle 14×14's, fine 28×28's and the last toRGB's; default crossover 1", () => {
  const layout = styleLayout(noisy);
  equal(layout.numWs, 6);
  deepEqual(layout.ranges, { coarse: [0, 1], middle: [1, 3], fine: [3, 6] });
  equal(layout.crossover, 1);
  // Each convolution's w lies in the range of its resolution.
  const rangeOf = { 7: layout.ranges.coarse, 14: layout.ranges.middle, 28: layout.ranges.fine };
  for (const conv of layer.convs) {
    const [start, end] = rangeOf[conv.resolution as 7 | 14 | 28];
    ok(conv.index >= start && conv.index < end, `conv ${conv.index} at ${conv.resolution}`);
  }
});

Deno.test("styleAverage is the layer's own averageW over the same z, per digit for cstylegan", () => {
  const seed = 0x9e3779b9;
  const mine = styleAverage(noisy);
  const theirs = layer.averageW(10_000, seed);
  ok(maxDiff(mine, theirs.dataSync()) < 1e-5);
  theirs.dispose();
  const style = styleLayerOf(conditional)!;
  const label = tf.cast(tf.oneHot([7], 10), "float32") as tf.Tensor2D;
  const seven = style.averageW(2000, 5, label);
  ok(
    maxDiff(styleAverage(conditional, { label: 7, samples: 2000, seed: 5 }), seven.dataSync()) <
      1e-5,
  );
  ok(
    maxDiff(styleAverage(conditional, { label: 3 }), styleAverage(conditional, { label: 7 })) >
      1e-3,
  );
  tf.dispose([label, seven]);
});

Deno.test("sampleTruncated at ψ = 1 draws sample's images, for stylegan and cstylegan, at any batch size", async () => {
  for (const generator of [noisy, conditional]) {
    for (const batchSize of [500, 3]) {
      const plain = await sample(generator, { n: 7, seed: 4, batchSize });
      const truncated = await sampleTruncated(generator, { n: 7, seed: 4, batchSize, psi: 1 });
      deepEqual(truncated.pixels, plain.pixels);
      deepEqual(truncated.labels, plain.labels);
    }
  }
  const sevens = await sample(conditional, { n: 4, seed: 2, labels: 7 });
  deepEqual(
    (await sampleTruncated(conditional, { n: 4, seed: 2, labels: 7, psi: 1 })).pixels,
    sevens.pixels,
  );
});

Deno.test("sampleTruncated at ψ = 0 draws the average w: one image for every z, with or without noise (one noise map shared by the batch), another noise seed another image", async () => {
  const one = await sampleTruncated(quiet, { n: 5, seed: 1, psi: 0 });
  for (let i = 1; i < 5; i++) deepEqual(image(one, i), image(one, 0));
  const plain = await sample(quiet, { n: 5, seed: 1 });
  ok(maxDiff(image(plain, 1), image(plain, 0)) > 0.05, "different z, different images at ψ = 1");
  const a = await sampleTruncated(noisy, { n: 4, seed: 1, psi: 0 });
  const b = await sampleTruncated(noisy, { n: 4, seed: 2, psi: 0 });
  deepEqual(a.pixels, b.pixels);
  for (let i = 1; i < 4; i++) deepEqual(image(a, i), image(a, 0), "noise shared by the batch");
  const layer = styleLayerOf(noisy)!;
  layer.noiseSeed = 7;
  try {
    const c = await sampleTruncated(noisy, { n: 1, seed: 1, psi: 0 });
    ok(maxDiff(image(c, 0), image(a, 0)) > 1e-3, "another noise seed, another image");
  } finally {
    layer.noiseSeed = 0;
  }
});

Deno.test("sampleTruncated at ψ = 0.5 on cstylegan pulls each w halfway towards its own digit's average", async () => {
  const style = styleLayerOf(conditional)!;
  const labels = [3, 8];
  const drawn = await sampleTruncated(conditional, {
    n: 1,
    seed: 6,
    labels: [labels[0]],
    psi: 0.5,
  });
  const second = await sampleTruncated(conditional, {
    n: 1,
    seed: 6,
    labels: [labels[1]],
    psi: 0.5,
  });
  for (const [k, set] of [[0, drawn], [1, second]] as const) {
    const average = tf.tensor2d(styleAverage(conditional, { label: labels[k] }), [1, 8]);
    const w = wOf(style, zOf(6, 1, 0), labels[k]);
    const pulled = tf.tidy(() => tf.add(average, tf.mul(tf.sub(w, average), 0.5))) as tf.Tensor2D;
    ok(maxDiff(image(set, 0), drawWs(style, () => pulled)) < 1e-5, `digit ${labels[k]}`);
    tf.dispose([average, w, pulled]);
  }
});

Deno.test("styleMixGrid: a blank corner, B's sources along the top, A's down the left, their z those of sample", async () => {
  const grid = await styleMixGrid(quiet, { rowSeed: 5, columnSeed: 6, rows: 3, columns: 4 });
  deepEqual([grid.count, grid.gridColumns, grid.fromRows], [20, 5, [0, 1]]);
  ok(image(grid, 0).every((v) => v === -1));
  // Without noise the sources are sample's images of each seed.
  const a = await sample(quiet, { n: 3, seed: 5 }), b = await sample(quiet, { n: 4, seed: 6 });
  for (let j = 0; j < 4; j++) ok(maxDiff(image(grid, 1 + j), image(b, j)) < 1e-5, `B ${j}`);
  for (let i = 0; i < 3; i++) ok(maxDiff(image(grid, 5 * (i + 1)), image(a, i)) < 1e-5, `A ${i}`);
  // With noise every image has the first image's noise maps: A_0 is "sample --n 1"'s.
  const noisyGrid = await styleMixGrid(noisy, { rowSeed: 5, columnSeed: 6, rows: 2, columns: 2 });
  deepEqual(image(noisyGrid, 3), image(await sample(noisy, { n: 1, seed: 5 }), 0));
  deepEqual(image(noisyGrid, 1), image(await sample(noisy, { n: 1, seed: 6 }), 0));
});

Deno.test("styleMixGrid: crossover numWs gives every cell its row's image, crossover 0 its column's", async () => {
  const options = { rowSeed: 1, columnSeed: 2, rows: 3, columns: 3 };
  const allA = await styleMixGrid(noisy, { ...options, crossover: 6 });
  const allB = await styleMixGrid(noisy, { ...options, crossover: 0 });
  for (let i = 1; i <= 3; i++) {
    for (let j = 1; j <= 3; j++) {
      deepEqual(image(allA, 4 * i + j), image(allA, 4 * i), `row ${i}`);
      deepEqual(image(allB, 4 * i + j), image(allB, j), `column ${j}`);
    }
  }
});

Deno.test("styleMixGrid: the default crossover takes ws [0, 1) from the row, range fine [3, 6), the rest from the column", async () => {
  const options = { rowSeed: 3, columnSeed: 4, rows: 2, columns: 3 };
  for (
    const [range, fromA] of [[undefined, [0, 1]], ["fine", [3, 6]], ["middle", [1, 3]]] as const
  ) {
    const grid = await styleMixGrid(noisy, { ...options, ...(range ? { range } : {}) });
    deepEqual(grid.fromRows, fromA);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const wA = wOf(layer, zOf(3, 2, i)), wB = wOf(layer, zOf(4, 3, j));
        const reference = drawWs(layer, (k) => (k >= fromA[0] && k < fromA[1] ? wA : wB));
        const cell = image(grid, 4 * (i + 1) + 1 + j);
        ok(maxDiff(cell, reference) < 1e-5, `${range ?? "crossover"} (${i}, ${j})`);
        ok(maxDiff(cell, image(grid, 4 * (i + 1))) > 1e-3, "not A's own image");
        ok(maxDiff(cell, image(grid, 1 + j)) > 1e-3, "not B's own image");
        tf.dispose([wA, wB]);
      }
    }
  }
});

Deno.test("interpolateW: the ends are sample's n = 1 images of each seed (with ψ, sampleTruncated's), the middle the mean of their ws", async () => {
  const walk = await interpolateW(noisy, { seeds: [1, 2], steps: 5 });
  equal(walk.count, 5);
  deepEqual(image(walk, 0), image(await sample(noisy, { n: 1, seed: 1 }), 0));
  deepEqual(image(walk, 4), image(await sample(noisy, { n: 1, seed: 2 }), 0));
  const w1 = wOf(layer, zOf(1, 1, 0)), w2 = wOf(layer, zOf(2, 1, 0));
  const mean = tf.tidy(() => tf.div(tf.add(w1, w2), 2)) as tf.Tensor2D;
  ok(maxDiff(image(walk, 2), drawWs(layer, () => mean)) < 1e-5);
  ok(
    maxDiff(image(walk, 2), image(walk, 0)) > 1e-3 &&
      maxDiff(image(walk, 2), image(walk, 4)) > 1e-3,
  );
  tf.dispose([w1, w2, mean]);
  const truncated = await interpolateW(noisy, { seeds: [1, 2], steps: 3, psi: 0.7 });
  deepEqual(
    image(truncated, 0),
    image(await sampleTruncated(noisy, { n: 1, seed: 1, psi: 0.7 }), 0),
  );
  deepEqual(
    image(truncated, 2),
    image(await sampleTruncated(noisy, { n: 1, seed: 2, psi: 0.7 }), 0),
  );
});

Deno.test("interpolateW on cstylegan: a morph from 3 to 8 in w ends at digit 3's and digit 8's images", async () => {
  const morph = await interpolateW(conditional, { seeds: 5, labels: [3, 8], steps: 4 });
  equal(morph.labels, undefined);
  deepEqual(image(morph, 0), image(await sample(conditional, { n: 1, seed: 5, labels: 3 }), 0));
  deepEqual(image(morph, 3), image(await sample(conditional, { n: 1, seed: 5, labels: 8 }), 0));
  const walk = await interpolateW(conditional, { seeds: [1, 2], steps: 2 });
  deepEqual(walk.labels, new Uint8Array([0, 0]));
});

Deno.test("the style functions leave no tensors behind", async () => {
  await sampleTruncated(conditional, { n: 3, psi: 0.5 });
  const before = tf.memory().numTensors;
  await sampleTruncated(conditional, { n: 3, psi: 0.5 });
  await sampleTruncated(noisy, { n: 3, psi: 1 });
  await styleMixGrid(conditional, { rows: 2, columns: 2, psi: 0.7, labels: 4 });
  await interpolateW(noisy, { seeds: [1, 2], steps: 3, psi: 0.5 });
  styleAverage(noisy, { samples: 1500 });
  equal(tf.memory().numTensors, before);
});

Deno.test("the style functions refuse a lite generator, a NaN ψ, a crossover beyond numWs, crossover with range, labels without classes", async () => {
  const lite = createGenerator({ preset: "lite", seed: 1 });
  await assertRejects(
    () => sampleTruncated(lite, { n: 1 }),
    RangeError,
    "not a style-based generator",
  );
  assertThrows(() => styleLayout(lite), RangeError, "styleLayout: not a style-based generator");
  await assertRejects(() => sampleTruncated(noisy, { n: 1, psi: NaN }), RangeError, "psi must be");
  await assertRejects(() => styleMixGrid(noisy, { crossover: 7 }), RangeError, "crossover must be");
  await assertRejects(
    () => styleMixGrid(noisy, { crossover: 2, range: "fine" }),
    RangeError,
    "crossover or range, not both",
  );
  await assertRejects(
    () => interpolateW(noisy, { labels: 3 }),
    RangeError,
    "labels are for conditional",
  );
  await assertRejects(
    () => sampleTruncated(conditional, { n: 1, labels: 10 }),
    RangeError,
    "label 10",
  );
  assertThrows(() => styleAverage(conditional), RangeError, "needs a label");
  lite.dispose();
});

/** Runs `sample` and returns the PNG it wrote, and what it printed. */
async function samplePng(args: string[], name: string) {
  const out = join(work, name);
  const { code, stdout, stderr } = await runCli(["sample", ...args, "--out", out]);
  equal(code, 0, stderr);
  return { bytes: await Deno.readFile(out), stdout };
}

/** The 28×28 tile at column `column`, row `row` of a PNG grid with 2 pixels of padding. */
function tile(bytes: Uint8Array, column: number, row = 0): number[] {
  const png = decode(bytes);
  const pixels: number[] = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      pixels.push(png.data[(2 + row * 30 + y) * png.width + 2 + column * 30 + x]);
    }
  }
  return pixels;
}

const loaded = (await loadModel(styleDir, "generator")).model;
const loadedConditional = (await loadModel(conditionalDir, "generator")).model;

Deno.test("sample --truncation 0.7 draws sampleTruncated's images; --truncation 1 plain sample's", async () => {
  const { bytes, stdout } = await samplePng(
    ["--model", styleDir, "--truncation", "0.7", "--n", "8", "--seed", "3"],
    "truncated.png",
  );
  ok(stdout.includes("(28×28×1, seed 3, truncation ψ 0.7)"), stdout);
  const expected = await sampleTruncated(loaded, { n: 8, seed: 3, psi: 0.7 });
  deepEqual(bytes, encodePngGrid(expected));
  const one = await samplePng(
    ["--model", styleDir, "--truncation", "1", "--n", "8", "--seed", "3"],
    "psi1.png",
  );
  const plain = await samplePng(["--model", styleDir, "--n", "8", "--seed", "3"], "plain.png");
  deepEqual(one.bytes, plain.bytes);
  ok(!plain.stdout.includes("truncation"), plain.stdout);
});

Deno.test("sample --mix 1,2 at its defaults: a 7×7 grid, 6×6 mixes at crossover 1; --rows, --cols, --crossover fine and --truncation as styleMixGrid", async () => {
  const { bytes, stdout } = await samplePng(["--model", styleDir, "--mix", "1,2"], "mix.png");
  ok(
    stdout.includes(
      "a style-mixing grid of 6×6: each image takes ws 0–0 of 6 from its row's seed 1 image, the others from its column's seed 2 image",
    ),
    stdout,
  );
  const png = decode(bytes);
  deepEqual([png.width, png.height], [2 + 7 * 30, 2 + 7 * 30]);
  const grid = await styleMixGrid(loaded, { rowSeed: 1, columnSeed: 2 });
  deepEqual(bytes, encodePngGrid(grid, { columns: 7 }));
  // The corner is background; the first source B is "sample --seed 2 --n 1"'s first image.
  ok(tile(bytes, 0).every((v) => v === 0));
  const b0 = await samplePng(["--model", styleDir, "--seed", "2", "--n", "1"], "b0.png");
  deepEqual(tile(bytes, 1), tile(b0.bytes, 0));
  const fine = await samplePng(
    [
      "--model",
      styleDir,
      "--mix",
      "3,4",
      "--rows",
      "2",
      "--cols",
      "3",
      "--crossover",
      "fine",
      "--truncation",
      "0.5",
    ],
    "fine.png",
  );
  ok(
    fine.stdout.includes("ws 3–5 of 6 (the fine styles)") &&
      fine.stdout.includes("truncation ψ 0.5"),
    fine.stdout,
  );
  const expected = await styleMixGrid(loaded, {
    rowSeed: 3,
    columnSeed: 4,
    rows: 2,
    columns: 3,
    range: "fine",
    psi: 0.5,
  });
  deepEqual(fine.bytes, encodePngGrid(expected, { columns: 4 }));
  const k = await samplePng([
    "--model",
    styleDir,
    "--mix",
    "3,4",
    "--rows",
    "2",
    "--cols",
    "2",
    "--crossover",
    "4",
  ], "k4.png");
  deepEqual(
    k.bytes,
    encodePngGrid(
      await styleMixGrid(loaded, { rowSeed: 3, columnSeed: 4, rows: 2, columns: 2, crossover: 4 }),
      { columns: 3 },
    ),
  );
});

Deno.test("sample --interpolate 1,2 on a stylegan walks in w: interpolateW's strip, its ends sample --seed 1's and --seed 2's", async () => {
  const { bytes, stdout } = await samplePng(
    ["--model", styleDir, "--interpolate", "1,2"],
    "walk.png",
  );
  ok(stdout.includes("wrote a walk of 10 images (seeds 1 → 2 in w)"), stdout);
  deepEqual(bytes, encodePngGrid(await interpolateW(loaded, { seeds: [1, 2] }), { columns: 10 }));
  const first = await samplePng(["--model", styleDir, "--seed", "1", "--n", "1"], "s1.png");
  const last = await samplePng(["--model", styleDir, "--seed", "2", "--n", "1"], "s2.png");
  deepEqual(tile(bytes, 0), tile(first.bytes, 0));
  deepEqual(tile(bytes, 9), tile(last.bytes, 0));
  const truncated = await samplePng(
    ["--model", styleDir, "--interpolate", "1,2", "--steps", "3", "--truncation", "0.5"],
    "walk05.png",
  );
  ok(truncated.stdout.includes("(seeds 1 → 2 in w, truncation ψ 0.5)"), truncated.stdout);
  deepEqual(
    truncated.bytes,
    encodePngGrid(await interpolateW(loaded, { seeds: [1, 2], steps: 3, psi: 0.5 }), {
      columns: 3,
    }),
  );
});

Deno.test("sample --from-digit 3 --to-digit 8 on a cstylegan morphs in w to --digit 8's image; --mix takes --digit", async () => {
  const { bytes, stdout } = await samplePng(
    [
      "--model",
      conditionalDir,
      "--from-digit",
      "3",
      "--to-digit",
      "8",
      "--seed",
      "5",
      "--steps",
      "4",
    ],
    "morph.png",
  );
  ok(stdout.includes("(seed 5, in w, digits 3 → 8)"), stdout);
  const eight = await samplePng([
    "--model",
    conditionalDir,
    "--digit",
    "8",
    "--seed",
    "5",
    "--n",
    "1",
  ], "eight.png");
  deepEqual(tile(bytes, 3), tile(eight.bytes, 0));
  deepEqual(
    bytes,
    encodePngGrid(await interpolateW(loadedConditional, { seeds: 5, labels: [3, 8], steps: 4 }), {
      columns: 4,
    }),
  );
  const mix = await samplePng([
    "--model",
    conditionalDir,
    "--mix",
    "1,2",
    "--digit",
    "7",
    "--rows",
    "2",
    "--cols",
    "2",
  ], "mix7.png");
  ok(mix.stdout.includes(", digit 7"), mix.stdout);
  deepEqual(
    mix.bytes,
    encodePngGrid(
      await styleMixGrid(loadedConditional, {
        rowSeed: 1,
        columnSeed: 2,
        rows: 2,
        columns: 2,
        labels: 7,
      }),
      { columns: 3 },
    ),
  );
});

Deno.test("eval --truncation: 1 is the plain evaluation, 0.5 is named in the JSON", async () => {
  const run = async (extra: string[]) => {
    const { code, stdout, stderr } = await runCli([
      "eval",
      "--model",
      styleDir,
      "--n",
      "20",
      "--json",
      ...extra,
    ]);
    equal(code, 0, stderr);
    return { json: JSON.parse(stdout.trim().split("\n").at(-1)!), stderr };
  };
  const plain = await run([]);
  const one = await run(["--truncation", "1"]);
  equal(one.json.fid, plain.json.fid);
  equal(plain.json.truncation, undefined);
  const half = await run(["--truncation", "0.5"]);
  equal(half.json.truncation, 0.5);
  ok(half.stderr.includes("(seed 0, truncation ψ 0.5)"), half.stderr);
});

Deno.test("bad style flags get one line naming the flag and the fault, exit code 2", async () => {
  const out = join(work, "never.png");
  const cases: [string[], string][] = [
    [
      ["sample", "--model", styleDir, "--out", out, "--truncation", "-1"],
      '--truncation: expected a number in (0, 2], got "-1"',
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--truncation", "NaN"],
      '--truncation: expected a number in (0, 2], got "NaN"',
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--truncation", "0"],
      "--truncation: expected a number in (0, 2]",
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--truncation", "2.5"],
      "--truncation: expected a number in (0, 2]",
    ],
    [
      ["sample", "--model", liteDir, "--out", out, "--truncation", "0.7"],
      "--truncation: " + liteDir,
    ],
    [
      ["sample", "--model", liteDir, "--out", out, "--mix", "1,2"],
      "is not a style-based generator",
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1"],
      '--mix: expected two seeds A,B (integers from 0 to 4294967295), got "1"',
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--crossover", "6"],
      "--crossover 6: the generator takes 6 ws; expected 1 to 5",
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--crossover", "0"],
      "--crossover: expected an integer of at least 1, or coarse, middle or fine",
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--crossover", "fast"],
      "--crossover: expected an integer",
    ],
    [
      ["sample", "--model", styleDir, "--out", out, "--crossover", "2"],
      "--crossover applies to --mix A,B",
    ],
    [["sample", "--model", styleDir, "--out", out, "--rows", "2"], "--rows applies to --mix A,B"],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--rows", "40"],
      "--rows: expected an integer from 1 to 32",
    ],
    [
      ["sample", "--model", styleDir, "--out", join(work, "x.idx"), "--mix", "1,2"],
      "--mix draws a PNG grid",
    ],
    [["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--n", "5"], "--n and --mix"],
    [
      ["sample", "--model", styleDir, "--out", out, "--mix", "1,2", "--interpolate", "1,2"],
      "--interpolate and --mix: choose one",
    ],
    [
      ["eval", "--model", styleDir, "--truncation", "-0.5"],
      "--truncation: expected a number in (0, 2]",
    ],
    [["eval", "--model", liteDir, "--truncation", "0.7"], "--truncation: " + liteDir],
    [["eval", join(work, "x.idx"), "--truncation", "0.7"], "--truncation applies to --model only"],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runCli(args);
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    const line = oneLine(stderr);
    ok(line.includes(message), `${args.join(" ")}: ${line}`);
  }
});

Deno.test("--help of sample and eval documents the style flags", async () => {
  const help = (await runCli(["sample", "--help"])).stdout;
  for (
    const flag of [
      "--truncation PSI",
      "--mix A,B",
      "--rows N",
      "--cols N",
      "--crossover K",
      "from A's w to B's",
    ]
  ) {
    ok(help.includes(flag), flag);
  }
  ok((await runCli(["eval", "--help"])).stdout.includes("--truncation PSI"));
});
