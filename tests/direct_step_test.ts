import { equal, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { heapKernels } from "../src/backend/kernels/module.ts";
import { bytesToPixels } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import type { PresetName } from "../src/models/presets.ts";
import { Random } from "../src/random.ts";
import { createGanStep, type StepStats } from "../src/train/step.ts";
import { fakeDigit } from "./helpers.ts";

const ADAM = { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };

/** `steps` batches of 28×28 digit-like images in [-1, 1] and their noise. */
function inputs(steps: number, batchSize: number, noiseSize: number) {
  const random = new Random(11);
  return Array.from({ length: steps }, () => {
    const bytes = new Uint8Array(batchSize * 784);
    for (let i = 0; i < batchSize; i++) bytes.set(fakeDigit(i % 10, 28, random), i * 784);
    return { batch: bytesToPixels(bytes), noise: random.fillNormal(new Float32Array(noiseSize)) };
  });
}

/** Trains `steps` steps from seed 1; the losses of each step and every weight after them. */
async function train(
  preset: PresetName,
  faithful: boolean,
  generatorSteps: number,
  autograd: boolean,
  steps = 8,
) {
  const generator = createGenerator({ preset, faithful, seed: 1 });
  const discriminator = createDiscriminator({ preset, faithful, seed: 1 });
  const latent = generator.inputs[0].shape[1] as number;
  const step = createGanStep(generator, discriminator, {
    ...ADAM,
    batchSize: 32,
    generatorSteps,
    autograd,
  });
  const kind = step.kind;
  const stats: StepStats[] = [];
  // Conditional models: each batch's classes, in an order that changes from step to step.
  const conditional = generator.inputs.length === 2;
  let n = 0;
  for (const { batch, noise } of inputs(steps, 32, generatorSteps * 32 * latent)) {
    const labels = conditional ? Array.from({ length: 32 }, () => (n++ * 7) % 10) : undefined;
    stats.push(await step.run(batch, noise, labels));
  }
  step.dispose();
  const weights = [...generator.getWeights(), ...discriminator.getWeights()].map((w) =>
    w.dataSync() as Float32Array
  );
  generator.dispose();
  discriminator.dispose();
  return { kind, stats, weights };
}

const CASES: [PresetName, boolean, number][] = [
  ["standard", false, 2], // BatchNorm in G, 2 G updates
  ["standard", true, 1], // the original recipe
  ["lite", false, 1], // three BatchNorm layers
  ["tutorial", false, 1], // LeakyReLU 0.01 in both
  ["cgan", false, 2], // conditional: the one-hot label joined to z and to the image
];

for (const [preset, faithful, generatorSteps] of CASES) {
  Deno.test(`direct step = autograd step: ${preset}${faithful ? " --faithful" : ""}, ${generatorSteps} G update(s)`, async () => {
    await selectBackend("wasm");
    const direct = await train(preset, faithful, generatorSteps, false);
    const autograd = await train(preset, faithful, generatorSteps, true);
    equal(direct.kind, "direct");
    equal(autograd.kind, "autograd");
    // Losses and D outputs, every step: the same to float32 rounding.
    let maxLoss = 0;
    direct.stats.forEach((s, i) => {
      for (const key of ["lossD", "lossG", "dReal", "dFake"] as const) {
        maxLoss = Math.max(maxLoss, Math.abs(s[key] - autograd.stats[i][key]));
      }
    });
    ok(maxLoss < 2e-5, `losses differ by ${maxLoss}`);
    // Weights: Adam moves each by about lr a step whatever the gradient's size, so a gradient
    // that is zero but for rounding (the bias of a Dense before a BatchNorm) or nearly as small as
    // Adam's ε moves differently on both paths; all others must agree.
    let values = 0, apart = 0;
    direct.weights.forEach((w, i) =>
      w.forEach((v, j) => {
        values++;
        if (Math.abs(v - autograd.weights[i][j]) > 1e-5) apart++;
      })
    );
    ok(apart / values < 2e-3, `${apart} of ${values} weights differ by more than 1e-5`);
  });
}

Deno.test("the direct step: where it applies, and the autograd step everywhere else", async () => {
  const kindOf = (options: { dropout?: number; autograd?: boolean; batchNormD?: boolean }) => {
    const generator = createGenerator({ preset: "tutorial", seed: 1 });
    const discriminator = createDiscriminator({
      preset: "tutorial",
      seed: 1,
      dropout: options.dropout,
    });
    const step = createGanStep(generator, discriminator, {
      ...ADAM,
      batchSize: 8,
      autograd: options.autograd,
    });
    const kind = step.kind;
    step.dispose();
    generator.dispose();
    discriminator.dispose();
    return kind;
  };
  await selectBackend("wasm");
  equal(kindOf({}), "direct");
  equal(kindOf({ autograd: true }), "autograd");
  equal(kindOf({ dropout: 0.3 }), "autograd"); // Dropout is not written out
  await selectBackend("wasm", { kernels: "stock" });
  equal(kindOf({}), "autograd");
  await selectBackend("cpu");
  equal(kindOf({}), "autograd");
});

Deno.test("the direct step frees its heap buffers and makes no tensors", async () => {
  await selectBackend("wasm");
  const generator = createGenerator({ preset: "standard", seed: 1 });
  const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
  const [{ batch, noise }] = inputs(1, 64, 2 * 64 * 100);
  const cycle = async () => {
    const step = createGanStep(generator, discriminator, { ...ADAM, batchSize: 64 });
    await step.run(batch, noise);
    step.dispose();
  };
  for (let i = 0; i < 3; i++) await cycle();
  const memory = heapKernels(tf.backend()).memory;
  const bytes = memory.buffer.byteLength;
  const tensors = tf.memory().numTensors;
  // About 10 MB of buffers a step: 30 leaked would grow the heap by 300 MB.
  for (let i = 0; i < 30; i++) await cycle();
  equal(memory.buffer.byteLength, bytes);
  equal(tf.memory().numTensors, tensors);
  generator.dispose();
  discriminator.dispose();
});

Deno.test("the direct step updates weights in place but never data another tensor shares", async () => {
  await selectBackend("wasm");
  const generator = createGenerator({ preset: "tutorial", seed: 1 });
  const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
  const kernel = generator.getWeights()[0];
  const view = tf.reshape(kernel, [-1]); // shares the variable's data
  const before = view.dataSync().slice();
  const step = createGanStep(generator, discriminator, { ...ADAM, batchSize: 8 });
  equal(step.kind, "direct");
  const [{ batch, noise }] = inputs(1, 8, 8 * 32);
  await step.run(batch, noise);
  // The copy made on the first step is the variable's own: later steps make no more tensors.
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await step.run(batch, noise);
  equal(tf.memory().numTensors, tensors);
  const after = generator.getWeights()[0].dataSync();
  ok(after.some((v, i) => v !== before[i]), "the generator's weights moved");
  const changed = Array.from(view.dataSync()).filter((v, i) => v !== before[i]).length;
  equal(changed, 0, `${changed} values of the reshaped view changed`);
  step.dispose();
  throws(() => step.run(batch, noise), Error, "after dispose");
  view.dispose();
  generator.dispose();
  discriminator.dispose();
});
