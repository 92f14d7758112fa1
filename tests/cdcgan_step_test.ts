/**
 * The conditional DCGAN's autograd step (two-input functional models) on our kernels: BatchNorm
 * on our fused kernels, D's first convolution without its label maps, G's label join on the
 * copying kernels, against tf.js's BatchNorm composition.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { GAN_BATCH_NORM } from "../src/backend/kernels/batch_norm.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { createGanStep, type StepStats } from "../src/train/step.ts";
import { Random } from "../src/random.ts";
import type { LayersModel } from "../src/tf_types.ts";

const BATCH = 16, STEPS = 5;

/** What five steps of cdcgan from seed 1 leave: losses, every weight, tensors after each. */
interface Trace {
  stats: StepStats[];
  weights: Float32Array[];
  tensors: number[];
  kernels: string[];
}

async function train(models: { g: LayersModel; d: LayersModel }): Promise<Trace> {
  const { g, d } = models;
  const step = createGanStep(g, d, {
    batchSize: BATCH,
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
  });
  equal(step.kind, "autograd");
  const random = new Random(7);
  const stats: StepStats[] = [], tensors: number[] = [];
  let kernels: string[] = [];
  for (let i = 0; i < STEPS; i++) {
    const batch = Float32Array.from({ length: BATCH * 784 }, () => random.uniform() * 2 - 1);
    const noise = random.fillNormal(new Float32Array(BATCH * 100));
    const labels = Array.from({ length: BATCH }, (_, j) => (i + j) % 10);
    if (i === STEPS - 1) {
      const info = await tf.profile(async () =>
        void stats.push(await step.run(batch, noise, labels))
      );
      kernels = info.kernels.map((k) => k.name);
    } else {
      stats.push(await step.run(batch, noise, labels));
    }
    tensors.push(tf.memory().numTensors);
  }
  step.dispose();
  // Trainable weights and the BatchNorm layers' moving statistics.
  const weights = [...g.weights, ...d.weights].map((w) => w.read().dataSync() as Float32Array);
  return { stats, weights, tensors, kernels };
}

const cdcgan = () => ({
  g: createGenerator({ preset: "cdcgan", seed: 1 }),
  d: createDiscriminator({ preset: "cdcgan", seed: 1 }),
});

Deno.test("cdcgan's step on our BatchNorm and copy kernels matches tf.js's BatchNorm over 5 steps, leaking no tensors", async () => {
  await selectBackend("wasm");
  // tf.js's BatchNorm composition: with our kernel unregistered, the layers' own call runs.
  tf.unregisterKernel(GAN_BATCH_NORM, "wasm");
  const tfjsModels = cdcgan();
  const tfjs = await train(tfjsModels);
  await selectBackend("wasm"); // registers it again
  const oursModels = cdcgan();
  const ours = await train(oursModels);

  let lossDiff = 0, weightDiff = 0;
  ours.stats.forEach((s, i) => {
    for (const key of ["lossD", "lossG", "dReal", "dFake"] as const) {
      ok(Number.isFinite(s[key]));
      lossDiff = Math.max(lossDiff, Math.abs(s[key] - tfjs.stats[i][key]));
    }
  });
  ours.weights.forEach((w, i) =>
    w.forEach((v, j) => {
      const e = Math.abs(v - tfjs.weights[i][j]) / Math.max(1, Math.abs(tfjs.weights[i][j]));
      weightDiff = Math.max(weightDiff, e);
    })
  );
  console.log(
    `cdcgan, ${STEPS} steps: max loss difference ${lossDiff.toExponential(2)}, ` +
      `max weight difference ${weightDiff.toExponential(2)} (relative, absolute below 1)`,
  );
  ok(lossDiff < 1e-3, `losses differ by ${lossDiff}`);
  ok(weightDiff < 1e-4, `weights differ by ${weightDiff}`);
  equal(new Set(ours.tensors).size, 1, `tensors after each step: ${ours.tensors}`);
  equal(new Set(tfjs.tensors).size, 1, `tensors after each step: ${tfjs.tensors}`);

  // Our BatchNorm in every layer; D's label maps never made (src/train/label_maps.ts): no resize,
  // and the one Concat is G's input (z ‖ label).
  const count = (name: string) => ours.kernels.filter((k) => k === name).length;
  equal(count("GanBatchNormTrain"), 5);
  equal(count("FusedBatchNorm"), 0);
  equal(count("SplitV"), 0);
  equal(count("ResizeNearestNeighborGrad"), 0);
  equal(count("ResizeNearestNeighbor"), 0);
  equal(count("Concat"), 1);
  for (const { g, d } of [tfjsModels, oursModels]) {
    g.dispose();
    d.dispose();
  }
});

Deno.test("a cdcgan trained by the step saves and loads as stock tf.js layers, predicting the same", async () => {
  await selectBackend("wasm");
  const { g, d } = cdcgan();
  await train({ g, d });
  for (const model of [g, d]) {
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
      });
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    deepEqual(
      loaded.layers.map((l) => l.getClassName()),
      model.layers.map((l) => l.getClassName()),
    );
    const random = new Random(9);
    const first = model.inputs[0].shape.slice(1) as number[];
    const x = tf.tensor(random.fillNormal(new Float32Array(4 * first.reduce((a, b) => a * b))), [
      4,
      ...first,
    ]);
    const y = tf.cast(tf.oneHot(tf.tensor1d([0, 3, 5, 9], "int32"), 10), "float32");
    const [a, b] = [model, loaded].map((m) => (m.predict([x, y]) as tf.Tensor).dataSync());
    deepEqual(b, a);
    tf.dispose([x, y]);
    loaded.dispose();
  }
  g.dispose();
  d.dispose();
});
