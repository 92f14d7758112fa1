/**
 * The objectives, their schedules and their state: each loss against its paper's formula, the
 * direct step against the autograd step for each, steps that update one network only, D steps
 * between G steps, penalties and augmentation without leaks, and bit-exact resumes with them.
 */

import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { bytesToPixels, type ImageSet } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import type { LayersModel } from "../src/tf_types.ts";
import {
  discriminatorLoss,
  generatorLoss,
  LOSS_NAMES,
  type LossName,
} from "../src/train/losses.ts";
import type { StepInfo, StepPart, TrainOptions } from "../src/train/options.ts";
import type { TrainState } from "../src/train/state.ts";
import { createGanStep, type StepStats } from "../src/train/step.ts";
import { trainGAN } from "../src/train/train.ts";
import { fakeDigit } from "./helpers.ts";

const ADAM = { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };

/** The papers' formulas in float64: D's and G's loss for one real and one generated batch. */
function reference(loss: LossName, real: number[], fake: number[]): [number, number] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  switch (loss) {
    case "ns":
      return [
        mean(real.map((x) => -Math.log(1 / (1 + Math.exp(-x))))) +
        mean(fake.map((x) => -Math.log(1 - 1 / (1 + Math.exp(-x))))),
        mean(fake.map((x) => softplus(-x))),
      ];
    case "hinge":
      return [
        mean(real.map((x) => Math.max(0, 1 - x))) + mean(fake.map((x) => Math.max(0, 1 + x))),
        -mean(fake),
      ];
    case "ls":
      return [
        0.5 * mean(real.map((x) => (x - 1) ** 2)) + 0.5 * mean(fake.map((x) => x ** 2)),
        0.5 * mean(fake.map((x) => (x - 1) ** 2)),
      ];
    case "wgan-gp":
      return [mean(fake) - mean(real), -mean(fake)];
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`[${backend}] every loss is its paper's formula`, async () => {
    await selectBackend(backend);
    const random = new Random(3);
    const real = Array.from({ length: 50 }, () => (random.uniform() - 0.3) * 6);
    const fake = Array.from({ length: 50 }, () => (random.uniform() - 0.7) * 6);
    for (const loss of LOSS_NAMES) {
      const [d, g] = tf.tidy(() => {
        const r = tf.tensor2d(real, [50, 1]), f = tf.tensor2d(fake, [50, 1]);
        return [
          discriminatorLoss(r, f, loss).dataSync()[0],
          generatorLoss(f, loss).dataSync()[0],
        ];
      });
      const [wantD, wantG] = reference(loss, real, fake);
      ok(Math.abs(d - wantD) < 1e-5 * Math.max(1, Math.abs(wantD)), `${loss} D: ${d} vs ${wantD}`);
      ok(Math.abs(g - wantG) < 1e-5 * Math.max(1, Math.abs(wantG)), `${loss} G: ${g} vs ${wantG}`);
    }
  });
}

/** `steps` batches of 28×28 digit-like images and their noise. */
function inputs(steps: number, batchSize: number, noiseSize: number, seed = 11) {
  const random = new Random(seed);
  return Array.from({ length: steps }, () => {
    const bytes = new Uint8Array(batchSize * 784);
    for (let i = 0; i < batchSize; i++) bytes.set(fakeDigit(i % 10, 28, random), i * 784);
    return { batch: bytesToPixels(bytes), noise: random.fillNormal(new Float32Array(noiseSize)) };
  });
}

const weightsOf = (model: LayersModel) => model.getWeights().map((w) => w.dataSync().slice());

/** Runs steps of one kind on the standard preset; returns the stats and every weight after. */
async function steps(
  loss: LossName,
  autograd: boolean,
  parts: StepPart[] = ["both", "both", "both", "both", "both", "both"],
) {
  const generator = createGenerator({ preset: "standard", seed: 1 });
  const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
  const step = createGanStep(generator, discriminator, {
    ...ADAM,
    batchSize: 32,
    generatorSteps: 2,
    loss,
    // The objective alone; tests/direct_penalties_test.ts compares the penalties.
    gradientPenalty: 0,
    autograd,
  });
  const kind = step.kind;
  const stats: StepStats[] = [];
  const weights: Float32Array[][] = [];
  for (const [i, { batch, noise }] of inputs(parts.length, 32, 2 * 32 * 100).entries()) {
    stats.push(await step.run(batch, noise, undefined, parts[i]));
    weights.push([...weightsOf(generator), ...weightsOf(discriminator)] as Float32Array[]);
  }
  step.dispose();
  generator.dispose();
  discriminator.dispose();
  return { kind, stats, weights };
}

for (const loss of ["hinge", "ls", "wgan-gp"] as const) {
  Deno.test(`direct step = autograd step with loss ${loss}`, async () => {
    await selectBackend("wasm");
    // wgan-gp with λ = 0 here: the objective alone (tests/direct_penalties_test.ts has the penalty).
    const direct = await steps(loss, false);
    const autograd = await steps(loss, true);
    equal(direct.kind, "direct");
    equal(autograd.kind, "autograd");
    let maxLoss = 0;
    direct.stats.forEach((s, i) => {
      for (const key of ["lossD", "lossG", "dReal", "dFake"] as const) {
        const scale = Math.max(1, Math.abs(autograd.stats[i][key]));
        maxLoss = Math.max(maxLoss, Math.abs(s[key] - autograd.stats[i][key]) / scale);
      }
    });
    ok(maxLoss < 2e-5, `losses differ by ${maxLoss}`);
    let values = 0, apart = 0;
    direct.weights.at(-1)!.forEach((w, i) =>
      w.forEach((v, j) => {
        values++;
        if (Math.abs(v - autograd.weights.at(-1)![i][j]) > 1e-5) apart++;
      })
    );
    ok(apart / values < 2e-3, `${apart} of ${values} weights differ by more than 1e-5`);
  });
}

for (const autograd of [false, true]) {
  Deno.test(`${autograd ? "autograd" : "direct"} step: a D-only step leaves G's weights, a G-only step D's`, async () => {
    await selectBackend("wasm");
    const parts: StepPart[] = ["both", "discriminator", "generator", "both"];
    const { weights, stats } = await steps("ns", autograd, parts);
    const model = createGenerator({ preset: "standard", seed: 1 });
    const gCount = model.getWeights().length, trainable = model.trainableWeights.length;
    model.dispose();
    const d = (w: Float32Array[]) => w.slice(gCount);
    // Step 2 (D only): G unchanged but for its BatchNorm statistics (a forward pass in training
    // mode updates them; getWeights lists them after the trainable weights), D changed.
    const trainableG = (w: Float32Array[]) => w.slice(0, trainable);
    deepEqual(trainableG(weights[1]), trainableG(weights[0]));
    notDeepEqual(d(weights[1]), d(weights[0]));
    // Step 3 (G only): D unchanged, G changed.
    deepEqual(d(weights[2]), d(weights[1]));
    notDeepEqual(trainableG(weights[2]), trainableG(weights[1]));
    for (const s of stats) ok(Object.values(s).every(Number.isFinite), JSON.stringify(s));
  });
}

/** `count` digit-like images in [-1, 1]. */
function digits(count: number, seed = 0): ImageSet {
  const random = new Random(seed);
  const bytes = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) bytes.set(fakeDigit(i % 10, 28, random), i * 784);
  return { pixels: bytesToPixels(bytes), count, height: 28, width: 28, channels: 1 };
}

Deno.test("trainGAN: discriminatorSteps N updates G on every N-th step; nextStep overrides a step's part", async () => {
  await selectBackend("wasm");
  const data = digits(16 * 8);
  const generator = createGenerator({ preset: "tutorial", seed: 2 });
  const discriminator = createDiscriminator({ preset: "tutorial", seed: 2 });
  const parts: StepPart[] = [];
  let calls = 0;
  await trainGAN(generator, discriminator, data, {
    epochs: 1,
    batchSize: 16,
    discriminatorSteps: 3,
    nextStep: () => (++calls === 2 ? "generator" : undefined),
    onStep: (s: StepInfo) => void parts.push(s.part),
  });
  equal(calls, 8);
  deepEqual(parts, [
    "discriminator",
    "generator", // nextStep's
    "both",
    "discriminator",
    "discriminator",
    "both",
    "discriminator",
    "discriminator",
  ]);
  generator.dispose();
  discriminator.dispose();
});

Deno.test("wgan-gp's defaults are its paper's (Adam 1e-4, β (0, 0.9), 5 D steps); options still win", async () => {
  const { resolveTrainOptions } = await import("../src/train/options.ts");
  const o = resolveTrainOptions({ loss: "wgan-gp" });
  deepEqual(
    [o.learningRate, o.beta1, o.beta2, o.discriminatorSteps, o.gradientPenalty],
    [1e-4, 0, 0.9, 5, 10],
  );
  equal(resolveTrainOptions({ loss: "wgan-gp", discriminatorSteps: 2 }).discriminatorSteps, 2);
  const ns = resolveTrainOptions({});
  deepEqual([ns.loss, ns.discriminatorSteps, ns.r1, ns.augment.length], ["ns", 1, 0, 0]);
  throws(() => resolveTrainOptions({ loss: "wasserstein" as LossName }), /loss must be one of/);
  throws(() => resolveTrainOptions({ augment: ["flip" as "cutout"] }), /augment: "flip"/);
  throws(() => resolveTrainOptions({ ada: true }), /give augment too/);
  throws(() => resolveTrainOptions({ r1: -1 }), /r1 must be/);
});

Deno.test("penalties refuse a discriminator with BatchNorm, which judges a batch and not each image", async () => {
  await selectBackend("wasm");
  const generator = createGenerator({ preset: "dcgan", seed: 1 });
  const discriminator = createDiscriminator({ preset: "dcgan", seed: 1 });
  for (const options of [{ loss: "wgan-gp" as const }, { r1: 1 }]) {
    throws(
      () => createGanStep(generator, discriminator, { ...ADAM, batchSize: 8, ...options }),
      /without BatchNorm/,
    );
  }
  generator.dispose();
  discriminator.dispose();
});

/** Options of each combination the resume and leak tests run. */
const COMBINATIONS: [string, TrainOptions][] = [
  ["wgan-gp, 3 D steps", { loss: "wgan-gp", discriminatorSteps: 3 }],
  ["hinge + lazy R1", { loss: "hinge", r1: 1, r1Every: 3 }],
  ["ns + DiffAugment + ADA", { augment: ["translation", "cutout"], ada: true }],
  ["ls + R1 + color", { loss: "ls", r1: 0.5, augment: ["color"] }],
];

for (const [name, options] of COMBINATIONS) {
  Deno.test(`${name}: no tensor leaks, finite losses, and a resume ends bit for bit where a straight run does`, async () => {
    await selectBackend("wasm");
    const data = digits(16 * 6);
    const train = async (resume?: { state: TrainState; weights: tf.Tensor[][] }) => {
      const generator = createGenerator({ preset: "tutorial", seed: 4 });
      const discriminator = createDiscriminator({ preset: "tutorial", seed: 4 });
      if (resume) {
        generator.setWeights(resume.weights[0]), discriminator.setWeights(resume.weights[1]);
      }
      let saved: { state: TrainState; weights: tf.Tensor[][] } | undefined;
      const tensors: number[] = [];
      const probabilities: number[] = [];
      await trainGAN(generator, discriminator, data, {
        ...options,
        epochs: 3,
        batchSize: 16,
        seed: 7,
        checkpointEvery: 7,
        resume: resume?.state,
        onStep: (s) => {
          // Less the test's own copies of the weights at the checkpoint.
          tensors.push(tf.memory().numTensors - (saved ? saved.weights.flat().length : 0));
          probabilities.push(s.augmentProbability);
          ok(Number.isFinite(s.lossD) && Number.isFinite(s.lossG), `step ${s.globalStep}`);
        },
        onCheckpoint: (state) => {
          if (state.globalStep !== 7) return;
          saved = {
            state: structuredClone(state),
            weights: [
              generator.getWeights().map((w) => w.clone()),
              discriminator.getWeights().map((w) => w.clone()),
            ],
          };
        },
      });
      const weights = [...weightsOf(generator), ...weightsOf(discriminator)];
      generator.dispose();
      discriminator.dispose();
      return { saved, weights, tensors, probabilities };
    };
    const straight = await train();
    // Flat from the first step that updated G on (the first update of each network makes its
    // optimiser's moments).
    const first = (options.discriminatorSteps ?? 1) - 1;
    const flat = straight.tensors.slice(first);
    ok(flat.every((n) => n === flat[0]), `${straight.tensors}`);
    if (options.ada) ok(straight.probabilities.some((p) => p > 0), "ADA never raised p");
    else if (options.augment) ok(straight.probabilities.every((p) => p === 1));
    const resumed = await train(straight.saved!);
    deepEqual(resumed.weights, straight.weights);
    straight.saved!.weights.flat().forEach((t) => t.dispose());
  });
}
