/**
 * ProGAN's and StyleGAN's models (src/models/style/): the growing schedule, what a growing
 * generator and discriminator compute at each phase, model files and the averaged twin keeping
 * the growth, flat memory while training each preset, and Adam's per-variable bias correction
 * for the blocks that get their first gradient late (src/train/adam.ts).
 */

import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import type { ImageSet } from "../src/data/images.ts";
import { loadModel, saveModel } from "../src/io/model_files.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { PRESETS } from "../src/models/presets.ts";
import { grownAfter, growthAt, prepareModels } from "../src/models/style/growth.ts";
import { ProgressLayer } from "../src/models/style/layer_base.ts";
import { downsample, upsample } from "../src/models/style/ops.ts";
import { Random } from "../src/random.ts";
import type { LayersModel } from "../src/tf_types.ts";
import { type AdamState, TensorAdam } from "../src/train/adam.ts";
import { GeneratorAverage } from "../src/train/average.ts";
import { captureWeights, restoreWeights } from "../src/train/run/checkpoint.ts";
import { trainGAN } from "../src/train/train.ts";
import { assertThrows, fakeDigit } from "./helpers.ts";

await selectBackend("wasm");

const random = new Random(0x6d0d);
const normal = (n: number) => random.fillNormal(new Float32Array(n));

/** The presets' networks, small: channels 8/4/2, z and w of 8, two mapping layers. */
const SMALL = { hiddenUnits: [8, 4, 2], latentDim: 8, styleDim: 8, mappingLayers: 2 };
/** Phases of 100 images: fade-ins over 100..200 and 300..400, grown from 400. */
const GROWTH = { stableImages: 100, fadeImages: 100 };

function proganG(seed = 1): LayersModel {
  return createGenerator({ preset: "progan", seed, ...SMALL, growth: GROWTH });
}

function proganD(seed = 1): LayersModel {
  return createDiscriminator({
    preset: "progan",
    seed,
    hiddenUnits: SMALL.hiddenUnits,
    growth: GROWTH,
  });
}

/** The model's growing layer (ProGAN's or StyleGAN's one layer). */
function progressLayer(model: LayersModel): ProgressLayer {
  const layer = model.layers.find((l) => l instanceof ProgressLayer);
  if (!layer) throw new Error(`${model.name} has no ProgressLayer`);
  return layer as unknown as ProgressLayer;
}

/** Sets a model's training progress as the training loop does before a step. */
const atImages = (model: LayersModel, imagesSeen: number) =>
  prepareModels([model], { globalStep: 0, imagesSeen });

/** G's images `(B, 28, 28, 1)` of fixed z, linear (training mode: no clipping), and their values. */
function images(g: LayersModel, z: Float32Array, training = true): Float32Array {
  return tf.tidy(() => {
    const out = g.apply(tf.tensor2d(z, [z.length / 8, 8]), { training }) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Whether every `block`×`block` block of each `side`×`side` image is one value (exactly). */
function blocky(values: Float32Array, side: number, block: number): boolean {
  const count = values.length / (side * side);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const corner = values[n * side * side + (y - (y % block)) * side + (x - (x % block))];
        if (values[n * side * side + y * side + x] !== corner) return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The schedule

Deno.test("growthAt: phase 0 alone, then per resolution a linear fade-in and a stable phase; the last phase stays", () => {
  const schedule = { stableImages: 100, fadeImages: 50 };
  const table: [number, number, number][] = [
    [0, 0, 1],
    [99, 0, 1],
    [100, 1, 0], // the fade-in starts at α = 0: the image is the lower phase's
    [110, 1, Math.fround(0.2)],
    [125, 1, 0.5],
    [149, 1, Math.fround(49 / 50)],
    [150, 1, 1],
    [249, 1, 1],
    [250, 2, 0],
    [275, 2, 0.5],
    [299, 2, Math.fround(49 / 50)],
    [300, 2, 1],
    [grownAfter(schedule, 3), 2, 1],
    [1e9, 2, 1],
  ];
  for (const [images, phase, alpha] of table) {
    deepEqual(growthAt(images, schedule, 3), { phase, alpha }, `${images} images`);
  }
  equal(grownAfter(schedule, 3), 400);
  // α rises monotonically within each fade-in, the phase never falls.
  let last = { phase: 0, alpha: 1 };
  for (let images = 0; images < 500; images++) {
    const now = growthAt(images, schedule, 3);
    ok(
      now.phase > last.phase || (now.phase === last.phase && now.alpha >= last.alpha),
      `${images}`,
    );
    ok(now.phase === last.phase || now.alpha === 0, `a new phase starts its fade-in at 0`);
    last = now;
  }
  // One resolution: nothing grows. Two: the second stays once faded in.
  deepEqual(growthAt(1e6, schedule, 1), { phase: 0, alpha: 1 });
  deepEqual(growthAt(175, schedule, 2), { phase: 1, alpha: 1 });
  deepEqual(growthAt(1e6, schedule, 2), { phase: 1, alpha: 1 });
  // No fade-in: each resolution switches on at once.
  deepEqual(growthAt(100, { stableImages: 100, fadeImages: 0 }, 3), { phase: 1, alpha: 1 });
  deepEqual(growthAt(200, { stableImages: 100, fadeImages: 0 }, 3), { phase: 2, alpha: 1 });
  // The preset's schedule: halfway through the fade-in of 14×14.
  const { stableImages, fadeImages } = PRESETS.progan.generator.growth!;
  deepEqual(growthAt(stableImages + fadeImages / 2, PRESETS.progan.generator.growth!, 3), {
    phase: 1,
    alpha: 0.5,
  });
});

// ---------------------------------------------------------------------------------------------
// What the growing layers compute

Deno.test("ProGAN's generator draws 7×7 images (4×4 blocks) in phase 0, 14×14 in phase 1, 28×28 grown", () => {
  const g = proganG();
  const z = normal(4 * 8);
  const phase0 = images(g, z);
  ok(blocky(phase0, 28, 4), "phase 0: every 4×4 block is one value");
  ok(!blocky(phase0, 28, 28), "the 7×7 image is not constant");
  atImages(g, 200);
  const phase1 = images(g, z);
  ok(blocky(phase1, 28, 2) && !blocky(phase1, 28, 4), "phase 1: 2×2 blocks");
  atImages(g, 400);
  ok(!blocky(images(g, z), 28, 2), "grown: every pixel its own");
  // Outside training the output is clipped to [-1, 1] (the network's output is linear).
  const clipped = images(g, z, false);
  ok(clipped.every((v) => v >= -1 && v <= 1));
  g.dispose();
});

Deno.test("during a fade-in ProGAN's image is the blend of the two phases' images, weighted by α", () => {
  const g = proganG(2);
  const z = normal(4 * 8);
  const at = (n: number) => (atImages(g, n), images(g, z));
  const [phase0, phase1, grown] = [at(0), at(200), at(400)];
  // At the start of the fade-in (α = 0) the new block does not show: no jump.
  deepEqual(at(100), phase0);
  deepEqual(at(300), phase1);
  let worst = 0;
  for (const [lower, upper, start] of [[phase0, phase1, 100], [phase1, grown, 300]] as const) {
    for (const alpha of [0.25, 0.5, 0.93]) {
      const blended = at(start + alpha * 100);
      blended.forEach((v, i) => {
        const expected = lower[i] + (upper[i] - lower[i]) * alpha;
        worst = Math.max(worst, Math.abs(v - expected) / Math.max(1, Math.abs(expected)));
      });
      notDeepEqual(blended, lower);
    }
  }
  ok(worst < 1e-6, `max error ${worst}`);
  g.dispose();
});

Deno.test("ProGAN's discriminator sees only the phase's resolution: D(x) = D(up(down(x))) in phase 0 and 1, not grown", () => {
  const d = proganD(3);
  const x = tf.tensor4d(Float32Array.from(normal(4 * 784), Math.tanh), [4, 28, 28, 1]);
  const logits = (input: tf.Tensor) => (d.predict(input) as tf.Tensor).dataSync() as Float32Array;
  const coarse = (f: number) => upsample(downsample(x, f), f);
  const close = (a: Float32Array, b: Float32Array) =>
    a.every((v, i) => Math.abs(v - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])));
  for (const [images, factor] of [[0, 4], [99, 4], [150, 2], [200, 2], [250, 2]]) {
    atImages(d, images);
    ok(close(logits(coarse(factor)), logits(x)), `${images} images: D sees x at 28/${factor}`);
  }
  // In the fade-in to 28×28 and grown, D sees the full image.
  for (const images of [350, 400]) {
    atImages(d, images);
    ok(!close(logits(coarse(2)), logits(x)), `${images} images`);
  }
  tf.dispose([x]);
  d.dispose();
});

// ---------------------------------------------------------------------------------------------
// Files and twins

/** The inputs a model of the preset takes: z (and one-hot labels), or images (and labels). */
function inputsOf(model: LayersModel, batch: number): tf.Tensor | tf.Tensor[] {
  const [first, second] = model.inputs;
  const shape = first.shape.slice(1) as number[];
  const x = tf.tensor(normal(batch * shape.reduce((a, b) => a * b, 1)), [batch, ...shape]);
  if (!second) return x;
  const y = tf.oneHot(tf.tensor1d([0, 3, 7, 9].slice(0, batch), "int32"), 10);
  return [x, tf.cast(y, "float32")];
}

const predict = (model: LayersModel, inputs: tf.Tensor | tf.Tensor[]) =>
  tf.tidy(() => (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array);

Deno.test("progan, stylegan and cstylegan models saved and loaded give the same outputs and keep images_seen: a model saved mid-growth loads at its phase", async () => {
  const dir = await Deno.makeTempDir();
  const cases = [
    ["progan", "generator", 125],
    ["progan", "discriminator", 125],
    ["progan", "generator", 350],
    ["stylegan", "generator", 777],
    ["stylegan", "discriminator", 777],
    ["cstylegan", "generator", 4096],
    ["cstylegan", "discriminator", 4096],
  ] as const;
  for (const [preset, role, imagesSeen] of cases) {
    const options = { preset, seed: 5, ...SMALL, growth: GROWTH };
    const model = role === "generator"
      ? createGenerator(options)
      : createDiscriminator({ preset, seed: 5, hiddenUnits: SMALL.hiddenUnits, growth: GROWTH });
    atImages(model, imagesSeen);
    const inputs = inputsOf(model, 4);
    const before = predict(model, inputs);
    const where = `${dir}/${preset}-${role}-${imagesSeen}`;
    await saveModel(model, where);
    const { model: loaded } = await loadModel(where, role);
    const what = `${preset} ${role} at ${imagesSeen} images`;
    equal(progressLayer(loaded).imagesSeen, imagesSeen, what);
    deepEqual(predict(loaded, inputs), before, what);
    if (preset === "progan" && role === "generator") {
      // Mid-growth: 2×2 blocks in the fade-in to 14×14, single pixels in the one to 28×28.
      ok(!blocky(before, 28, imagesSeen < 300 ? 4 : 2), `${what}: drawn at its phase`);
      // A fresh model draws at phase 0: what the test would see had the progress been lost.
      const fresh = createGenerator(options);
      fresh.setWeights(model.getWeights().slice(0, -1).concat(tf.scalar(0)));
      ok(blocky(predict(fresh, inputs), 28, 4));
      fresh.dispose();
    }
    tf.dispose(inputs);
    model.dispose();
    loaded.dispose();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("StyleGAN's skip generator up-samples bilinearly: the 7×7 image alone is smooth at 28×28, not 4×4 blocks; a file without skipUpsample reads as nearest", async () => {
  const g = createGenerator({ preset: "stylegan", seed: 3, ...SMALL });
  const layer = progressLayer(g) as unknown as { config: { skipUpsample?: string } };
  equal(layer.config.skipUpsample, "bilinear");
  // Only the 7×7 toRGB draws: the 14×14 and 28×28 ones are zeroed.
  for (const v of g.weights.filter((w) => /torgb(14|28)_(kernel|bias)/.test(w.originalName))) {
    v.write(tf.zeros(v.shape as number[]));
  }
  const z = normal(4 * 8);
  const smooth = images(g, z, false);
  ok(!blocky(smooth, 28, 2), "bilinear: no 2×2 blocks");
  ok(smooth.some((v) => v !== 0), "the 7×7 image is drawn");
  const dir = await Deno.makeTempDir();
  await saveModel(g, dir);
  // A model.json written before the option: no skipUpsample in the layer's config.
  const file = `${dir}/model.json`;
  const json = await Deno.readTextFile(file);
  // (tf.js writes the config's keys in snake case)
  const option = /,"skip_upsample":\s*"bilinear"/;
  ok(option.test(json), "the option is saved");
  await Deno.writeTextFile(file, json.replace(option, ""));
  const { model: old } = await loadModel(dir, "generator");
  const blocks = images(old, z, false);
  ok(blocky(blocks, 28, 4), "nearest: every 4×4 block one value");
  g.dispose();
  old.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the averaged generator's twin gets the generator's growth progress with the weights (GeneratorAverage.writeTo)", () => {
  const g = proganG(6);
  const twin = proganG(7);
  const z = normal(4 * 8);
  // Decay 0: the average is G's weights, exactly.
  const average = new GeneratorAverage(g, 0);
  // The twin drew before (its progress read, at 0: 4×4 blocks).
  ok(blocky(images(twin, z), 28, 4));
  for (const imagesSeen of [125, 350, 1000]) {
    atImages(g, imagesSeen);
    average.update();
    average.writeTo(twin, 64);
    equal(progressLayer(twin).imagesSeen, imagesSeen);
    // The twin draws what G draws, at G's phase.
    deepEqual(images(twin, z), images(g, z), `${imagesSeen} images`);
    ok(!blocky(images(twin, z), 28, imagesSeen < 300 ? 4 : 2));
  }
  average.dispose();
  g.dispose();
  twin.dispose();
});

Deno.test({
  name:
    "a growing layer whose weights were restored from a checkpoint (a rollback) takes the next step's progress",
  fn: () => {
    const g = proganG(8);
    const z = normal(4 * 8);
    // The checkpoint after step 7 holds the progress set before it; step 8 sets the next.
    atImages(g, 112);
    const checkpoint = captureWeights(g);
    atImages(g, 128);
    const expected = images(g, z);
    // Step 8 went wrong: back to the checkpoint, and step 8 again.
    restoreWeights(g, checkpoint, "generator");
    atImages(g, 128);
    equal(progressLayer(g).imagesSeen, 128);
    deepEqual(images(g, z), expected);
    g.dispose();
  },
});

// ---------------------------------------------------------------------------------------------
// Training

/** `count` digit-like images of the shape, in [-1, 1], with labels. */
function digits(count: number, [height, width, channels]: [number, number, number]): ImageSet {
  const size = height * width * channels;
  const pixels = new Float32Array(count * size);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  for (let i = 0; i < count; i++) {
    const digit = fakeDigit(labels[i], height, random);
    for (let p = 0; p < size; p++) {
      pixels[i * size + p] = digit[Math.floor(p / channels)] / 127.5 - 1;
    }
  }
  return { pixels, count, height, width, channels, labels };
}

for (const preset of ["progan", "progan32", "stylegan", "cstylegan"] as const) {
  Deno.test({
    name:
      `[${preset}] tf.memory().numTensors stays flat across training steps, through the phase changes`,
    fn: async () => {
      const shape = PRESETS[preset].generator.imageShape;
      const data = digits(160, shape);
      // Phases of 32 images: at 16 a batch, growing is over after 8 of the 20 steps.
      const growth = { stableImages: 32, fadeImages: 32 };
      const g = createGenerator({ preset, seed: 1, ...SMALL, growth });
      const d = createDiscriminator({ preset, seed: 1, hiddenUnits: SMALL.hiddenUnits, growth });
      const growing = preset.startsWith("progan");
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const phases = new Set<string>();
      await trainGAN(g, d, data, {
        epochs: 2,
        batchSize: 16,
        seed: 1,
        learningRate: 1e-3,
        beta1: 0,
        beta2: 0.99,
        // StyleGAN's preset: lazy R1, its second derivative through D
        ...(growing ? {} : { r1: 1, r1Every: 2 }),
        onStep: () => {
          counts.push(tf.memory().numTensors);
          const { phase, alpha } = growthAt(progressLayer(g).imagesSeen, growth, 3);
          phases.add(`${phase}:${alpha === 1 ? "stable" : "fading"}`);
        },
      });
      equal(counts.length, 20);
      deepEqual(counts.slice(1), counts.slice(1).map(() => counts[1]), `numTensors ${counts}`);
      // The optimisers' moments are freed at the end; the models' weights stay.
      equal(tf.memory().numTensors, before);
      if (growing) {
        deepEqual([...phases].sort(), ["0:stable", "1:fading", "1:stable", "2:fading", "2:stable"]);
      }
      g.dispose();
      d.dispose();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Adam's bias correction per variable

const SETTINGS = [
  { learningRate: 1e-2, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 },
  // progan's: β1 = 0
  { learningRate: 1e-3, beta1: 0, beta2: 0.99, epsilon: 1e-8 },
];

/** A fixed sequence of gradients for a variable of `size` values. */
const gradients = (steps: number, size: number) =>
  Array.from({ length: steps }, () => normal(size));

const values = (v: tf.Variable) => Float32Array.from(v.dataSync() as Float32Array);

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`[${backend}] TensorAdam: a variable without gradients for its first k updates then takes the steps a fresh Adam takes`, async () => {
    await selectBackend(backend);
    for (const settings of SETTINGS) {
      const k = 3, n = 6;
      const start = { a: normal(6), b: normal(4) };
      const g = { a: gradients(k + n, 6), b: gradients(n, 4) };
      const a = tf.variable(tf.tensor1d(start.a)), b = tf.variable(tf.tensor1d(start.b));
      const adam = new TensorAdam([a, b], settings);
      for (let s = 0; s < k + n; s++) {
        adam.apply({
          [a.name]: tf.tensor1d(g.a[s]),
          ...(s >= k ? { [b.name]: tf.tensor1d(g.b[s - k]) } : {}),
        });
      }
      // Fresh optimisers over each variable alone, from its first gradient.
      const alone = (initial: Float32Array, grads: Float32Array[]) => {
        const v = tf.variable(tf.tensor1d(initial));
        const fresh = new TensorAdam([v], settings);
        for (const grad of grads) fresh.apply({ [v.name]: tf.tensor1d(grad) });
        const result = { values: values(v), state: fresh.exportState() };
        fresh.dispose();
        v.dispose();
        return result;
      };
      const [soloA, soloB] = [alone(start.a, g.a), alone(start.b, g.b)];
      deepEqual(values(b), soloB.values, `β1 ${settings.beta1}: the late variable, bit for bit`);
      deepEqual(values(a), soloA.values, `β1 ${settings.beta1}: the other`);
      // The state says each variable's own β powers.
      const state = adam.exportState();
      equal(state.steps, k + n);
      deepEqual(state.variableAcc, {
        beta1: [soloA.state.accBeta1, soloB.state.accBeta1],
        beta2: [soloA.state.accBeta2, soloB.state.accBeta2],
      });
      equal(state.accBeta2, soloA.state.accBeta2);
      adam.dispose();
      tf.dispose([a, b]);
    }
  });
}

Deno.test("TensorAdam's exportState/importState round-trips the per-variable β powers; without them the late variable would go on differently", async () => {
  await selectBackend("wasm");
  const settings = SETTINGS[0];
  const a = tf.variable(tf.tensor1d(normal(5))), b = tf.variable(tf.tensor1d(normal(3)));
  const adam = new TensorAdam([a, b], settings);
  for (let s = 0; s < 6; s++) {
    adam.apply({
      [a.name]: tf.tensor1d(normal(5)),
      ...(s >= 4 ? { [b.name]: tf.tensor1d(normal(3)) } : {}),
    });
  }
  const state = adam.exportState();
  ok(state.variableAcc, "b missed 4 updates");
  /** A copy of the variables and an optimiser from `saved`, as a resumed run makes them. */
  const resumed = (saved: AdamState) => {
    const vars = [tf.variable(tf.tensor1d(values(a))), tf.variable(tf.tensor1d(values(b)))];
    const optimizer = new TensorAdam(vars, settings);
    optimizer.importState(saved);
    return { vars, optimizer };
  };
  const copy = resumed(state);
  deepEqual(copy.optimizer.exportState(), state);
  const legacy = resumed({ ...state, variableAcc: undefined });
  const more = gradients(4, 5).map((ga, s) => ({ ga, gb: normal(3), s }));
  for (const { ga, gb } of more) {
    for (
      const [optimizer, [va, vb]] of [[adam, [a, b]], [copy.optimizer, copy.vars], [
        legacy.optimizer,
        legacy.vars,
      ]] as const
    ) {
      optimizer.apply({ [va.name]: tf.tensor1d(ga), [vb.name]: tf.tensor1d(gb) });
    }
  }
  deepEqual(values(copy.vars[0]), values(a));
  deepEqual(values(copy.vars[1]), values(b), "the resumed optimiser goes on bit for bit");
  deepEqual(copy.optimizer.exportState(), adam.exportState());
  notDeepEqual(values(legacy.vars[1]), values(b), "the β powers matter");
  // A state whose powers do not fit the variables is refused, naming them.
  assertThrows(
    () => copy.optimizer.importState({ ...state, variableAcc: { beta1: [0.5], beta2: [0.9] } }),
    RangeError,
    "per-variable β powers are not 2 numbers in [0, 1)",
  );
  assertThrows(
    () =>
      copy.optimizer.importState({
        ...state,
        variableAcc: { beta1: [0.5, 1], beta2: [0.9, 0.9] },
      }),
    RangeError,
    "per-variable β powers",
  );
  for (const o of [adam, copy.optimizer, legacy.optimizer]) o.dispose();
  tf.dispose([a, b, ...copy.vars, ...legacy.vars]);
});

Deno.test("TensorAdam's state has no per-variable β powers when every variable takes every update: old checkpoints read and write unchanged", async () => {
  await selectBackend("wasm");
  const a = tf.variable(tf.tensor1d(normal(5))), b = tf.variable(tf.tensor1d(normal(3)));
  const adam = new TensorAdam([a, b], SETTINGS[0]);
  equal("variableAcc" in adam.exportState(), false, "before the first update");
  for (let s = 0; s < 5; s++) {
    adam.apply({ [a.name]: tf.tensor1d(normal(5)), [b.name]: tf.tensor1d(normal(3)) });
  }
  const state = adam.exportState();
  deepEqual(Object.keys(state).sort(), ["accBeta1", "accBeta2", "m", "steps", "v"]);
  // An old checkpoint's state (the same fields) imports and exports as it was.
  const other = new TensorAdam([a, b], SETTINGS[0]);
  other.importState(state);
  deepEqual(other.exportState(), state);
  for (const o of [adam, other]) o.dispose();
  tf.dispose([a, b]);
});
