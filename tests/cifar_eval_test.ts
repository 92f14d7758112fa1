import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { loadCifar10 } from "../src/data/cifar.ts";
import type { ImageSet } from "../src/data/images.ts";
import {
  CIFAR_FEATURE_DIM,
  createCifarClassifier,
  loadCifarClassifier,
} from "../src/eval/cifar_classifier.ts";
import {
  CIFAR_CLASSIFIER_INFO,
  CIFAR_TEST_FEATURE_STATISTICS,
} from "../src/eval/classifier_data.ts";
import { CLASS_COUNT, classifyImages, fromBase64 } from "../src/eval/classifier.ts";
import { evaluate } from "../src/eval/evaluate.ts";
import { classifierAccuracy } from "../tools/classifier/score.ts";
import { saveModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import { assertRejects, cifarDir, oneLine, runCli } from "./helpers.ts";

await selectBackend("wasm");

/** `count` colour images: smooth random colour fields (`smooth`) or uniform noise. */
function colourImages(count: number, seed: number, smooth = true): ImageSet {
  const random = new Random(seed);
  const pixels = new Float32Array(count * 32 * 32 * 3);
  for (let i = 0; i < count; i++) {
    const base = [0, 1, 2].map(() => 2 * random.uniform() - 1);
    const slope = [0, 1, 2].map(() => (random.uniform() - 0.5) / 16);
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) {
        const value = smooth
          ? base[c] + slope[c] * ((p % 32) - 16 + Math.floor(p / 32) - 16)
          : 2 * random.uniform() - 1;
        pixels[(i * 1024 + p) * 3 + c] = Math.max(-1, Math.min(1, value));
      }
    }
  }
  return { pixels, count, height: 32, width: 32, channels: 3 };
}

/** The float64 values of a base64 string, little-endian. */
function float64s(base64: string): Float64Array {
  const view = new DataView(fromBase64(base64).buffer);
  return Float64Array.from({ length: view.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

Deno.test("the shipped CIFAR-10 classifier: 32×32×3 in, 64 features, 10 probabilities summing to 1", async () => {
  const model = await loadCifarClassifier();
  deepEqual(model.inputs[0].shape, [null, 32, 32, 3]);
  // Its layers are createCifarClassifier's: the same weight shapes.
  deepEqual(
    model.getWeights().map((w) => w.shape),
    createCifarClassifier(1).getWeights().map((w) => w.shape),
  );
  const images = colourImages(5, 1);
  const { features, probabilities, dim } = await classifyImages(model, images);
  equal(dim, CIFAR_FEATURE_DIM);
  equal(features.length, 5 * CIFAR_FEATURE_DIM);
  for (let i = 0; i < 5; i++) {
    const sum = probabilities.subarray(i * CLASS_COUNT, (i + 1) * CLASS_COUNT)
      .reduce((a, b) => a + b, 0);
    ok(Math.abs(sum - 1) < 1e-5, `image ${i}: probabilities sum to ${sum}`);
  }
});

Deno.test("the shipped CIFAR-10 test statistics: 10,000 images, 64 features scaled to unit mean variance", () => {
  const { count, dim, meanBase64, covarianceBase64 } = CIFAR_TEST_FEATURE_STATISTICS;
  equal(count, 10_000);
  equal(dim, CIFAR_FEATURE_DIM);
  const mean = float64s(meanBase64), covariance = float64s(covarianceBase64);
  equal(mean.length, dim);
  equal(covariance.length, dim * dim);
  let trace = 0;
  for (let i = 0; i < dim; i++) {
    ok(covariance[i * dim + i] > 0, `variance ${i}`);
    trace += covariance[i * dim + i];
    for (let j = 0; j < i; j++) equal(covariance[i * dim + j], covariance[j * dim + i]);
  }
  ok(Math.abs(trace / dim - 1) < 1e-3, `mean variance ${trace / dim}`);
});

const cifarData = Deno.env.get("GAN_CIFAR_DIR");

Deno.test({
  name:
    "with CIFAR-10 at $GAN_CIFAR_DIR: the shipped classifier's test accuracy and statistics are its own",
  ignore: cifarData === undefined,
  fn: async () => {
    const test = await loadCifar10({ dir: cifarData!, split: "test" });
    const model = await loadCifarClassifier();
    const accuracy = await classifierAccuracy(model, test);
    ok(Math.abs(accuracy - CIFAR_CLASSIFIER_INFO.testAccuracy) < 1e-3, `accuracy ${accuracy}`);
    const result = await evaluate(test);
    ok(result.fid < 1e-3, `the test set against its own statistics: FID ${result.fid}`);
  },
});

Deno.test("evaluate judges colour images with the CIFAR-10 classifier; precision and recall need a reference", async () => {
  const smooth = colourImages(40, 2);
  const alone = await evaluate(smooth);
  ok(Number.isFinite(alone.fid) && alone.fid > 0, `FID ${alone.fid}`);
  ok(alone.is >= 1 && alone.is <= 10, `IS ${alone.is}`);
  equal(alone.classShare.length, 10);
  ok(Number.isNaN(alone.precision) && Number.isNaN(alone.recall));
  equal(alone.referenceCount, 0);
  // Only statistics ship for CIFAR-10: no images for KID or the floor.
  deepEqual(alone.reference, { name: "CIFAR-10 test", count: 10_000 });
  ok(Number.isNaN(alone.kid) && Number.isNaN(alone.kidStd) && Number.isNaN(alone.fidFloor));
  equal(alone.kidSubsetSize, 0);
  equal(alone.fidFloorCount, 0);
  // Against itself: FID 0, every image inside the other's manifold.
  const self = await evaluate(smooth, { reference: smooth });
  ok(self.fid < 1e-6, `FID against itself ${self.fid}`);
  equal(self.precision, 1);
  equal(self.recall, 1);
  // Noise is farther from smooth fields than other smooth fields are.
  const near = await evaluate(colourImages(40, 7), { reference: smooth });
  const far = await evaluate(colourImages(40, 3, false), { reference: smooth });
  ok(far.fid > 2 * near.fid, `FID: noise ${far.fid}, smooth ${near.fid}`);
  ok(far.precision < near.precision, `precision: noise ${far.precision}, smooth ${near.precision}`);
  ok(far.kid > near.kid && far.kid > 0, `KID: noise ${far.kid}, smooth ${near.kid}`);
  equal(near.fidFloorCount, 20);
  equal(near.reference.name, "given images");
});

Deno.test("evaluate on colour images leaves no tensors behind and rejects shapes it has no classifier for", async () => {
  await evaluate(colourImages(10, 4));
  const before = tf.memory().numTensors;
  await evaluate(colourImages(10, 4), { reference: colourImages(10, 5) });
  equal(tf.memory().numTensors, before);
  const odd: ImageSet = {
    pixels: new Float32Array(5 * 28 * 28 * 3),
    count: 5,
    height: 28,
    width: 28,
    channels: 3,
  };
  await assertRejects(
    () => evaluate(odd),
    RangeError,
    "images must be 28×28×1 (MNIST) or 32×32×3 (CIFAR-10), got 28×28×3",
  );
  const grey: ImageSet = {
    pixels: new Float32Array(5 * 784),
    count: 5,
    height: 28,
    width: 28,
    channels: 1,
  };
  await assertRejects(
    () => evaluate(colourImages(5, 6), { reference: grey }),
    RangeError,
    "the reference images must have the images' shape",
  );
});

Deno.test("cli eval of a colour generator: CIFAR-10 classes, precision and recall with --data", async () => {
  const dir = await cifarDir(6);
  const model = join(dir, "generator");
  const generator = createGenerator({ preset: "dcgan32", seed: 1 });
  await saveModel(generator, model);
  generator.dispose();
  const alone = await runCli(["eval", "--model", model, "--n", "20", "--backend", "wasm"]);
  equal(alone.code, 0, alone.stderr);
  ok(alone.stdout.includes("airplane:"), alone.stdout);
  ok(alone.stdout.includes("needs real images to compare with: --data DIR"), alone.stdout);
  const withData = await runCli([
    "eval",
    "--model",
    model,
    "--n",
    "20",
    "--data",
    dir,
    "--json",
    "--backend",
    "wasm",
  ]);
  equal(withData.code, 0, withData.stderr);
  const json = JSON.parse(withData.stdout.trim().split("\n").at(-1)!);
  ok(json.precision >= 0 && json.precision <= 1, withData.stdout);
  equal(json.reference_count, 6);
  equal(json.reference, "CIFAR-10 test");
  equal(json.reference_images, 6);
  equal(typeof json.kid, "number");
  ok(alone.stdout.includes("real-vs-real floor n/a: needs real images, --data DIR)  KID n/a"));
  // The memorisation check searches the training batches of --data.
  const out = join(dir, "nn.png");
  const nearest = await runCli([
    "eval",
    "--model",
    model,
    "--n",
    "20",
    "--data",
    dir,
    "--nearest",
    "3",
    "--out",
    out,
    "--json",
  ]);
  equal(nearest.code, 0, nearest.stderr);
  const checked = JSON.parse(nearest.stdout.trim().split("\n").at(-1)!).nearest;
  equal(checked.training_count, 30);
  equal(checked.median_count, 30);
  ok((await Deno.stat(out)).size > 0);
  const noData = await runCli(["eval", "--model", model, "--nearest", "3", "--out", out]);
  equal(noData.code, 2);
  ok(oneLine(noData.stderr).includes("come from --data DIR"), noData.stderr);
  const missing = await runCli(["eval", "--model", model, "--data", join(dir, "nowhere")]);
  equal(missing.code, 2);
  ok(oneLine(missing.stderr).includes("no such directory"), missing.stderr);
  await Deno.remove(dir, { recursive: true });
});
