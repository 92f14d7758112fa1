import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { encodeIdx } from "../src/data/idx.ts";
import { type ImageSet, pickImages } from "../src/data/images.ts";
import { loadMnist } from "../src/data/mnist.ts";
import {
  CLASS_COUNT,
  classifyImages,
  createClassifier,
  FEATURE_DIM,
  loadClassifier,
} from "../src/eval/classifier.ts";
import { CLASSIFIER_INFO, TEST_FEATURE_STATISTICS } from "../src/eval/classifier_data.ts";
import { evaluate, evaluateGenerator } from "../src/eval/evaluate.ts";
import { featureStatistics } from "../src/eval/fid.ts";
import { featureManifold, precisionRecall, shareInManifold } from "../src/eval/precision_recall.ts";
import { classifierAccuracy } from "../tools/classifier/score.ts";
import { trainingForward } from "../tools/classifier/train_classifier.ts";
import { saveModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import { writeImagesIdx } from "../src/sample/files.ts";
import { Random } from "../src/random.ts";
import { assertRejects, oneLine, runCli } from "./helpers.ts";

await selectBackend("wasm");

/** `count` copies of the first image of `set`. */
function repeated(set: ImageSet, count: number): ImageSet {
  const pixels = new Float32Array(count * 784);
  for (let i = 0; i < count; i++) pixels.set(set.pixels.subarray(0, 784), i * 784);
  return { pixels, count, height: 28, width: 28, channels: 1 };
}

/** Uniform noise in [-1, 1]. */
function noise(count: number, seed: number): ImageSet {
  const random = new Random(seed);
  const pixels = Float32Array.from({ length: count * 784 }, () => 2 * random.uniform() - 1);
  return { pixels, count, height: 28, width: 28, channels: 1 };
}

Deno.test("the shipped classifier is right on at least 99.0% of the 10,000 MNIST test digits", async () => {
  const test = await loadMnist({ split: "test" });
  equal(test.count, 10_000);
  const accuracy = await classifierAccuracy(await loadClassifier(), test);
  ok(accuracy >= 0.99, `test accuracy ${accuracy}`);
  // The figure docs/evaluation.md quotes is the one measured when the weights were made.
  ok(
    Math.abs(accuracy - CLASSIFIER_INFO.testAccuracy) <= 5e-4,
    `${accuracy} vs ${CLASSIFIER_INFO.testAccuracy}`,
  );
});

Deno.test("the shipped test-set statistics are those of the shipped classifier's features", async () => {
  const test = await loadMnist({ split: "test" });
  const { features } = await classifyImages(await loadClassifier(), test);
  const stats = featureStatistics(features, FEATURE_DIM);
  const decode = (base64: string) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new Float64Array(bytes.buffer);
  };
  const mean = decode(TEST_FEATURE_STATISTICS.meanBase64);
  const covariance = decode(TEST_FEATURE_STATISTICS.covarianceBase64);
  equal(mean.length, FEATURE_DIM);
  equal(covariance.length, FEATURE_DIM * FEATURE_DIM);
  const scale = Math.max(...covariance.map(Math.abs));
  ok(stats.mean.every((m, i) => Math.abs(m - mean[i]) < 1e-4 * Math.sqrt(scale)));
  ok(stats.covariance.every((c, i) => Math.abs(c - covariance[i]) < 1e-4 * scale));
});

Deno.test("the classifier's training forward pass is the layers model's, with tf.js's gradients", async () => {
  const model = createClassifier(5);
  const random = new Random(1);
  const pixels = random.fillNormal(new Float32Array(6 * 784));
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], "int32"), CLASS_COUNT);
  const x = tf.tensor4d(pixels, [6, 28, 28, 1]);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  // Ours on wasm (which has no Conv2DBackpropFilter).
  const ours = tf.variableGrads(() => loss(trainingForward(model, x)), variables);
  const oursLogits = await trainingForward(model, x).data();
  const oursGrads = await Promise.all(variables.map((v) => ours.grads[v.name].data()));
  // tf.js's own conv2d gradients, on cpu.
  await selectBackend("cpu");
  try {
    const stock = tf.variableGrads(
      () => loss(model.apply(x, { training: true }) as tf.Tensor),
      variables,
    );
    const stockLogits = await (model.predict(x) as tf.Tensor).data();
    ok(oursLogits.every((v, i) => Math.abs(v - stockLogits[i]) < 1e-4), "logits");
    for (const [i, v] of variables.entries()) {
      const expected = await stock.grads[v.name].data();
      const scale = Math.max(1e-3, ...expected.map(Math.abs));
      const diff = Math.max(...oursGrads[i].map((g, j) => Math.abs(g - expected[j])));
      ok(diff < 1e-4 * scale, `${v.name}: ${diff} (scale ${scale})`);
    }
  } finally {
    await selectBackend("wasm");
  }
  model.dispose();
});

Deno.test("featureManifold and precisionRecall match a brute-force computation", async () => {
  const random = new Random(4);
  const dim = 5;
  const a = random.fillNormal(new Float32Array(300 * dim));
  const b = random.fillNormal(new Float32Array(200 * dim)).map((v) => 1.3 * v + 0.4);
  const distance = (x: Float32Array, i: number, y: Float32Array, j: number) => {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += (x[i * dim + d] - y[j * dim + d]) ** 2;
    return sum;
  };
  const bruteRadii = (x: Float32Array, k: number) =>
    Array.from(
      { length: x.length / dim },
      (_, i) =>
        Array.from({ length: x.length / dim }, (_, j) => distance(x, i, x, j)).sort((p, q) =>
          p - q
        )[k],
    );
  const share = (q: Float32Array, x: Float32Array, radii: number[]) => {
    let inside = 0;
    for (let i = 0; i < q.length / dim; i++) {
      if (radii.some((r, j) => distance(q, i, x, j) <= r)) inside++;
    }
    return inside / (q.length / dim);
  };
  for (const k of [1, 3, 5]) {
    const real = await featureManifold(a, dim, { k, chunkSize: 64 });
    const fake = await featureManifold(b, dim, { k, chunkSize: 1000 });
    const radiiA = bruteRadii(a, k);
    const radiiB = bruteRadii(b, k);
    ok(real.radii.every((r, i) => Math.abs(r - radiiA[i]) < 1e-4 * (1 + radiiA[i])), `k = ${k}`);
    ok(fake.radii.every((r, i) => Math.abs(r - radiiB[i]) < 1e-4 * (1 + radiiB[i])), `k = ${k}`);
    const { precision, recall } = await precisionRecall(real, fake, 50);
    // Float32 distances may put a point on a ball's very edge on either side: allow one point.
    ok(Math.abs(precision - share(b, a, radiiA)) <= 1 / 200, `precision, k = ${k}`);
    ok(Math.abs(recall - share(a, b, radiiB)) <= 1 / 300, `recall, k = ${k}`);
    ok(precision > 0.3 && precision < 1, `precision ${precision}`);
  }
  // A set inside its own manifold: every point is its own ball's centre.
  equal(await shareInManifold(a, await featureManifold(a, dim)), 1);
});

Deno.test("MNIST training digits score like the test set: FID near 0, all ten classes covered", async () => {
  const digits = await loadMnist({ split: "train", limit: 10_000 });
  const result = await evaluate(digits);
  equal(result.count, 10_000);
  equal(result.referenceCount, 10_000);
  ok(result.fid < 2, `FID ${result.fid}`);
  // The protocol: n 10000 against the 10,000 test digits, and the floor of real digits at that n.
  deepEqual(result.reference, { name: "MNIST test", count: 10_000 });
  equal(result.fidFloorCount, 10_000);
  ok(result.fidFloor > 0 && result.fidFloor < 1, `floor ${result.fidFloor}`);
  // KID: about 0 for real digits (unbiased), well inside the spread of its subsets.
  equal(result.kidSubsetSize, 1000);
  ok(Math.abs(result.kid) < 0.2 && result.kidStd > 0, `KID ${result.kid} ± ${result.kidStd}`);
  equal(result.coverage, 10);
  ok(result.is > 9, `IS ${result.is}`);
  ok(result.confidence > 0.95, `confidence ${result.confidence}`);
  ok(result.precision > 0.75 && result.recall > 0.75, `P ${result.precision} R ${result.recall}`);
  equal(result.classShare.length, 10);
  ok(Math.abs(result.classShare.reduce((s, x) => s + x, 0) - 1) < 1e-9);
  ok(result.classShare.every((share) => share > 0.08 && share < 0.12), `${result.classShare}`);
});

Deno.test("one digit repeated covers one class, with IS 1 and low recall", async () => {
  const digits = await loadMnist({ split: "train", limit: 1 });
  const result = await evaluate(repeated(digits, 2000));
  equal(result.coverage, 1);
  equal(result.classShare[digits.labels![0]], 1);
  ok(Math.abs(result.is - 1) < 1e-3, `IS ${result.is}`);
  ok(result.recall < 0.05, `recall ${result.recall}`);
  ok(result.fid > 100, `FID ${result.fid}`);
  ok(result.kid > 10, `KID ${result.kid}`);
});

Deno.test("uniform noise in [-1, 1] scores a huge FID and low precision", async () => {
  const digits = await evaluate(await loadMnist({ split: "train", limit: 2000 }));
  const result = await evaluate(noise(2000, 3));
  ok(
    result.fid > 50 && result.fid > 50 * digits.fid,
    `noise FID ${result.fid}, digits ${digits.fid}`,
  );
  ok(result.precision < 0.5, `precision ${result.precision}`);
  ok(result.recall < 0.05, `recall ${result.recall}`);
  ok(result.kid > 20 * Math.abs(digits.kid) && result.kid > 1, `KID ${result.kid}, ${digits.kid}`);
  // Both at n 2000: one floor, measured once.
  equal(result.fidFloor, digits.fidFloor);
  equal(result.fidFloorCount, 2000);
});

Deno.test("the FID floor is what n random training digits score, and falls as n grows", async () => {
  const train = await loadMnist({ split: "train" });
  // The floor's digits: a fixed random subset of the training set (Random(0)'s shuffle).
  const order = new Random(0).shuffle(Uint32Array.from({ length: train.count }, (_, i) => i));
  const floors: number[] = [];
  for (const n of [300, 1200]) {
    const real = await evaluate(pickImages(train, order.subarray(0, n)));
    ok(
      Math.abs(real.fid - real.fidFloor) < 1e-9,
      `n ${n}: FID ${real.fid}, floor ${real.fidFloor}`,
    );
    floors.push(real.fidFloor);
  }
  // FID's bias shrinks like 1/n.
  ok(floors[0] > 2 * floors[1], `floors ${floors}`);
  const noisy = await evaluate(noise(300, 2));
  equal(noisy.fidFloor, floors[0]);
});

Deno.test("evaluate with a given reference: a set against itself scores FID 0, precision and recall 1", async () => {
  const digits = await loadMnist({ split: "train", limit: 500 });
  const result = await evaluate(digits, { reference: digits, k: 2, referenceName: "500 digits" });
  ok(result.fid < 1e-6, `FID ${result.fid}`);
  equal(result.precision, 1);
  equal(result.recall, 1);
  equal(result.k, 2);
  equal(result.referenceCount, 500);
  deepEqual(result.reference, { name: "500 digits", count: 500 });
  // The floor from the reference alone: 250 of its digits against the other 250.
  equal(result.fidFloorCount, 250);
  ok(result.fidFloor > result.fid && result.fidFloor < 10, `floor ${result.fidFloor}`);
  const fewer = await evaluate(pickImages(digits, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), {
    reference: digits,
  });
  equal(fewer.fidFloorCount, 10);
  equal(fewer.kidSubsetSize, 10);
  equal((await evaluate(digits, { reference: digits })).reference.name, "given images");
});

Deno.test("evaluate leaves no tensors behind", async () => {
  const digits = await loadMnist({ split: "test", limit: 600 });
  await evaluate(digits); // builds the classifier and caches the reference
  const before = tf.memory().numTensors;
  await evaluate(digits);
  await evaluate(noise(50, 1), { reference: digits, k: 4 });
  equal(tf.memory().numTensors, before);
});

Deno.test("evaluate rejects images of the wrong shape and too few images, naming the fault", async () => {
  const small: ImageSet = {
    pixels: new Float32Array(10 * 64),
    count: 10,
    height: 8,
    width: 8,
    channels: 1,
  };
  await assertRejects(
    () => evaluate(small),
    RangeError,
    "images must be 28×28×1 (MNIST), got 8×8×1",
  );
  const three = noise(3, 1);
  await assertRejects(() => evaluate(three), RangeError, "need at least 4 images (k = 3), got 3");
  await assertRejects(() => evaluate(noise(10, 1), { k: 0 }), RangeError, "k must be an integer");
  await assertRejects(
    () => evaluate(noise(10, 1), { reference: three }),
    RangeError,
    "need more than k = 3 reference images, got 3",
  );
});

Deno.test("evaluateGenerator: the same seed gives the same metrics, another seed other samples", async () => {
  const generator = createGenerator({ preset: "lite", seed: 1 });
  const a = await evaluateGenerator(generator, { n: 300, seed: 2 });
  const b = await evaluateGenerator(generator, { n: 300, seed: 2 });
  const c = await evaluateGenerator(generator, { n: 300, seed: 3 });
  deepEqual(a, b);
  equal(a.count, 300);
  ok(a.fid !== c.fid);
  // An untrained generator makes no digits.
  ok(a.fid > 50, `FID ${a.fid}`);
  generator.dispose();
});

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "gan-mnist-eval-" });
}

Deno.test("cli eval FILE.idx prints a table, and with --json one JSON object on its last line", async () => {
  const dir = await tempDir();
  const file = join(dir, "digits.idx");
  await writeImagesIdx(file, await loadMnist({ split: "train", limit: 400 }));
  const table = await runCli(["eval", file]);
  equal(table.code, 0, table.stderr);
  match(table.stdout, /evaluated 400 images from .*digits\.idx/);
  match(
    table.stdout,
    /^FID \d+\.\d\d \(n 400 vs MNIST test 10000; real-vs-real floor \d+\.\d\d\) {2}KID -?\d\.\d{4} ± \d\.\d{4}$/m,
  );
  match(table.stdout, /FID +\d+\.\d\d/);
  match(table.stdout, /coverage +10\/10/);
  match(table.stdout, /class share 0: \d+\.\d%/);
  const json = await runCli(["eval", file, "--json", "--n", "300", "--k", "2"]);
  equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split("\n");
  const result = JSON.parse(lines[lines.length - 1]);
  for (const key of ["fid", "is", "coverage", "precision", "recall", "confidence"]) {
    equal(typeof result[key], "number", key);
  }
  equal(result.class_share.length, 10);
  for (const key of ["fid_floor", "kid", "kid_std"]) equal(typeof result[key], "number", key);
  equal(result.reference, "MNIST test");
  equal(result.reference_images, 10_000);
  equal(result.fid_floor_n, 300);
  equal(result.kid_subset_size, 300);
  equal(result.nearest, undefined);
  equal(result.n, 300);
  equal(result.k, 2);
  equal(result.coverage, 10);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli eval --model draws samples from a generator and evaluates them", async () => {
  const dir = await tempDir();
  await saveModel(createGenerator({ preset: "tutorial", seed: 1 }), join(dir, "generator"));
  const { code, stdout, stderr } = await runCli([
    "eval",
    "--model",
    dir,
    "--n",
    "200",
    "--seed",
    "4",
    "--json",
    "--backend",
    "wasm",
  ]);
  equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  equal(result.n, 200);
  equal(result.seed, 4);
  equal(result.backend, "wasm");
  ok(result.fid > 0);
  match(stderr, /evaluated 200 images from .*model\.json \(seed 4\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli eval: bad input gets one line naming the file or flag, exit code 2", async () => {
  const dir = await tempDir();
  const labels = join(dir, "labels.idx");
  await Deno.writeFile(labels, encodeIdx({ type: "uint8", shape: [5], data: new Uint8Array(5) }));
  const big = join(dir, "big.idx");
  await Deno.writeFile(
    big,
    encodeIdx({ type: "uint8", shape: [5, 32, 32], data: new Uint8Array(5 * 32 * 32) }),
  );
  const two = join(dir, "two.idx");
  await Deno.writeFile(
    two,
    encodeIdx({ type: "uint8", shape: [2, 28, 28], data: new Uint8Array(2 * 784) }),
  );
  const missing = join(dir, "missing.idx");
  const cases: [string[], string][] = [
    [["eval", missing], `Cannot read IDX file "${missing}": no such file or directory`],
    [
      ["eval", labels],
      `Cannot read IDX file "${labels}": expected magic 0x00000803, got 0x00000801`,
    ],
    [["eval", big], `Cannot read IDX file "${big}": holds 32×32 images, the evaluator needs 28×28`],
    [
      ["eval", two],
      `Cannot read IDX file "${two}": holds 2 images, the evaluator needs at least 4`,
    ],
    [["eval", big, "--n", "0"], '--n: expected an integer from 1 to 100000, got "0"'],
    [["eval", big, "--n", "abc"], '--n: expected an integer from 1 to 100000, got "abc"'],
    [["eval", big, "--k", "-1"], '--k: expected an integer from 1 to 100, got "-1"'],
    [["eval", big, "--seed", "1"], "--seed applies to --model only"],
    [["eval"], "give a FILE.idx or --model DIR"],
    [["eval", big, "--model", dir], "give a FILE.idx or --model DIR, not both"],
    [["eval", big, big], "expected one FILE.idx, got 2 files"],
    [["eval", "--model", dir, "--n", "3"], "--n 3: the evaluator needs at least 4 images"],
    [["eval", "--model", join(dir, "nothing")], "Cannot load model"],
    [["eval", "--bogus"], "unknown flag --bogus"],
    [
      ["eval", big, "--backend", "tpu"],
      '--backend: expected one of auto, webgpu, wasm, cpu, got "tpu"',
    ],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await runCli(args);
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    const line = oneLine(stderr);
    ok(line.startsWith("error: ") && line.includes(expected), `${args.join(" ")}: ${line}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli eval --help", async () => {
  const { code, stdout } = await runCli(["eval", "--help"]);
  equal(code, 0);
  match(stdout, /Usage: cli\.ts eval FILE\.idx/);
  match(stdout, /--json/);
  match(stdout, /--nearest K +the memorisation check/);
  match(stdout, /--out FILE\.png +where --nearest writes its grid/);
  match(stdout, /real-vs-real floor, the FID of n real training digits/);
  match(stdout, /KID \(Kernel Inception Distance/);
  match(stdout, /draws fresh digits scores about 50%/);
  const main = await runCli(["--help"]);
  match(main.stdout, /eval +judge samples/);
});
