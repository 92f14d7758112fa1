import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { decode } from "fast-png";
import { selectBackend } from "../src/backend/select.ts";
import { type ImageSet, pickImages } from "../src/data/images.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { classifyImages, loadClassifier } from "../src/eval/classifier.ts";
import { nearestGrid, nearestTraining } from "../src/eval/nearest.ts";
import { Random } from "../src/random.ts";
import { writeImagesIdx } from "../src/sample/files.ts";
import { assertRejects, oneLine, runCli } from "./helpers.ts";

await selectBackend("wasm");

const train = await loadMnist({ split: "train" });
/** A random tenth of the training set: quick to search, still of many writers. */
const training = pickImages(
  train,
  new Random(9).shuffle(Uint32Array.from({ length: train.count }, (_, i) => i)).subarray(0, 6000),
);

Deno.test("nearestTraining matches a brute-force search in float64", async () => {
  const small = pickImages(training, Array.from({ length: 300 }, (_, i) => i));
  const queries = await loadMnist({ split: "test", limit: 40 });
  const result = await nearestTraining(queries, {
    training: small,
    neighbours: 3,
    show: 5,
    medianSample: 300,
  });
  const model = await loadClassifier();
  const t = (await classifyImages(model, small)).features;
  const q = (await classifyImages(model, queries)).features;
  const dim = t.length / small.count;
  const distance = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let sum = 0;
    for (let c = 0; c < dim; c++) sum += (a[i * dim + c] - b[j * dim + c]) ** 2;
    return Math.sqrt(sum);
  };
  const ranked = (a: Float32Array, i: number, skip?: number) =>
    Array.from({ length: small.count }, (_, j) => ({ j, d: distance(a, i, t, j) }))
      .filter(({ j }) => j !== skip).sort((x, y) => x.d - y.d);
  // The median of the training digits' nearest other training digit (all 300 of them).
  const own = Array.from({ length: small.count }, (_, i) => ranked(t, i, i)[0].d).sort((a, b) =>
    a - b
  );
  const median = (own[149] + own[150]) / 2;
  ok(
    Math.abs(result.medianDistance - median) < 1e-3 * median,
    `${result.medianDistance} ${median}`,
  );
  equal(result.medianCount, 300);
  equal(result.trainingCount, 300);
  const nearest = Array.from({ length: queries.count }, (_, i) => ranked(q, i));
  for (let i = 0; i < queries.count; i++) {
    ok(Math.abs(result.distances[i] - nearest[i][0].d) < 1e-3 * median, `image ${i}`);
  }
  const share = nearest.filter((r) => r[0].d < median).length / queries.count;
  equal(result.share, share);
  for (let i = 0; i < 5; i++) {
    deepEqual(
      [...result.neighbours.subarray(3 * i, 3 * i + 3)],
      nearest[i].slice(0, 3).map((r) => r.j),
    );
  }
});

Deno.test("training digits score near 100%, held-out test digits near 50%", async () => {
  const copies = pickImages(training, Array.from({ length: 500 }, (_, i) => 7 * i));
  const test = await loadMnist({ split: "test", limit: 1000, shuffleSeed: 1 });
  const options = { training, medianSample: 2000 };
  const copied = await nearestTraining(copies, options);
  const fresh = await nearestTraining(test, options);
  ok(copied.share > 0.95, `training digits: ${copied.share}`);
  ok(
    copied.distances.every((d) => d < 0.02 * copied.medianDistance),
    `a training digit is nearest to itself: ${
      Math.max(...copied.distances)
    } (median ${copied.medianDistance})`,
  );
  ok(fresh.share > 0.35 && fresh.share < 0.65, `test digits: ${fresh.share}`);
  equal(fresh.medianCount, 2000);
});

/** The tile at (row, column) of a grid of 28×28 tiles scaled by `scale`, padding 2. */
function tile(png: ReturnType<typeof decode>, row: number, column: number, scale: number) {
  const size = 28 * scale, out: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      out.push(png.data[(2 + row * (size + 2) + y) * png.width + 2 + column * (size + 2) + x]);
    }
  }
  return out;
}

Deno.test("nearestGrid: each row is the image, a gap, its neighbours; a training digit's first is itself", async () => {
  const images = pickImages(training, [5, 50, 500]);
  const nearest = await nearestTraining(images, { training, show: 3, medianSample: 500 });
  equal(nearest.neighboursPerImage, 5);
  deepEqual([...nearest.neighbours].filter((_, i) => i % 5 === 0), [5, 50, 500]);
  const png = decode(nearestGrid(images, training, nearest, 2));
  equal(png.width, 2 + 7 * (56 + 2));
  equal(png.height, 2 + 3 * (56 + 2));
  for (let row = 0; row < 3; row++) {
    deepEqual(tile(png, row, 2, 2), tile(png, row, 0, 2), `row ${row}: first neighbour`);
    ok(tile(png, row, 1, 2).every((v) => v === 96), "the gap is padding grey");
    ok(tile(png, row, 0, 2).some((v) => v > 200), "the image has ink");
  }
});

Deno.test("nearestTraining leaves no tensors behind, and says what is wrong with its input", async () => {
  const images = await loadMnist({ split: "test", limit: 20 });
  const small = pickImages(training, Array.from({ length: 200 }, (_, i) => i));
  await nearestTraining(images, { training: small, show: 2 });
  const before = tf.memory().numTensors;
  const result = await nearestTraining(images, { training: small, show: 2 });
  equal(tf.memory().numTensors, before);
  // The defaults as a caller meets them: 5 neighbours, none shown unless asked, median of ≤ 5000.
  const plain = await nearestTraining(images, { training: small });
  equal(plain.neighbours.length, 0);
  equal(plain.neighboursPerImage, 5);
  equal(plain.medianCount, 200);
  equal(result.neighbours.length, 10);
  await assertRejects(
    () => nearestTraining(images, { training: small, show: 21 }),
    RangeError,
    "show",
  );
  const colour: ImageSet = {
    pixels: new Float32Array(3 * 3072),
    count: 3,
    height: 32,
    width: 32,
    channels: 3,
  };
  await assertRejects(
    () => nearestTraining(colour),
    RangeError,
    "need their training images given",
  );
  await assertRejects(
    () => Promise.resolve().then(() => nearestGrid(images, small, plain)),
    RangeError,
    "no image was shown",
  );
});

Deno.test("cli eval --nearest writes the grid and reports the share; bad flags get one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gan-mnist-nearest-" });
  const file = join(dir, "copies.idx");
  await writeImagesIdx(file, pickImages(train, Array.from({ length: 150 }, (_, i) => 3 * i)));
  const out = join(dir, "nn.png");
  const run = await runCli(["eval", file, "--nearest", "4", "--out", out, "--json"]);
  equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
  equal(result.nearest.share, 1);
  equal(result.nearest.training_count, 60_000);
  equal(result.nearest.median_count, 5000);
  equal(result.nearest.shown, 4);
  ok(/memorisation: 100\.0% of the 150 images .*about 50%/.test(run.stderr), run.stderr);
  const png = decode(await Deno.readFile(out));
  equal(png.height, 2 + 4 * (56 + 2));
  for (let row = 0; row < 4; row++) deepEqual(tile(png, row, 2, 2), tile(png, row, 0, 2));
  const cases: [string[], string][] = [
    [
      ["eval", file, "--nearest", "0", "--out", out],
      '--nearest: expected an integer from 1 to 1000, got "0"',
    ],
    [
      ["eval", file, "--nearest", "-2", "--out", out],
      '--nearest: expected an integer from 1 to 1000, got "-2"',
    ],
    [
      ["eval", file, "--nearest", "4", "--out", join(dir, "no", "nn.png")],
      `--out ${join(dir, "no")}: no such directory`,
    ],
    [["eval", file, "--nearest", "4"], "--nearest needs --out FILE.png"],
    [["eval", file, "--out", out], "--out applies to --nearest K"],
    [
      ["eval", file, "--nearest", "4", "--out", join(dir, "nn.jpg")],
      "expected a file name ending in .png",
    ],
    [
      ["eval", file, "--nearest", "151", "--out", out],
      "--nearest 151: more than the 150 images evaluated",
    ],
    [
      ["eval", "--model", dir, "--n", "10", "--nearest", "11", "--out", out],
      "--nearest 11: more than the 10 images drawn",
    ],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  for (const [i, [args, expected]] of cases.entries()) {
    const { code, stderr } = runs[i];
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    const line = oneLine(stderr);
    ok(line.startsWith("error: ") && line.includes(expected), `${args.join(" ")}: ${line}`);
  }
  const readOnly = await runCli(["eval", file, "--nearest", "2", "--out", out], ["--allow-read"]);
  equal(readOnly.code, 2);
  ok(oneLine(readOnly.stderr).includes("--allow-write"), readOnly.stderr);
  await Deno.remove(dir, { recursive: true });
});
