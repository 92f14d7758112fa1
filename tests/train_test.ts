import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { bytesToPixels, type ImageSet } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import { sample } from "../src/sample/sample.ts";
import type { StepInfo } from "../src/train/options.ts";
import { createGanStep } from "../src/train/step.ts";
import { trainGAN } from "../src/train/train.ts";
import { assertRejects, fakeDigit } from "./helpers.ts";

const SIZE = 8;

/** `count` small digit-like images of side 8. */
function tinyData(count: number, seed = 0): ImageSet {
  const random = new Random(seed);
  const bytes = new Uint8Array(count * SIZE * SIZE);
  for (let i = 0; i < count; i++) bytes.set(fakeDigit(i % 10, SIZE, random), i * SIZE * SIZE);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { pixels: bytesToPixels(bytes), count, height: SIZE, width: SIZE, channels: 1, labels };
}

function tinyGan(seed: number, batchNorm = true) {
  const imageShape: [number, number, number] = [SIZE, SIZE, 1];
  return {
    generator: createGenerator({
      preset: "lite",
      latentDim: 4,
      hiddenUnits: [16, 32],
      batchNorm,
      imageShape,
      seed,
    }),
    discriminator: createDiscriminator({ preset: "lite", hiddenUnits: [16], imageShape, seed }),
  };
}

async function trainedSamples(seed: number) {
  const { generator, discriminator } = tinyGan(seed);
  await trainGAN(generator, discriminator, tinyData(64), { epochs: 3, batchSize: 16, seed });
  const images = await sample(generator, { n: 20, seed: 99 });
  const weights = discriminator.getWeights().map((w) => Array.from(w.dataSync()));
  generator.dispose();
  discriminator.dispose();
  return { pixels: images.pixels, weights };
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`[${backend}] the same seed gives bit-identical samples and weights after training`, async () => {
    await selectBackend(backend);
    const a = await trainedSamples(7);
    const b = await trainedSamples(7);
    const c = await trainedSamples(8);
    deepEqual(a.pixels, b.pixels);
    deepEqual(a.weights, b.weights);
    notDeepEqual(a.pixels, c.pixels);
  });
}

for (const generatorSteps of [1, 2]) {
  Deno.test(`tf.memory().numTensors is the same after step 10 and step 1000 (${generatorSteps} G updates per step)`, async () => {
    await selectBackend("wasm");
    const { generator, discriminator } = tinyGan(1);
    const counts = new Map<number, number>();
    await trainGAN(generator, discriminator, tinyData(80), {
      epochs: 100,
      batchSize: 8,
      seed: 1,
      generatorSteps,
      onStep: (s) => {
        if (s.globalStep === 10 || s.globalStep === 1000) {
          counts.set(s.globalStep, tf.memory().numTensors);
        }
      },
    });
    equal(counts.size, 2);
    equal(counts.get(1000), counts.get(10));
    generator.dispose();
    discriminator.dispose();
  });
}

Deno.test("generatorSteps 2: the same D update, then a second G update on the fresh noise", async () => {
  await selectBackend("wasm");
  const batch = tinyData(8).pixels;
  const noise = new Random(5).fillNormal(new Float32Array(2 * 8 * 4));
  const afterOneStep = async (generatorSteps: number, noise: Float32Array) => {
    const { generator, discriminator } = tinyGan(3);
    const step = createGanStep(generator, discriminator, {
      batchSize: 8,
      learningRate: 1e-2,
      beta1: 0.5,
      beta2: 0.999,
      generatorSteps,
    });
    const stats = await step.run(batch, noise);
    const read = (m: typeof generator) => m.getWeights().map((w) => Array.from(w.dataSync()));
    const weights = { stats, g: read(generator), d: read(discriminator) };
    step.dispose();
    generator.dispose();
    discriminator.dispose();
    return weights;
  };
  const one = await afterOneStep(1, noise.subarray(0, 32));
  const two = await afterOneStep(2, noise);
  const otherNoise = noise.slice();
  otherNoise.fill(0.5, 32);
  const twoOther = await afterOneStep(2, otherNoise);
  deepEqual(two.d, one.d); // D updates once, before the generator
  deepEqual(two.stats, one.stats); // losses are those of the first G update
  notDeepEqual(two.g, one.g); // the second G update moved G further
  notDeepEqual(twoOther.g, two.g); // ...on the second noise batch
});

for (const autograd of [false, true]) {
  Deno.test(`generatorLearningRate: G's own Adam rate (${autograd ? "autograd" : "direct"} step)`, async () => {
    await selectBackend("wasm");
    const batch = tinyData(8).pixels;
    const noise = new Random(5).fillNormal(new Float32Array(8 * 4));
    const afterOneStep = async (generatorLearningRate?: number) => {
      const { generator, discriminator } = tinyGan(3, false);
      const step = createGanStep(generator, discriminator, {
        batchSize: 8,
        learningRate: 1e-2,
        generatorLearningRate,
        beta1: 0.5,
        beta2: 0.999,
        autograd,
      });
      equal(step.kind, autograd ? "autograd" : "direct");
      const before = generator.getWeights().map((w) => Array.from(w.dataSync()));
      await step.run(batch, noise);
      const read = (m: typeof generator) => m.getWeights().map((w) => Array.from(w.dataSync()));
      // Adam's first step moves each weight by about the rate (less where the gradient is ~0).
      const moved = read(generator).flatMap((w, i) => w.map((v, j) => Math.abs(v - before[i][j])));
      const weights = { g: read(generator), d: read(discriminator), moved: Math.max(...moved) };
      step.dispose();
      generator.dispose();
      discriminator.dispose();
      return weights;
    };
    const same = await afterOneStep();
    const explicit = await afterOneStep(1e-2);
    const frozen = await afterOneStep(0);
    const faster = await afterOneStep(4e-2);
    deepEqual(explicit.g, same.g); // absent: D's rate
    deepEqual(frozen.d, same.d); // D's update does not depend on G's rate
    deepEqual(faster.d, same.d);
    equal(frozen.moved, 0); // rate 0: G stays where it was
    ok(same.moved > 0.9e-2 && same.moved < 1.1e-2, `G moved ${same.moved} at rate 1e-2`);
    ok(faster.moved > 3.6e-2 && faster.moved < 4.4e-2, `G moved ${faster.moved} at rate 4e-2`);
  });
}

Deno.test("training leaves no tensors behind once the models are disposed", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const { generator, discriminator } = tinyGan(2);
  await trainGAN(generator, discriminator, tinyData(32), { epochs: 2, batchSize: 8 });
  generator.dispose();
  discriminator.dispose();
  equal(tf.memory().numTensors, before);
});

Deno.test("a GAN learns a single pattern: its samples move from noise to the pattern", async () => {
  await selectBackend("wasm");
  // Every training image is the same bar.
  const bar = bytesToPixels(fakeDigit(3, SIZE, new Random(0)).map((v) => (v > 128 ? 255 : 0)));
  const data: ImageSet = {
    pixels: new Float32Array(64 * bar.length),
    count: 64,
    height: SIZE,
    width: SIZE,
    channels: 1,
  };
  for (let i = 0; i < 64; i++) data.pixels.set(bar, i * bar.length);
  const { generator, discriminator } = tinyGan(3, false);
  const distance = async () => {
    const images = await sample(generator, { n: 32, seed: 5 });
    let sum = 0;
    images.pixels.forEach((v, i) => (sum += (v - bar[i % bar.length]) ** 2));
    return sum / images.pixels.length;
  };
  const before = await distance();
  const steps: StepInfo[] = [];
  await trainGAN(generator, discriminator, data, {
    epochs: 75,
    batchSize: 16,
    learningRate: 1e-3,
    seed: 3,
    onStep: (s) => void steps.push(s),
  });
  const after = await distance();
  ok(
    after < before / 4,
    `mean squared distance to the pattern: ${before.toFixed(3)} before, ${after.toFixed(3)} after`,
  );
  equal(steps.length, 300);
  ok(steps.every((s) => Number.isFinite(s.lossD) && Number.isFinite(s.lossG) && s.ms > 0));
  ok(steps.every((s) => s.dReal > 0 && s.dReal < 1 && s.dFake > 0 && s.dFake < 1));
  generator.dispose();
  discriminator.dispose();
});

Deno.test("callbacks see every step and epoch in order, with means that match the steps", async () => {
  await selectBackend("cpu");
  const { generator, discriminator } = tinyGan(4);
  const steps: StepInfo[] = [];
  const epochs: { epoch: number; lossD: number; steps: number }[] = [];
  const result = await trainGAN(generator, discriminator, tinyData(50), {
    epochs: 2,
    batchSize: 16,
    onStep: (s) => void steps.push(s),
    onEpoch: async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      epochs.push(e);
    },
  });
  // 50 images, batches of 16: 3 steps an epoch, the last 2 images dropped.
  deepEqual(steps.map((s) => [s.epoch, s.step, s.globalStep]), [
    [1, 1, 1],
    [1, 2, 2],
    [1, 3, 3],
    [2, 1, 4],
    [2, 2, 5],
    [2, 3, 6],
  ]);
  deepEqual(epochs.map((e) => [e.epoch, e.steps]), [[1, 3], [2, 3]]);
  const mean = steps.slice(0, 3).reduce((a, s) => a + s.lossD, 0) / 3;
  ok(Math.abs(epochs[0].lossD - mean) < 1e-9);
  deepEqual({ epochs: result.epochs, steps: result.steps, aborted: result.aborted }, {
    epochs: 2,
    steps: 6,
    aborted: false,
  });
});

Deno.test("an AbortSignal stops training after the current step", async () => {
  await selectBackend("cpu");
  const { generator, discriminator } = tinyGan(5);
  const controller = new AbortController();
  const result = await trainGAN(generator, discriminator, tinyData(64), {
    epochs: 10,
    batchSize: 8,
    signal: controller.signal,
    onStep: (s) => {
      if (s.globalStep === 13) controller.abort();
    },
  });
  deepEqual({ epochs: result.epochs, steps: result.steps, aborted: result.aborted }, {
    epochs: 1,
    steps: 13,
    aborted: true,
  });
});

Deno.test("trainGAN rejects bad options, too little data and mismatched models with RangeErrors", async () => {
  await selectBackend("cpu");
  const { generator, discriminator } = tinyGan(6);
  const data = tinyData(20);
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { epochs: -3 }),
    RangeError,
    "trainGAN: epochs must be an integer >= 1, got -3",
  );
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { batchSize: 1.5 }),
    RangeError,
    "batchSize",
  );
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { learningRate: 0 }),
    RangeError,
    "learningRate",
  );
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { beta1: 1 }),
    RangeError,
    "beta1 must be a number in [0, 1)",
  );
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { spectralNorm: "yes" as unknown as boolean }),
    RangeError,
    "trainGAN: spectralNorm must be true or false, got yes",
  );
  await assertRejects(
    () => trainGAN(generator, discriminator, data, { batchSize: 64 }),
    RangeError,
    "the data holds 20 images, fewer than one batch of 64",
  );
  const mnistShaped = createGenerator({ preset: "tutorial" });
  await assertRejects(
    () => trainGAN(mnistShaped, discriminator, data),
    RangeError,
    "the generator makes [28,28,1] images, the data holds [8,8,1]",
  );
  await assertRejects(
    () => trainGAN(generator, createDiscriminator({ preset: "tutorial" }), data),
    RangeError,
    "the discriminator takes",
  );
});
