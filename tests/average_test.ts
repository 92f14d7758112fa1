import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { loadModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import { GeneratorAverage, standingStatistics } from "../src/train/average.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { makeMnistDir } from "./helpers.ts";

const read = (m: { getWeights(): tf.Tensor[] }) =>
  m.getWeights().map((w) => Array.from(w.dataSync()));

Deno.test("GeneratorAverage: avg ← d·avg + (1 − d)·w each update, warming up; a twin receives it", async () => {
  await selectBackend("wasm");
  const g = createGenerator({ preset: "tutorial", seed: 1 });
  const start = read(g);
  // Decay 0.1: the warm-up (min(decay, (1 + t)/(10 + t))) does not bind.
  const average = new GeneratorAverage(g, 0.1);
  // Move the weights to w + 1, update; to w + 3, update:
  // avg = (w·0.1 + (w+1)·0.9)·0.1 + (w+3)·0.9 = w + 0.09 + 2.7 = w + 2.79
  const shift = (by: number) =>
    g.setWeights(
      start.map((w, i) => tf.tensor(w.map((v) => v + by), g.weights[i].shape as number[])),
    );
  shift(1);
  average.update();
  shift(3);
  average.update();
  const twin = createGenerator({ preset: "tutorial", seed: 2 });
  average.writeTo(twin);
  // With decay 0.999 the first update takes (1 + 1)/(10 + 1) = 0.18 of the old average, not 0.999.
  const warm = new GeneratorAverage(g, 0.999);
  shift(5);
  warm.update();
  const warmTwin = createGenerator({ preset: "tutorial", seed: 2 });
  warm.writeTo(warmTwin);
  const first = read(warmTwin)[0][0];
  ok(Math.abs(first - (start[0][0] + 3 * 2 / 11 + 5 * 9 / 11)) < 1e-5, `warm-up: ${first}`);
  warm.dispose();
  warmTwin.dispose();
  const got = read(twin);
  let worst = 0;
  got.forEach((w, i) =>
    w.forEach((v, j) => worst = Math.max(worst, Math.abs(v - (start[i][j] + 2.79))))
  );
  ok(worst < 1e-5, `max error ${worst}`);
  average.dispose();
  g.dispose();
  twin.dispose();
});

Deno.test("standingStatistics sets BatchNorm's moving statistics to what the layer sees", async () => {
  await selectBackend("wasm");
  const g = createGenerator({ preset: "standard", seed: 1 });
  standingStatistics(g, 2048);
  // The first BatchNorm sees the first Dense's output of the same noise: compare its moments.
  const bn = g.layers[1] as unknown as { movingMean: { read(): tf.Tensor } };
  const mean = bn.movingMean.read().dataSync();
  ok(mean.some((v) => v !== 0), "moving mean set");
  // Inference output then has per-unit mean ≈ beta (0) and variance ≈ gamma² (1) after the BN.
  const stats = tf.tidy(() => {
    const z = tf.randomNormal([2048, 100], 0, 1, "float32", 5);
    const h = g.layers[1].apply(g.layers[0].apply(z), { training: false }) as tf.Tensor;
    const { mean, variance } = tf.moments(h, 0);
    return [tf.mean(tf.abs(mean)).dataSync()[0], tf.mean(variance).dataSync()[0]];
  });
  ok(stats[0] < 0.1 && Math.abs(stats[1] - 1) < 0.1, `normalised: ${stats}`);
  g.dispose();
});

Deno.test("a run with average saves the averaged generator as generator/ and the last as generator-last/", async () => {
  await selectBackend("wasm");
  const data = await makeMnistDir({ train: 64, test: 16 });
  const out = join(await Deno.makeTempDir(), "run");
  const run = await trainRun({
    preset: "tutorial",
    epochs: 2,
    batchSize: 16,
    dataDir: data,
    out,
    average: 0.9,
    seed: 1,
  });
  ok(run.averaged, "averaged generator returned");
  equal(run.settings.average, 0.9);
  const saved = await loadModel(join(out, "generator"), "generator");
  const last = await loadModel(join(out, "generator-last"), "generator");
  const a = read(saved.model), l = read(last.model);
  ok(
    a.some((w, i) => w.some((v, j) => v !== l[i][j])),
    "the average differs from the last weights",
  );
  const expected = read(run.averaged!);
  ok(a.every((w, i) => w.every((v, j) => v === expected[i][j])), "generator/ holds the average");
  const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  equal(config.settings.average, 0.9);
  [saved.model, last.model, run.generator, run.averaged!, run.discriminator].forEach((m) =>
    m.dispose()
  );
});
