import { deepEqual, equal, match, notDeepEqual, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { ModelFileError } from "../src/errors.ts";
import { loadModel, saveModel } from "../src/io/model_files.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import {
  latentMixtureOf,
  latentMixtureProblem,
  latentNoise,
  setLatentMixture,
} from "../src/models/prior.ts";
import { Random } from "../src/random.ts";
import { sample } from "../src/sample/sample.ts";
import { standingStatistics } from "../src/train/average.ts";
import { trainGAN } from "../src/train/train.ts";
import { optionsFromSettings } from "../src/train/run/resume.ts";
import { resolveRunSettings } from "../src/train/run/settings.ts";
import { assertRejects } from "./helpers.ts";

await selectBackend("wasm");

Deno.test("latentNoise: N(0, I) plus the scale on one of the first components axes of each row", () => {
  const rows = 10_000, latent = 20;
  const plain = latentNoise(new Random(3), rows, latent);
  deepEqual(plain, new Random(3).fillNormal(new Float32Array(rows * latent)));
  const mixed = latentNoise(new Random(3), rows, latent, { components: 5, scale: 4 });
  const counts = new Array(5).fill(0);
  for (let r = 0; r < rows; r++) {
    const moved: number[] = [];
    for (let i = 0; i < latent; i++) {
      const d = mixed[r * latent + i] - plain[r * latent + i];
      if (Math.abs(d) > 1e-5) {
        ok(Math.abs(d - 4) < 1e-5, `row ${r}: moved by ${d}`);
        moved.push(i);
      }
    }
    equal(moved.length, 1, `row ${r} moved on ${moved.length} axes`);
    ok(moved[0] < 5);
    counts[moved[0]]++;
  }
  // Uniform over the components: 2,000 each, ± 5 standard deviations (about 200).
  for (const c of counts) ok(Math.abs(c - 2000) < 200, `component counts ${counts}`);
});

Deno.test("the dcgan preset draws from a 10-component mixture; --faithful and the others from N(0, I)", () => {
  const dcgan = createGenerator({ preset: "dcgan", seed: 1 });
  deepEqual(latentMixtureOf(dcgan), { components: 10, scale: 4 });
  equal(latentMixtureOf(createGenerator({ preset: "dcgan", faithful: true })), undefined);
  equal(latentMixtureOf(createGenerator({ preset: "lite" })), undefined);
  equal(latentMixtureOf(createGenerator({ preset: "dcgan", latentMixture: null })), undefined);
  deepEqual(
    latentMixtureOf(
      createGenerator({ preset: "lite", latentMixture: { components: 3, scale: 2 } }),
    ),
    { components: 3, scale: 2 },
  );
  for (const g of [dcgan]) g.dispose();
});

Deno.test("a bad mixture is refused with its fault", () => {
  equal(latentMixtureProblem({ components: 10, scale: 4 }, 100), undefined);
  match(latentMixtureProblem({ components: 1, scale: 4 }, 100)!, /components/);
  match(latentMixtureProblem({ components: 101, scale: 4 }, 100)!, /latent size 100/);
  match(latentMixtureProblem({ components: 10, scale: NaN }, 100)!, /scale/);
  match(latentMixtureProblem([10, 4], 100)!, /object/);
  throws(
    () => createGenerator({ preset: "lite", latentMixture: { components: 2.5, scale: 4 } }),
    RangeError,
    "createGenerator: latentMixture components",
  );
  const g = createGenerator({ preset: "lite" });
  throws(() => setLatentMixture(g, { components: 10, scale: -1 }), RangeError, "scale");
  g.dispose();
});

Deno.test("the prior is saved with the model, loaded back, and sampled from", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mixed = createGenerator({
      preset: "lite",
      seed: 2,
      latentMixture: { components: 10, scale: 4 },
    });
    const plain = createGenerator({ preset: "lite", seed: 2 });
    // Same weights, different priors: different samples.
    const a = await sample(mixed, { n: 8, seed: 1 });
    const b = await sample(plain, { n: 8, seed: 1 });
    notDeepEqual(a.pixels, b.pixels);
    await saveModel(mixed, join(dir, "g"), { metadata: { note: "kept" } });
    const loaded = await loadModel(join(dir, "g"));
    deepEqual(latentMixtureOf(loaded.model), { components: 10, scale: 4 });
    equal(loaded.metadata?.note, "kept");
    deepEqual((await sample(loaded.model, { n: 8, seed: 1 })).pixels, a.pixels);
    // BatchNorm's statistics for an averaged generator come from its own prior.
    standingStatistics(loaded.model, 256);
    standingStatistics(plain, 256);
    const mean = (m: typeof plain) => Array.from(m.getWeights().at(-4)?.dataSync() ?? []);
    notDeepEqual(mean(loaded.model), mean(plain));
    for (const m of [mixed, plain, loaded.model]) m.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a model.json with a broken prior is one ModelFileError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const g = createGenerator({ preset: "lite", seed: 2 });
    await saveModel(g, dir);
    g.dispose();
    const path = join(dir, "model.json");
    const json = JSON.parse(await Deno.readTextFile(path));
    json.userDefinedMetadata = { latentMixture: { components: 500, scale: 4 } };
    await Deno.writeTextFile(path, JSON.stringify(json));
    const error = await assertRejects(() => loadModel(dir), ModelFileError);
    ok(error.message.includes(path), error.message);
    match(error.message, /latentMixture components/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainGAN draws the generator's noise from its prior", async () => {
  const count = 64, size = 28 * 28;
  const pixels = new Random(5).fillNormal(new Float32Array(count * size)).map((v) => Math.tanh(v));
  const data = { pixels, count, height: 28, width: 28, channels: 1 };
  const trained = async (latentMixture: { components: number; scale: number } | null) => {
    const generator = createGenerator({ preset: "lite", seed: 1, latentMixture });
    const discriminator = createDiscriminator({ preset: "lite", seed: 1 });
    await trainGAN(generator, discriminator, data, { epochs: 1, batchSize: 32, seed: 4 });
    const weights = generator.getWeights().map((w) => Array.from(w.dataSync()));
    generator.dispose();
    discriminator.dispose();
    return weights;
  };
  const before = tf.memory().numTensors;
  const plain = await trained(null);
  deepEqual(await trained(null), plain); // training is deterministic: the control
  notDeepEqual(await trained({ components: 10, scale: 4 }), plain);
  equal(tf.memory().numTensors, before);
});

Deno.test("a run recorded before the prior existed resumes with N(0, I); a new one keeps its own", () => {
  const fail = (fault: string): never => {
    throw new Error(fault);
  };
  const settings = resolveRunSettings({ preset: "dcgan" });
  deepEqual(settings.generator.latentMixture, { components: 10, scale: 4 });
  const old = structuredClone(settings) as unknown as { generator: Record<string, unknown> };
  delete old.generator.latentMixture;
  const resumedOld = resolveRunSettings(optionsFromSettings(old, fail));
  equal(resumedOld.generator.latentMixture, undefined);
  deepEqual(resumedOld.generator, old.generator);
  const resumedNew = resolveRunSettings(optionsFromSettings(settings, fail));
  deepEqual(resumedNew.generator, settings.generator);
});

Deno.test("the web explorer draws from the same kind of prior", async () => {
  const { latentNoise: pageNoise, normalNoise } = await import("../src/serve/static/images.js");
  const rows = 2000, latent = 20;
  const plain: Float32Array = normalNoise(rows * latent, 7);
  deepEqual(pageNoise(rows, latent, 7, null), plain);
  const mixed: Float32Array = pageNoise(rows, latent, 7, { components: 5, scale: 4 });
  const counts = new Array(5).fill(0);
  for (let r = 0; r < rows; r++) {
    const moved = [];
    for (let i = 0; i < latent; i++) {
      const d = mixed[r * latent + i] - plain[r * latent + i];
      if (Math.abs(d) > 1e-5) moved.push([i, d]);
    }
    equal(moved.length, 1);
    ok(moved[0][0] < 5 && Math.abs(moved[0][1] - 4) < 1e-5);
    counts[moved[0][0]]++;
  }
  for (const c of counts) ok(Math.abs(c - 400) < 100, `component counts ${counts}`);
});
