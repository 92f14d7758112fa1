/**
 * The direct step's gradient penalties (src/train/direct/penalties.ts) against the autograd
 * step's, which tf.js's nested gradients compute (and tests/penalties_test.ts checks against
 * finite differences): WGAN-GP and R1, lazy R1 too, on MLPs with and without labels, over steps
 * of every part; their heap buffers and their state.
 */

import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { heapKernels } from "../src/backend/kernels/module.ts";
import { bytesToPixels } from "../src/data/images.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import type { PresetName } from "../src/models/presets.ts";
import { Random } from "../src/random.ts";
import type { StepPart } from "../src/train/options.ts";
import {
  createGanStep,
  type GanStepOptions,
  type GanStepState,
  type StepStats,
} from "../src/train/step.ts";
import { fakeDigit } from "./helpers.ts";

const ADAM = { learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
const B = 32;

/** The penalties under test. */
type Penalty = Pick<GanStepOptions, "loss" | "gradientPenalty" | "r1" | "r1Every">;

/** `steps` batches of 28×28 digit-like images in [-1, 1], their noise and their classes. */
function inputs(steps: number, noiseSize: number) {
  const random = new Random(11);
  let n = 0;
  return Array.from({ length: steps }, () => {
    const bytes = new Uint8Array(B * 784);
    for (let i = 0; i < B; i++) bytes.set(fakeDigit(i % 10, 28, random), i * 784);
    return {
      batch: bytesToPixels(bytes),
      noise: random.fillNormal(new Float32Array(noiseSize)),
      labels: Array.from({ length: B }, () => (n++ * 7) % 10),
    };
  });
}

/** D updates only, G only, and both, as `discriminatorSteps` and `nextStep` make them. */
const PARTS: StepPart[] = [
  "both",
  "discriminator",
  "both",
  "generator",
  "discriminator",
  "discriminator",
  "both",
  "both",
];

/** Trains PARTS from seed 1; the stats of each step, every weight after, the step's kind. */
async function train(preset: PresetName, penalty: Penalty, autograd: boolean) {
  const generator = createGenerator({ preset, seed: 1 });
  const discriminator = createDiscriminator({ preset, seed: 1 });
  const latent = generator.inputs[0].shape[1] as number;
  const conditional = generator.inputs.length === 2;
  const step = createGanStep(generator, discriminator, {
    ...ADAM,
    batchSize: B,
    generatorSteps: 2,
    ...penalty,
    random: new Random(5),
    autograd,
  });
  const kind = step.kind;
  const stats: StepStats[] = [];
  for (const [i, { batch, noise, labels }] of inputs(PARTS.length, 2 * B * latent).entries()) {
    stats.push(await step.run(batch, noise, conditional ? labels : undefined, PARTS[i]));
  }
  const updates = step.exportState().discriminatorUpdates;
  step.dispose();
  const weights = [...generator.getWeights(), ...discriminator.getWeights()].map((w) =>
    w.dataSync() as Float32Array
  );
  generator.dispose();
  discriminator.dispose();
  return { kind, stats, weights, updates };
}

/** Of all weights, how many differ by more than 1e-5. */
function apart(a: Float32Array[], b: Float32Array[]): [number, number] {
  let values = 0, far = 0;
  a.forEach((w, i) =>
    w.forEach((v, j) => {
      values++;
      if (Math.abs(v - b[i][j]) > 1e-5) far++;
    })
  );
  return [far, values];
}

const PENALTIES: [string, Penalty][] = [
  ["wgan-gp (λ 10)", { loss: "wgan-gp", gradientPenalty: 10 }],
  ["R1 (γ 1)", { r1: 1 }],
  ["lazy R1 (γ 1, every 3)", { r1: 1, r1Every: 3 }],
];

for (const preset of ["standard", "tutorial", "cgan"] as const) {
  for (const [name, penalty] of PENALTIES) {
    Deno.test(`direct step = autograd step with ${name}: ${preset}`, async () => {
      await selectBackend("wasm");
      const direct = await train(preset, penalty, false);
      const autograd = await train(preset, penalty, true);
      equal(direct.kind, "direct");
      equal(autograd.kind, "autograd");
      equal(direct.updates, 7); // every step but the G-only one
      equal(autograd.updates, 7);
      let maxLoss = 0;
      direct.stats.forEach((s, i) => {
        for (const key of ["lossD", "lossG", "dReal", "dFake"] as const) {
          const scale = Math.max(1, Math.abs(autograd.stats[i][key]));
          maxLoss = Math.max(maxLoss, Math.abs(s[key] - autograd.stats[i][key]) / scale);
        }
      });
      ok(maxLoss < 2e-5, `losses differ by ${maxLoss}`);
      const [far, values] = apart(direct.weights, autograd.weights);
      ok(far / values < 2e-3, `${far} of ${values} weights differ by more than 1e-5`);
      // The penalty matters here: without it the weights end far apart.
      const unpenalised = await train(preset, { ...penalty, gradientPenalty: 0, r1: 0 }, false);
      const [moved] = apart(direct.weights, unpenalised.weights);
      ok(moved / values > 0.05, `only ${moved} of ${values} weights moved with the penalty`);
      if (penalty.loss === "wgan-gp") {
        // lossD = E[D(x̃)] - E[D(x)] + λ·GP, and GP > 0.
        const [first] = direct.stats;
        ok(first.lossD - (first.dFake - first.dReal) > 1e-3, JSON.stringify(first));
      }
    });
  }
}

Deno.test("direct step with wgan-gp and R1 together = autograd step: standard", async () => {
  await selectBackend("wasm");
  const penalty: Penalty = { loss: "wgan-gp", gradientPenalty: 10, r1: 0.5, r1Every: 2 };
  const direct = await train("standard", penalty, false);
  const autograd = await train("standard", penalty, true);
  equal(direct.kind, "direct");
  direct.stats.forEach((s, i) => {
    const want = autograd.stats[i].lossD;
    ok(Math.abs(s.lossD - want) < 2e-5 * Math.max(1, Math.abs(want)), `${s.lossD} vs ${want}`);
  });
  const [far, values] = apart(direct.weights, autograd.weights);
  ok(far / values < 2e-3, `${far} of ${values} weights differ by more than 1e-5`);
});

Deno.test("penalties leave a discriminator with Tanh to the autograd step (its second derivative is not 0)", async () => {
  await selectBackend("wasm");
  const generator = createGenerator({ preset: "tutorial", seed: 1 });
  const discriminator = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 16 }),
      tfl.layers.activation({ activation: "tanh" }),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  const kind = (penalty: Penalty) => {
    const step = createGanStep(generator, discriminator, { ...ADAM, batchSize: 8, ...penalty });
    step.dispose();
    return step.kind;
  };
  equal(kind({}), "direct");
  equal(kind({ loss: "wgan-gp", gradientPenalty: 0 }), "direct");
  equal(kind({ loss: "wgan-gp" }), "autograd"); // λ 10 by default
  equal(kind({ r1: 1 }), "autograd");
  generator.dispose();
  discriminator.dispose();
});

Deno.test("the direct step with penalties frees its heap buffers and makes no tensors", async () => {
  await selectBackend("wasm");
  const generator = createGenerator({ preset: "standard", seed: 1 });
  const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
  const [{ batch, noise }] = inputs(1, 2 * B * 100);
  const cycle = async () => {
    const step = createGanStep(generator, discriminator, {
      ...ADAM,
      batchSize: B,
      loss: "wgan-gp",
      r1: 1,
    });
    equal(step.kind, "direct");
    await step.run(batch, noise);
    step.dispose();
  };
  for (let i = 0; i < 3; i++) await cycle();
  const memory = heapKernels(tf.backend()).memory;
  const bytes = memory.buffer.byteLength;
  const tensors = tf.memory().numTensors;
  // About 5 MB of buffers a step: 30 leaked would grow the heap by 150 MB.
  for (let i = 0; i < 30; i++) await cycle();
  equal(memory.buffer.byteLength, bytes);
  equal(tf.memory().numTensors, tensors);
  generator.dispose();
  discriminator.dispose();
});

/** A fresh pair of tutorial models. */
const tutorial = () => ({
  generator: createGenerator({ preset: "tutorial", seed: 3 }),
  discriminator: createDiscriminator({ preset: "tutorial", seed: 3 }),
});

Deno.test("the direct step's state with lazy R1 and WGAN-GP: discriminatorUpdates, exact resume", async () => {
  await selectBackend("wasm");
  const batches = inputs(6, B * 32);
  /** Runs steps [from, to) of the batches on a fresh step, from `state` when given. */
  const run = async (
    models: ReturnType<typeof tutorial>,
    random: Random,
    [from, to]: [number, number],
    state?: GanStepState,
  ) => {
    const step = createGanStep(models.generator, models.discriminator, {
      ...ADAM,
      batchSize: B,
      loss: "wgan-gp",
      r1: 1,
      r1Every: 3,
      random,
    });
    equal(step.kind, "direct");
    if (state) step.importState(state);
    for (let k = from; k < to; k++) await step.run(batches[k].batch, batches[k].noise);
    const exported = step.exportState();
    step.dispose();
    return exported;
  };
  const weights = (m: ReturnType<typeof tutorial>) =>
    [...m.generator.getWeights(), ...m.discriminator.getWeights()].map((w) => w.dataSync());
  const straight = tutorial();
  equal((await run(straight, new Random(9), [0, 6])).discriminatorUpdates, 6);
  const resumed = tutorial();
  const random = new Random(9);
  const middle = await run(resumed, random, [0, 4]);
  equal(middle.discriminatorUpdates, 4);
  // A fresh step, the optimisers' state and the random numbers where they were: the same end.
  const end = await run(resumed, Random.fromState(random.state), [4, 6], middle);
  equal(end.discriminatorUpdates, 6);
  deepEqual(weights(resumed), weights(straight));
  // A state without the count (an older one) starts it from 0: lazy R1 falls on other updates.
  const older = tutorial();
  const r = new Random(9);
  const { discriminatorUpdates: _, ...uncounted } = await run(older, r, [0, 4]);
  await run(older, Random.fromState(r.state), [4, 6], uncounted);
  notDeepEqual(weights(older), weights(straight));
  for (const m of [straight, resumed, older]) m.generator.dispose(), m.discriminator.dispose();
});
