import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { bytesToPixels, type ImageSet } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import { sample } from "../src/sample/sample.ts";
import { createGanStep } from "../src/train/step.ts";
import { trainGAN } from "../src/train/train.ts";
import { assertRejects, fakeDigit, oneLine, runCli } from "./helpers.ts";
import { saveModel } from "../src/io/model_files.ts";

const SIZE = 8;

function labelled(count: number): ImageSet {
  const random = new Random(1);
  const bytes = new Uint8Array(count * SIZE * SIZE);
  for (let i = 0; i < count; i++) bytes.set(fakeDigit(i % 10, SIZE, random), i * SIZE * SIZE);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { pixels: bytesToPixels(bytes), count, height: SIZE, width: SIZE, channels: 1, labels };
}

function tinyConditional(architecture: "mlp" | "dcgan", seed = 1) {
  const imageShape: [number, number, number] = [SIZE, SIZE, 1];
  const dcgan = architecture === "dcgan";
  return {
    generator: createGenerator({
      preset: dcgan ? "cdcgan" : "cgan",
      latentDim: 4,
      hiddenUnits: dcgan ? [8, 4] : [16],
      imageShape,
      seed,
    }),
    discriminator: createDiscriminator({
      preset: dcgan ? "cdcgan" : "cgan",
      hiddenUnits: dcgan ? [4, 8] : [16],
      imageShape,
      seed,
    }),
  };
}

for (const architecture of ["mlp", "dcgan"] as const) {
  Deno.test(`conditional ${architecture}: G takes [z, one-hot digit], D [image, one-hot digit]; trains on labelled data`, async () => {
    await selectBackend("wasm");
    const { generator, discriminator } = tinyConditional(architecture);
    deepEqual(generator.inputs.map((i) => i.shape), [[null, 4], [null, 10]]);
    deepEqual(discriminator.inputs.map((i) => i.shape), [[null, SIZE, SIZE, 1], [null, 10]]);
    const before = discriminator.getWeights().map((w) => Array.from(w.dataSync()));
    const tensors: number[] = [];
    await trainGAN(generator, discriminator, labelled(64), {
      epochs: 2,
      batchSize: 16,
      seed: 1,
      onStep: () => void tensors.push(tf.memory().numTensors),
    });
    const after = discriminator.getWeights().map((w) => Array.from(w.dataSync()));
    ok(after.some((w, i) => w.some((v, j) => v !== before[i][j])), "D trained");
    equal(new Set(tensors.slice(1)).size, 1, `tensors per step ${tensors}`);
    // The digit asked for changes the image; the same digit and noise give the same image.
    const sevens = await sample(generator, { n: 4, seed: 3, labels: 7 });
    const threes = await sample(generator, { n: 4, seed: 3, labels: 3 });
    deepEqual(Array.from(sevens.labels!), [7, 7, 7, 7]);
    ok(sevens.pixels.some((v, i) => v !== threes.pixels[i]));
    deepEqual((await sample(generator, { n: 4, seed: 3, labels: 7 })).pixels, sevens.pixels);
    deepEqual(Array.from((await sample(generator, { n: 12, seed: 3 })).labels!), [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      0,
      1,
    ]);
    generator.dispose();
    discriminator.dispose();
  });
}

Deno.test("conditional GANs refuse what does not fit: unlabelled data, wrong labels, mixed models", async () => {
  await selectBackend("wasm");
  const { generator, discriminator } = tinyConditional("mlp");
  const unlabelled = { ...labelled(32), labels: undefined };
  await assertRejects(
    () => trainGAN(generator, discriminator, unlabelled, { epochs: 1, batchSize: 8 }),
    RangeError,
    "needs labelled data",
  );
  const plainD = createDiscriminator({
    preset: "lite",
    hiddenUnits: [8],
    imageShape: [SIZE, SIZE, 1],
  });
  await assertRejects(
    () => trainGAN(generator, plainD, labelled(32), { epochs: 1, batchSize: 8 }),
    RangeError,
    "for 10 classes, the discriminator for no",
  );
  await assertRejects(
    () => sample(generator, { n: 3, labels: [1, 2] }),
    RangeError,
    "2 labels for 3 images",
  );
  await assertRejects(() => sample(generator, { n: 1, labels: 10 }), RangeError, "0–9");
  // Both kinds of step: the direct one (a conditional MLP's default) and the autograd one.
  for (const autograd of [false, true]) {
    const step = createGanStep(generator, discriminator, {
      batchSize: 8,
      learningRate: 2e-4,
      beta1: 0.5,
      beta2: 0.999,
      autograd,
    });
    equal(step.kind, autograd ? "autograd" : "direct");
    await assertRejects(
      () => step.run(labelled(8).pixels, new Float32Array(32)),
      RangeError,
      "needs 8 labels",
    );
    step.dispose();
  }
  const plainG = createGenerator({ preset: "lite", seed: 1 });
  await assertRejects(() => sample(plainG, { n: 2, labels: 1 }), RangeError, "not");
  throws(() => createGenerator({ preset: "cgan", classes: -1 }), RangeError, "classes");
  [generator, discriminator, plainD, plainG].forEach((m) => m.dispose());
});

Deno.test("sample --digit and --by-class on a conditional model; refused on an unconditional one", async () => {
  await selectBackend("wasm");
  const dir = await Deno.makeTempDir();
  const { generator } = tinyConditional("dcgan");
  await saveModel(generator, `${dir}/cond`);
  await saveModel(createGenerator({ preset: "lite", seed: 1 }), `${dir}/plain`);
  const byClass = await runCli([
    "sample",
    "--model",
    `${dir}/cond`,
    "--by-class",
    "--out",
    `${dir}/grid.png`,
  ]);
  equal(byClass.code, 0, byClass.stderr);
  ok(byClass.stdout.includes("wrote 100 samples"), byClass.stdout);
  const digit = await runCli([
    "sample",
    "--model",
    `${dir}/cond`,
    "--digit",
    "7",
    "--n",
    "5",
    "--out",
    `${dir}/d.idx`,
  ]);
  equal(digit.code, 0, digit.stderr);
  ok(digit.stdout.includes("digit 7"), digit.stdout);
  const refused = await runCli([
    "sample",
    "--model",
    `${dir}/plain`,
    "--digit",
    "3",
    "--out",
    `${dir}/x.png`,
  ]);
  equal(refused.code, 2);
  ok(oneLine(refused.stderr).includes("not a conditional generator"), refused.stderr);
  const tooBig = await runCli([
    "sample",
    "--model",
    `${dir}/cond`,
    "--digit",
    "12",
    "--out",
    `${dir}/x.png`,
  ]);
  equal(tooBig.code, 2);
  ok(oneLine(tooBig.stderr).includes("classes 0–9"), tooBig.stderr);
  await Deno.remove(dir, { recursive: true });
});
