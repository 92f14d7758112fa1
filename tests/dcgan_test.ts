import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { bytesToPixels } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import { createGanStep, type StepStats } from "../src/train/step.ts";
import { fakeDigit } from "./helpers.ts";

Deno.test("dcgan preset: the layers the issue lists, with their shapes", async () => {
  await selectBackend("wasm");
  const g = createGenerator({ preset: "dcgan", seed: 1 });
  const d = createDiscriminator({ preset: "dcgan", seed: 1 });
  const shapes = (m: typeof g) =>
    m.layers.map((l) => `${l.getClassName()} ${JSON.stringify(l.outputShape)}`);
  deepEqual(shapes(g), [
    "Dense [null,6272]",
    "Reshape [null,7,7,128]",
    "BatchNormalization [null,7,7,128]",
    "Activation [null,7,7,128]",
    "Conv2DTranspose [null,14,14,64]",
    "BatchNormalization [null,14,14,64]",
    "Activation [null,14,14,64]",
    "Conv2DTranspose [null,28,28,1]",
    "Activation [null,28,28,1]",
  ]);
  deepEqual(shapes(d), [
    "Conv2D [null,14,14,64]",
    "LeakyReLU [null,14,14,64]",
    "Conv2D [null,7,7,128]",
    "BatchNormalization [null,7,7,128]",
    "LeakyReLU [null,7,7,128]",
    "Flatten [null,6272]",
    "Dense [null,1]",
  ]);
  // N(0, 0.02) weights
  const kernel = g.getWeights()[0].dataSync() as Float32Array;
  const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
  const std = Math.sqrt(kernel.reduce((a, b) => a + (b - mean) ** 2, 0) / kernel.length);
  ok(Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 1e-3, `mean ${mean}, std ${std}`);
  g.dispose();
  d.dispose();
});

Deno.test("a DCGAN for 32×32 colour images, and sides that do not halve are refused", async () => {
  await selectBackend("wasm");
  const g = createGenerator({
    preset: "dcgan",
    hiddenUnits: [256, 128, 64],
    imageShape: [32, 32, 3],
  });
  const d = createDiscriminator({
    preset: "dcgan",
    hiddenUnits: [64, 128, 256],
    imageShape: [32, 32, 3],
  });
  deepEqual(g.outputs[0].shape, [null, 32, 32, 3]);
  deepEqual(d.outputs[0].shape, [null, 1]);
  throws(
    () => createGenerator({ preset: "dcgan", hiddenUnits: [128, 64, 32] }),
    RangeError,
    "divisible by 8, got 28",
  );
  g.dispose();
  d.dispose();
});

/** Three training steps of a small DCGAN on 16×16 digit-like images. */
async function steps(backend: "wasm" | "cpu"): Promise<{ stats: StepStats[]; tensors: number[] }> {
  await selectBackend(backend);
  const imageShape: [number, number, number] = [16, 16, 1];
  const g = createGenerator({ preset: "dcgan", hiddenUnits: [16, 8], imageShape, seed: 3 });
  const d = createDiscriminator({ preset: "dcgan", hiddenUnits: [8, 16], imageShape, seed: 3 });
  const step = createGanStep(g, d, {
    batchSize: 8,
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
  });
  equal(step.kind, "autograd");
  const random = new Random(4);
  const stats: StepStats[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < 4; i++) {
    const bytes = new Uint8Array(8 * 256);
    for (let j = 0; j < 8; j++) bytes.set(fakeDigit(j, 16, random), j * 256);
    stats.push(await step.run(bytesToPixels(bytes), random.fillNormal(new Float32Array(8 * 100))));
    tensors.push(tf.memory().numTensors);
  }
  step.dispose();
  g.dispose();
  d.dispose();
  return { stats, tensors };
}

Deno.test("a DCGAN trains on wasm (our conv kernels) with the cpu backend's losses, leaking no tensors", async () => {
  const wasm = await steps("wasm");
  const cpu = await steps("cpu");
  let worst = 0;
  wasm.stats.forEach((s, i) => {
    for (const key of ["lossD", "lossG", "dReal", "dFake"] as const) {
      ok(Number.isFinite(s[key]));
      worst = Math.max(worst, Math.abs(s[key] - cpu.stats[i][key]));
    }
  });
  ok(worst < 1e-3, `losses differ by ${worst}`);
  equal(new Set(wasm.tensors.slice(1)).size, 1, `tensors per step: ${wasm.tensors}`);
});

Deno.test("a DCGAN step computes only the gradients it needs; D's convolutions save as plain Conv2D", async () => {
  await selectBackend("wasm");
  const g = createGenerator({ preset: "dcgan", seed: 1 });
  const d = createDiscriminator({ preset: "dcgan", seed: 1 });
  // Stock tf.js reads the class name: the faster layer is saved as the standard one.
  const convs = d.layers.filter((l) => l.name.startsWith("d_conv"));
  equal(convs.length, 2);
  for (const l of convs) equal(l.getClassName(), "Conv2D");
  const step = createGanStep(g, d, { batchSize: 8, learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
  const random = new Random(3);
  const batch = Float32Array.from({ length: 8 * 784 }, () => random.uniform() * 2 - 1);
  const noise = random.fillNormal(new Float32Array(8 * 100));
  const info = await tf.profile(async () => {
    await step.run(batch, noise);
  });
  const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
  // Filter gradients: D's two convolutions on the real and the fake batch (4), G's two
  // transposed ones (2); none of D's in G's step (tf.fused.conv2d's gradient made 8).
  equal(count("Conv2DBackpropFilter"), 6);
  // G's two transposed convolutions (2); D's second layer's input gradient in D's step (real,
  // fake: 2) and D's two in G's step (2); none for the images in D's step (the fused op: 8).
  equal(count("Conv2DBackpropInput"), 6);
  step.dispose();
});
