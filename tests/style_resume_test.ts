/**
 * A progressively growing run (a tiny `progan`) stopped inside a fade-in and resumed from its
 * checkpoint ends with the same weights, byte for byte, as the run that was never stopped: the
 * phase and blend come back from the images seen, Adam's per-variable β powers from the
 * checkpoint, across the phase changes that follow. Likewise a `cstylegan` run, whose noise
 * inputs and style mixing are drawn from the step.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { selectBackend } from "../src/backend/select.ts";
import type { ImageSet } from "../src/data/images.ts";
import { PRESETS } from "../src/models/presets.ts";
import { growthAt } from "../src/models/style/growth.ts";
import { Random } from "../src/random.ts";
import type { Checkpoint } from "../src/train/run/checkpoint.ts";
import { readCheckpoint } from "../src/train/run/checkpoint_file.ts";
import { RUN_LAYOUT, trainRun } from "../src/train/run/mod.ts";
import { fakeDigit } from "./helpers.ts";

/** Phases of 64 images, 16 a batch: fade-ins at steps 4–7 and 12–15, grown from step 16. */
const GROWTH = { stableImages: 64, fadeImages: 64 };
const BATCH = 16;

/** 160 digit-like 28×28 images in [-1, 1]: 10 steps an epoch. */
function digits(count: number): ImageSet {
  const random = new Random(0x7e5);
  const pixels = new Float32Array(count * 784);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  labels.forEach((label, i) =>
    fakeDigit(label, 28, random).forEach((v, p) => pixels[i * 784 + p] = v / 127.5 - 1)
  );
  return { pixels, count, height: 28, width: 28, channels: 1, labels };
}

/** The bytes of each saved model's weights file. */
async function weightFiles(run: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const dir of Object.values(RUN_LAYOUT.models)) {
    let model;
    try {
      model = JSON.parse(await Deno.readTextFile(join(run, dir, "model.json")));
    } catch {
      continue; // best/: evaluation is off
    }
    out[dir] = await Deno.readFile(join(run, dir, model.weightsManifest[0].paths[0]));
  }
  return out;
}

/**
 * Trains the preset's small models for 2 epochs (20 steps) into `reference`; again into `run`,
 * stopped after step 6 by the signal, then resumed from its checkpoint; returns the checkpoint
 * it stopped at. Checks that both runs end with the same model files and training state.
 */
async function stopAndResume(preset: "progan" | "cstylegan"): Promise<Checkpoint> {
  await selectBackend("wasm");
  const data = digits(160);
  const work = await Deno.makeTempDir();
  const small = { hiddenUnits: [8, 4, 2], growth: GROWTH };
  const options = {
    preset,
    generator: { ...small, latentDim: 8, styleDim: 8, mappingLayers: 2 },
    discriminator: small,
    epochs: 2,
    batchSize: BATCH,
    checkpointEvery: 4,
    logEvery: 1,
    gridSize: 4,
    data,
  };
  const reference = join(work, "reference");
  await trainRun({ ...options, out: reference });

  const run = join(work, "run");
  const stop = new AbortController();
  const stopped = await trainRun({
    ...options,
    out: run,
    signal: stop.signal,
    onStep: (info) => {
      if (info.globalStep === 6) stop.abort();
    },
  });
  equal(stopped.result.steps, 6);
  const checkpoint = await readCheckpoint(join(run, RUN_LAYOUT.checkpoint));
  equal(checkpoint.train.globalStep, 6);

  const resumed = await trainRun({ out: run, resume: true, data });
  equal(resumed.result.steps, 20);
  const [a, b] = [await weightFiles(reference), await weightFiles(run)];
  deepEqual(Object.keys(b).sort(), ["discriminator", "generator", "generator-last"]);
  for (const model of Object.keys(a)) deepEqual(b[model], a[model], `${model} weights differ`);
  const [x, y] = [
    await readCheckpoint(join(reference, RUN_LAYOUT.checkpoint)),
    await readCheckpoint(join(run, RUN_LAYOUT.checkpoint)),
  ];
  deepEqual(y.train, x.train);
  deepEqual(y.average, x.average);
  await Deno.remove(work, { recursive: true });
  return checkpoint;
}

// On wasm, Adam as our fused kernel (tests/style_models_test.ts checks Adam as tf.js's
// operations on cpu against a fresh one); on cpu the same runs take over two minutes.
Deno.test({
  name:
    "a progan run stopped inside a fade-in and resumed ends with the uninterrupted run's weights, byte for byte, across the phase changes after",
  fn: async () => {
    // Stopped after step 6 (of 20): the next step trains at α = 0.5 of the fade-in to 14×14;
    // the resumed run goes through 14×14 alone (steps 8–11), the fade-in to 28×28 (12–15) and
    // 28×28 alone (16–19).
    deepEqual(growthAt(6 * BATCH, GROWTH, 3), { phase: 1, alpha: 0.5 });
    deepEqual(growthAt(19 * BATCH, GROWTH, 3), { phase: 2, alpha: 1 });
    const checkpoint = await stopAndResume("progan");
    // The models hold the progress set before their last step (step 6 at 80 images: α = 0.25).
    for (const role of ["generator", "discriminator"] as const) {
      // Named `images_seen`, with tf.js's suffix when the process made such a layer before.
      const progress = checkpoint[role].find((w) => /\/images_seen(_\d+)?$/.test(w.name));
      deepEqual(progress?.values, Float32Array.of(5 * BATCH), role);
    }
    // The 28×28 blocks have had no gradient yet: their bias correction is their own.
    for (const role of ["generator", "discriminator"] as const) {
      const acc = checkpoint.train.optimizers[role].variableAcc;
      ok(acc, `${role}'s optimiser state has per-variable β powers`);
      ok(acc.beta2.some((p) => p !== checkpoint.train.optimizers[role].accBeta2));
    }
  },
});

Deno.test({
  name:
    "a cstylegan run stopped and resumed ends with the uninterrupted run's weights, byte for byte: per-step noise, style mixing and lazy R1 come back",
  fn: async () => {
    const checkpoint = await stopAndResume("cstylegan");
    // Every weight of G and of D (ProGAN's, grown from the start: a fromRGB at 28×28 only) has
    // had every update: their optimiser states are as before per-variable powers.
    const { generator, discriminator } = checkpoint.train.optimizers;
    equal("variableAcc" in generator, false);
    equal("variableAcc" in discriminator, false);
    ok(!checkpoint.discriminator.some((w) => /fromrgb(7|14)_/.test(w.name)), "no unused fromRGB");
    equal(checkpoint.settings.training.r1, PRESETS.cstylegan.training.r1, "the preset's R1");
    ok(PRESETS.cstylegan.training.r1! > 0);
  },
});
