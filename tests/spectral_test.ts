/**
 * Spectral normalisation of the discriminator (src/train/spectral.ts): which kernels, that they
 * end with largest singular value 1, its state in checkpoints, exact resumption, no leaks.
 */
import { deepEqual, equal, notDeepEqual, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { readCheckpoint } from "../src/train/run/checkpoint_file.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { spectralKernels, SpectralNorm } from "../src/train/spectral.ts";
import { createGanStep } from "../src/train/step.ts";
import { makeMnistDir } from "./helpers.ts";

await selectBackend("wasm");

/** The largest singular value of a kernel seen as `(fanIn, units)`, in float64, independently. */
function topSingularValue(kernel: tf.Tensor): number {
  const units = kernel.shape[kernel.shape.length - 1];
  const w = Float64Array.from(kernel.dataSync());
  const rows = w.length / units;
  let u = new Float64Array(units).map((_, i) => 1 + i / units);
  let sigma = 0;
  for (let iteration = 0; iteration < 2000; iteration++) {
    // v = W u, then u = Wᵀ v, normalised; σ² = ‖Wᵀ W u‖ for a unit u at the fixed point.
    const v = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < units; c++) v[r] += w[r * units + c] * u[c];
    }
    const next = new Float64Array(units);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < units; c++) next[c] += w[r * units + c] * v[r];
    }
    const norm = Math.hypot(...next);
    sigma = Math.sqrt(norm);
    u = next.map((x) => x / norm);
  }
  return sigma;
}

const tinyDcgan = (seed: number) => ({
  generator: createGenerator({
    preset: "dcgan",
    hiddenUnits: [8, 4],
    latentDim: 6,
    latentMixture: null,
    seed,
  }),
  discriminator: createDiscriminator({ preset: "dcgan", hiddenUnits: [4, 8], seed }),
});

Deno.test("spectralKernels: the kernels no BatchNorm follows (dcgan: first convolution and the logit; MLP: all)", () => {
  const { generator, discriminator } = tinyDcgan(1);
  deepEqual(spectralKernels(discriminator).map((k) => k.shape), [[4, 4, 1, 4], [392, 1]]);
  const mlp = createDiscriminator({ preset: "standard", hiddenUnits: [32, 16], seed: 1 });
  deepEqual(spectralKernels(mlp).map((k) => k.shape), [[784, 32], [32, 16], [16, 1]]);
  for (const model of [generator, discriminator, mlp]) model.dispose();
});

Deno.test("SpectralNorm.apply divides each kernel by its largest singular value", () => {
  const discriminator = createDiscriminator({ preset: "standard", hiddenUnits: [32, 16], seed: 2 });
  const norm = new SpectralNorm(discriminator);
  // Make the singular values far from 1 first: 5× and 0.1× the initial weights.
  norm.kernels[0].assign(tf.mul(norm.kernels[0], 5));
  norm.kernels[1].assign(tf.mul(norm.kernels[1], 0.1));
  const before = norm.kernels.map(topSingularValue);
  ok(before[0] > 2 && before[1] < 0.5, `σ before: ${before}`);
  const copies = norm.kernels.map((k) => tf.clone(k));
  // The constructor's 50 iterations ran on the unscaled kernels; a few steps re-converge u.
  for (let i = 0; i < 5; i++) norm.apply();
  const after = norm.kernels.map(topSingularValue);
  for (const sigma of after) ok(Math.abs(sigma - 1) < 1e-3, `σ after: ${after}`);
  for (const sigma of norm.sigmas()) ok(Math.abs(sigma - 1) < 1e-3, `estimates: ${sigma}`);
  // Only a scale changes: the kernel is parallel to what it was.
  norm.kernels.forEach((kernel, i) => {
    const cosine = tf.tidy(() =>
      tf.div(tf.sum(tf.mul(kernel, copies[i])), tf.mul(tf.norm(kernel), tf.norm(copies[i])))
        .dataSync()[0]
    );
    ok(Math.abs(cosine - 1) < 1e-5, `cosine ${cosine}`);
  });
  tf.dispose(copies);
  norm.dispose();
  discriminator.dispose();
});

Deno.test("SpectralNorm: state round trip, bad states refused, no kernel refused, no leaks", () => {
  const { generator, discriminator } = tinyDcgan(3);
  const tensors = tf.memory().numTensors;
  const a = new SpectralNorm(discriminator);
  a.apply();
  const state = a.exportState();
  deepEqual(state.map((u) => u.length), [4, 1]);
  const b = new SpectralNorm(discriminator);
  b.importState(state);
  deepEqual(b.exportState(), state);
  throws(() => b.importState([state[0]]), /the state has 1 vectors, the discriminator 2/);
  throws(
    () => b.importState([new Float32Array(3), state[1]]),
    /vector 0 has 3 values, not 4 finite ones/,
  );
  throws(
    () => b.importState([Float32Array.of(NaN, 0, 0, 0), state[1]]),
    /vector 0 has 4 values, not 4 finite ones/,
  );
  for (let i = 0; i < 10; i++) a.apply(), a.sigmas();
  a.dispose(), b.dispose();
  equal(tf.memory().numTensors, tensors);
  const bare = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2] })] });
  throws(() => new SpectralNorm(bare), /has no kernel to normalise/);
  generator.dispose(), discriminator.dispose(), bare.dispose();
});

Deno.test("a GanStep with spectralNorm: σ 1 after each D update, vectors in its state, refused by steps without (autograd and direct)", async () => {
  const { generator, discriminator } = tinyDcgan(4);
  const settings = { batchSize: 8, learningRate: 0.01, beta1: 0.5, beta2: 0.999 };
  const step = createGanStep(generator, discriminator, { ...settings, spectralNorm: true });
  const batch = new Float32Array(8 * 784).map((_, i) => Math.sin(i) * 0.9);
  const noise = new Float32Array(8 * 6).map((_, i) => Math.cos(i));
  const tensors: number[] = [];
  for (let i = 0; i < 6; i++) {
    await step.run(batch, noise);
    tensors.push(tf.memory().numTensors);
  }
  equal(tensors[5], tensors[1]);
  for (const kernel of spectralKernels(discriminator)) {
    const sigma = topSingularValue(kernel);
    ok(Math.abs(sigma - 1) < 0.02, `σ ${sigma}`);
  }
  const state = step.exportState();
  deepEqual(state.spectral?.map((u) => u.length), [4, 1]);
  const plain = createGanStep(generator, discriminator, settings);
  throws(() => plain.importState(state), /holds spectral normalisation's vectors/);
  equal(plain.exportState().spectral, undefined);
  step.dispose(), plain.dispose();
  generator.dispose(), discriminator.dispose();
  // An MLP: with the option the step runs on autograd; the direct step refuses its state too.
  const mlp = {
    generator: createGenerator({ preset: "tutorial", hiddenUnits: [16], latentDim: 6, seed: 4 }),
    discriminator: createDiscriminator({ preset: "tutorial", hiddenUnits: [16], seed: 4 }),
  };
  const normalised = createGanStep(mlp.generator, mlp.discriminator, {
    ...settings,
    spectralNorm: true,
  });
  const direct = createGanStep(mlp.generator, mlp.discriminator, settings);
  deepEqual([normalised.kind, direct.kind], ["autograd", "direct"]);
  await normalised.run(batch, noise);
  throws(() => direct.importState(normalised.exportState()), /holds spectral normalisation's/);
  normalised.dispose(), direct.dispose();
  mlp.generator.dispose(), mlp.discriminator.dispose();
});

Deno.test("trainRun with spectralNorm: recorded in config.json, vectors in the checkpoint, a resumed run ends with the same weights, byte for byte", async () => {
  const dataDir = await makeMnistDir({ train: 96 });
  const root = await Deno.makeTempDir();
  const options = {
    preset: "dcgan" as const,
    generator: { hiddenUnits: [8, 4], latentDim: 12 },
    discriminator: { hiddenUnits: [4, 8] },
    batchSize: 16,
    seed: 5,
    dataDir,
    gridSize: 4,
    spectralNorm: true,
  };
  const whole = await trainRun({ ...options, epochs: 2, out: join(root, "whole") });
  await trainRun({ ...options, epochs: 1, out: join(root, "split") });
  const config = JSON.parse(await Deno.readTextFile(join(root, "split", "config.json")));
  equal(config.settings.training.spectralNorm, true);
  const checkpoint = await readCheckpoint(join(root, "split", "checkpoint.ckpt"));
  deepEqual(checkpoint.train.optimizers.spectral?.map((u) => u.length), [4, 1]);
  const resumed = await trainRun({ out: join(root, "split"), resume: true, epochs: 2 });
  equal(resumed.settings.training.spectralNorm, true);
  const weights = (r: typeof whole) => r.discriminator.getWeights().map((w) => w.dataSync());
  deepEqual(weights(resumed), weights(whole));
  // Without spectral normalisation the same run ends elsewhere.
  const plain = await trainRun({ ...options, spectralNorm: false, epochs: 2 });
  notDeepEqual(weights(plain), weights(whole));
  for (const r of [whole, resumed, plain]) {
    r.generator.dispose(), r.discriminator.dispose(), r.averaged?.dispose();
  }
  await Deno.remove(root, { recursive: true });
  await Deno.remove(dataDir, { recursive: true });
});
