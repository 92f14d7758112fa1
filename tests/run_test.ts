import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { selectBackend } from "../src/backend/select.ts";
import { RunDirectoryError } from "../src/errors.ts";
import { loadModel } from "../src/io/model_files.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { sample } from "../src/sample/sample.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { resolveRunSettings } from "../src/train/run/settings.ts";
import { optionsFromSettings } from "../src/train/run/resume.ts";
import { lossChartSvg } from "../src/train/run/chart.ts";
import { assertRejects, decodeGif, makeMnistDir } from "./helpers.ts";
import { DEFAULT_PRESET, getPreset } from "../src/models/presets.ts";
import { latentMixtureOf } from "../src/models/prior.ts";
import type { LayersModel } from "../src/tf_types.ts";

await selectBackend("wasm");

const small = { hiddenUnits: [16] };

Deno.test("trainRun writes the run directory: models every epoch, log, grids, loss curves, config", async () => {
  const data = await makeMnistDir({ train: 96 });
  const out = join(await Deno.makeTempDir(), "run");
  const epochsSeen: number[] = [];
  const { settings, result } = await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 2,
    batchSize: 16,
    seed: 3,
    dataDir: data,
    out,
    logEvery: 4,
    gridSize: 9,
    onEpoch: async (e) => {
      epochsSeen.push(e.epoch);
      // The epoch's files are written before onEpoch is called.
      const grid = `epoch-${String(e.epoch).padStart(3, "0")}.png`;
      ok((await Deno.stat(join(out, "samples", grid))).isFile);
    },
  });
  deepEqual(epochsSeen, [1, 2]);
  deepEqual({ epochs: result.epochs, steps: result.steps }, { epochs: 2, steps: 12 });
  deepEqual(
    [...Deno.readDirSync(out)].map((e) => e.name).sort(),
    [
      "checkpoint.ckpt",
      "config.json",
      "discriminator",
      "generator",
      // The last weights beside the averaged ones, when the preset averages G.
      ...(settings.average > 0 ? ["generator-last"] : []),
      "log.jsonl",
      "loss.svg",
      "samples",
    ],
  );
  deepEqual([...Deno.readDirSync(join(out, "samples"))].map((e) => e.name).sort(), [
    "epoch-001.png",
    "epoch-002.png",
    "progress.gif",
  ]);
  // A 3×3 grid of 28×28 images, each pixel doubled, 2 pixels of padding.
  const png = decode(await Deno.readFile(join(out, "samples", "epoch-002.png")));
  deepEqual([png.width, png.height], [2 + 3 * (56 + 2), 2 + 3 * (56 + 2)]);
  // The time-lapse: one frame per epoch, each that epoch's grid with its pixels undoubled.
  const gif = decodeGif(await Deno.readFile(join(out, "samples", "progress.gif")));
  deepEqual([gif.frames.length, gif.width, gif.height], [2, 1 + 3 * 29, 1 + 3 * 29]);
  for (const [i, frame] of gif.frames.entries()) {
    const grid = decode(await Deno.readFile(join(out, "samples", `epoch-00${i + 1}.png`)));
    for (let p = 0; p < gif.width * gif.height; p++) {
      const [x, y] = [p % gif.width, Math.floor(p / gif.width)];
      equal(frame.rgba[4 * p], grid.data[2 * y * grid.width + 2 * x], `frame ${i}`);
    }
  }
  // log.jsonl: a step line every 4 steps (and at the very end), an epoch line per epoch.
  const lines = (await Deno.readTextFile(join(out, "log.jsonl"))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  deepEqual(lines.map((l) => `${l.kind}:${l.global_step ?? l.epoch}`), [
    "step:4",
    "epoch:1",
    "step:8",
    "step:12",
    "epoch:2",
  ]);
  ok(lines.every((l) => Number.isFinite(l.loss_d) && Number.isFinite(l.loss_g)));
  const svg = await Deno.readTextFile(join(out, "loss.svg"));
  ok(svg.startsWith("<svg") && svg.includes("<polyline") && svg.trim().endsWith("</svg>"));
  // config.json records what reproduces the run.
  const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  deepEqual(config.settings, JSON.parse(JSON.stringify(settings)));
  equal(config.settings.training.seed, 3);
  equal(config.settings.generator.hiddenUnits[0], 16);
  equal(config.data.count, 96);
  // The saved generator is the trained one.
  const { model, metadata } = await loadModel(out);
  deepEqual(metadata, {
    ganMnist: {
      version: config.library.split(" ")[1],
      role: "generator",
      preset: "tutorial",
      epoch: 2,
      seed: 3,
    },
  });
  deepEqual(
    (await sample(model, { n: 3 })).pixels,
    (await sample(trained(await trainedAgain(data, out)), { n: 3 })).pixels,
  );
});

/** The generator a run saves as `generator/`: the averaged one where the run averages. */
function trained(run: { generator: LayersModel; averaged: LayersModel | null }) {
  return run.averaged ?? run.generator;
}

/** Trains again from the recorded settings: config.json is enough to reproduce the weights. */
async function trainedAgain(dataDir: string, out: string) {
  const { settings } = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
  return await trainRun({
    preset: settings.preset,
    generator: settings.generator,
    discriminator: settings.discriminator,
    ...settings.training,
    dataLimit: settings.data.limit,
    average: settings.average,
    dataDir,
  });
}

Deno.test("trainRun refuses a run directory that holds files, unless forced, before any work", async () => {
  const out = await Deno.makeTempDir();
  await Deno.writeTextFile(join(out, "precious.txt"), "keep me");
  const started = performance.now();
  await assertRejects(
    () => trainRun({ out, dataDir: "does/not/matter" }),
    RunDirectoryError,
    "exists and is not empty",
  );
  ok(performance.now() - started < 1000);
  equal(await Deno.readTextFile(join(out, "precious.txt")), "keep me");
  const file = join(out, "precious.txt");
  await assertRejects(
    () => trainRun({ out: file }),
    RunDirectoryError,
    "exists and is not a directory",
  );
  const data = await makeMnistDir({ train: 32 });
  const { result } = await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 1,
    batchSize: 16,
    dataDir: data,
    out,
    force: true,
  });
  equal(result.epochs, 1);
  ok((await Deno.stat(join(out, "generator", "model.json"))).isFile);
});

Deno.test("resolveRunSettings takes the preset's values and the overrides", () => {
  const lite = resolveRunSettings({ preset: "lite" });
  deepEqual([
    lite.training.epochs,
    lite.training.batchSize,
    lite.data.limit,
    lite.generator.latentDim,
  ], [20, 64, 10_000, 64]);
  const all = resolveRunSettings({ preset: "lite", dataLimit: null, epochs: 3, seed: 9 });
  deepEqual([all.training.epochs, all.training.seed, all.data.limit], [3, 9, null]);
  deepEqual(resolveRunSettings({ preset: "standard" }).data.limit, null);
});

Deno.test("G's learning rate: dcgan's 4× D's, kept by --lr, given by --g-lr, D's elsewhere", () => {
  const rates = (options: Parameters<typeof resolveRunSettings>[0]) => {
    const { learningRate, generatorLearningRate } = resolveRunSettings(options).training;
    return [learningRate, generatorLearningRate];
  };
  deepEqual(rates({ preset: "dcgan" }), [2e-4, 8e-4]);
  deepEqual(rates({ preset: "dcgan", learningRate: 1e-4 }), [1e-4, 4e-4]);
  deepEqual(rates({ preset: "dcgan", generatorLearningRate: 3e-4 }), [2e-4, 3e-4]);
  deepEqual(rates({ preset: "dcgan", faithful: true }), [2e-4, 2e-4]);
  deepEqual(rates({ preset: "standard", learningRate: 1e-3 }), [1e-3, 1e-3]);
  deepEqual(rates({ preset: "cdcgan" }), [2e-4, 2e-4]);
  throws(() => resolveRunSettings({ generatorLearningRate: -1 }), /generatorLearningRate/);
});

Deno.test("a run recorded before G had its own rate resumes with G at D's rate", () => {
  const fail = (fault: string): never => {
    throw new Error(fault);
  };
  const settings = resolveRunSettings({ preset: "dcgan" });
  const old = structuredClone(settings) as unknown as { training: Record<string, unknown> };
  delete old.training.generatorLearningRate;
  equal(optionsFromSettings(old, fail).generatorLearningRate, 2e-4);
  equal(optionsFromSettings(settings, fail).generatorLearningRate, 8e-4);
});

Deno.test("lossChartSvg draws both panels and skips non-finite points", () => {
  const svg = lossChartSvg([
    { globalStep: 1, lossD: 1, lossG: 2, dReal: 0.5, dFake: 0.4 },
    { globalStep: 2, lossD: NaN, lossG: Infinity, dReal: 0.6, dFake: 0.3 },
    { globalStep: 3, lossD: 0.8, lossG: 2.5, dReal: 0.7, dFake: 0.2 },
  ], "a <test>");
  equal(svg.match(/<polyline/g)?.length, 4);
  ok(svg.includes("a &lt;test>"));
  ok(!svg.includes("NaN") && !svg.includes("Infinity"));
});

Deno.test("a forced run removes the files of the run before it, and only those", async () => {
  const data = await makeMnistDir({ train: 32 });
  const out = await Deno.makeTempDir();
  const options = {
    preset: "tutorial" as const,
    generator: small,
    discriminator: small,
    batchSize: 16,
    dataDir: data,
    out,
    force: true,
  };
  await trainRun({ ...options, epochs: 3 });
  await Deno.writeTextFile(join(out, "notes.txt"), "mine");
  await trainRun({ ...options, epochs: 1 });
  deepEqual([...Deno.readDirSync(join(out, "samples"))].map((e) => e.name).sort(), [
    "epoch-001.png",
    "progress.gif",
  ]);
  equal(decodeGif(await Deno.readFile(join(out, "samples", "progress.gif"))).frames.length, 1);
  equal(await Deno.readTextFile(join(out, "notes.txt")), "mine");
  equal(JSON.parse(await Deno.readTextFile(join(out, "config.json"))).settings.training.epochs, 1);
});

Deno.test("trainRun checks the data against the batch size before it creates the run directory", async () => {
  const data = await makeMnistDir({ train: 10 });
  const out = join(await Deno.makeTempDir(), "run");
  await assertRejects(
    () => trainRun({ preset: "tutorial", dataDir: data, out }),
    RangeError,
    "the data holds 10 images, fewer than one batch of 32",
  );
  let created = true;
  await Deno.stat(out).catch(() => (created = false));
  equal(created, false);
});

Deno.test("trainRun evaluates every N epochs, keeps the best generator, and stops on collapse", async () => {
  const data = await makeMnistDir({ train: 64 });
  const out = join(await Deno.makeTempDir(), "run");
  // A scripted evaluator: FID 50, 30, 40, then coverage falls to 3 at epochs 4 and 5.
  const script = [
    { fid: 50, coverage: 10 },
    { fid: 30, coverage: 10 },
    { fid: 40, coverage: 9 },
    { fid: 45, coverage: 3 },
    { fid: 45, coverage: 3 },
    { fid: 45, coverage: 3 },
  ];
  let calls = 0;
  const seen: { n: number; seed: number }[] = [];
  const evaluator = (_g: unknown, options: { n: number; seed: number }) => {
    seen.push(options);
    const { fid, coverage } = script[calls++];
    return Promise.resolve({
      fid,
      coverage,
      is: 5,
      precision: 0.5,
      recall: 0.5,
      confidence: 0.9,
      classShare: Array(10).fill(0.1),
    });
  };
  const warnings: string[] = [];
  const { result, stoppedBy, best, warnings: all } = await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 6,
    batchSize: 16,
    seed: 1,
    dataDir: data,
    out,
    evalEvery: 1,
    evalSamples: 100,
    evaluator,
    stopOnCollapse: true,
    onWarning: (w) => {
      warnings.push(w.kind);
    },
  });
  equal(calls, 5);
  deepEqual(seen[0], seen[4]); // the same samples every time: evaluations compare
  equal(seen[0].n, 100);
  deepEqual(warnings, ["mode-collapse"]);
  equal(all[0].epoch, 5);
  equal(stoppedBy, "mode-collapse");
  equal(result.epochs, 5);
  ok(result.aborted);
  equal(best?.epoch, 2);
  equal(best?.fid, 30);
  // R/best holds epoch 2's generator: the same samples as the generator saved then.
  const saved = await loadModel(join(out, "best"));
  equal((saved.metadata as { ganMnist: { epoch: number } }).ganMnist.epoch, 2);
  const lines = (await Deno.readTextFile(join(out, "log.jsonl"))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  deepEqual(lines.filter((l) => l.kind === "eval").map((l) => l.fid), [50, 30, 40, 45, 45]);
  const warning = lines.find((l) => l.kind === "warning");
  equal(warning.issue, "mode-collapse");
  ok(warning.message.includes("3 classes"));
  const svg = await Deno.readTextFile(join(out, "loss.svg"));
  ok(svg.includes("FID") && svg.includes("recall"));
});

Deno.test("trainRun without stopOnCollapse warns and goes on; every N epochs means N", async () => {
  const data = await makeMnistDir({ train: 32 });
  const epochs: number[] = [];
  const { result, warnings, stoppedBy } = await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 5,
    batchSize: 16,
    dataDir: data,
    evalEvery: 2,
    evalSamples: 10,
    // Coverage 10, then 2: a collapse.
    evaluator: () =>
      Promise.resolve({
        fid: 1,
        coverage: epochs.length === 0 ? 10 : 2,
        is: 1,
        precision: 0,
        recall: 0,
        confidence: 1,
        classShare: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      }),
    onEvaluation: (e) => {
      epochs.push(e.epoch);
    },
  });
  deepEqual(epochs, [2, 4, 5]); // and after the last
  equal(result.epochs, 5);
  equal(stoppedBy, null);
  deepEqual(warnings.map((w) => w.kind), ["mode-collapse"]);
});

Deno.test("a non-finite loss stops training at once and keeps the last good models", async () => {
  const images = await loadMnist({ dir: await makeMnistDir({ train: 32 }) });
  const out = join(await Deno.makeTempDir(), "run");
  const { result, stoppedBy, warnings } = await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 3,
    batchSize: 16,
    data: images,
    out,
    // After epoch 1 the data turns to NaN: epoch 2's first step has a NaN loss.
    onEpoch: () => {
      images.pixels.fill(NaN);
    },
  });
  equal(stoppedBy, "non-finite");
  equal(warnings.length, 1);
  equal(warnings[0].globalStep, 3);
  ok(warnings[0].fatal);
  equal(result.epochs, 1);
  equal(result.steps, 3);
  const saved = await loadModel(join(out, "generator"));
  equal((saved.metadata as { ganMnist: { epoch: number } }).ganMnist.epoch, 1);
  const weights = saved.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
  ok(weights.every(Number.isFinite));
});

Deno.test("trainRun builds the run's own preset's models, not the default preset's", async () => {
  const data = await loadMnist({ dir: await makeMnistDir({ train: 32 }) });
  const models = async (options: Parameters<typeof trainRun>[0]) => {
    const run = await trainRun({ epochs: 1, batchSize: 16, data, ...options });
    const all = [run.generator, run.averaged ?? run.generator, run.discriminator];
    const shape = all.map((m) => m.inputs.length);
    const mixture = latentMixtureOf(run.generator) ?? null;
    for (const m of new Set(all)) m.dispose();
    return { shape, mixture };
  };
  // The default preset (quick) is conditional: an unconditional preset's three models take one
  // input each, averaged or not.
  equal(getPreset(DEFAULT_PRESET).generator.classes, 10);
  deepEqual(await models({ preset: "tutorial", generator: small, discriminator: small }), {
    shape: [1, 1, 1],
    mixture: null,
  });
  deepEqual((await models({ generator: small, discriminator: small })).shape, [2, 2, 2]);
  // dcgan draws z from a mixture; `latentMixture: null` (train --mixture none) takes it away.
  const tiny = { hiddenUnits: [4, 2] };
  equal(
    (await models({ preset: "dcgan", generator: tiny, discriminator: tiny })).mixture?.components,
    10,
  );
  deepEqual(
    await models({
      preset: "dcgan",
      generator: { ...tiny, latentMixture: null },
      discriminator: tiny,
    }),
    { shape: [1, 1, 1], mixture: null },
  );
});
