import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { getPreset, ORIGINAL_PRESETS, PRESET_NAMES, PRESETS } from "../src/models/presets.ts";
import { assertThrows } from "./helpers.ts";

await selectBackend("cpu");

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Dense parameters of a chain of sizes: Σ (in·out + out). */
const dense = (sizes: number[]) =>
  sizes.slice(1).reduce((n, out, i) => n + sizes[i] * out + out, 0);

/** 3×3 convolutions with biases, `[in, out]` each. */
const convs = (pairs: number[][]) => pairs.reduce((n, [i, o]) => n + 9 * i * o + o, 0);

/** ProGAN's generator: Dense z → r0²·64, the convs per resolution, a toRGB (1×1 + bias) each. */
function proganG(rgb: number, r0: number): number {
  const dense = 128 * r0 * r0 * 64 + r0 * r0 * 64;
  const body = convs([[64, 64], [64, 32], [32, 32], [32, 16], [16, 16]]);
  return dense + body + [64, 32, 16].reduce((n, c) => n + c * rgb + rgb, 0);
}

/**
 * ProGAN's discriminator: a fromRGB per resolution (grown from the start, as stylegan's: at the
 * top one only), the convs (65 in: minibatch std), two Dense.
 */
function proganD(rgb: number, r0: number, grows = true): number {
  const fromRGB = (grows ? [64, 32, 16] : [16]).reduce((n, c) => n + rgb * c + c, 0);
  const body = convs([[65, 64], [32, 32], [32, 64], [16, 16], [16, 32]]);
  return fromRGB + body + r0 * r0 * 64 * 64 + 64 + 64 + 1;
}

/** StyleGAN's generator: mapping 4 × 128, a 7·7·64 constant, per conv an affine, a conv, a noise strength; toRGBs. */
function styleG(classes: number): number {
  const mapping = (classes ? 256 : 128) * 128 + 128 + 3 * (128 * 128 + 128) + classes * 128;
  const layers = [[64, 64], [64, 32], [32, 32], [32, 16], [16, 16]];
  const affine = layers.reduce((n, [i]) => n + 128 * i + i, 0);
  const toRGB = [64, 32, 16].reduce((n, c) => n + 128 * c + c + c + 1, 0);
  return mapping + 7 * 7 * 64 + convs(layers) + affine + layers.length + toRGB;
}

Deno.test("the presets have the original systems' exact trainable parameter counts", () => {
  const trainable = (m: ReturnType<typeof createGenerator>) =>
    m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * b!, 1), 0);
  const expected = {
    standard: { g: dense([100, 256, 256, 784]), d: dense([784, 256, 256, 1]) },
    // BatchNorm adds a scale and a shift per hidden unit: 2 · (128 + 256 + 512).
    lite: {
      g: dense([64, 128, 256, 512, 784]) + 2 * (128 + 256 + 512),
      d: dense([784, 512, 256, 1]),
    },
    tutorial: { g: dense([32, 128, 784]), d: dense([784, 64, 1]) },
    // Dense 100→7·7·128 (no bias), BN 128, ConvT 4·4·128→64 (no bias), BN 64, ConvT 4·4·64→1 + 1;
    // Conv 4·4·1→64 + 64, Conv 4·4·64→128 (no bias), BN 128, Dense 7·7·128→1 + 1.
    dcgan: {
      g: 100 * 6272 + 2 * 128 + 16 * 128 * 64 + 2 * 64 + 16 * 64 + 1,
      d: 16 * 64 + 64 + 16 * 64 * 128 + 2 * 128 + 6272 + 1,
    },
    // The one-hot digit adds 10 inputs to G's first layer and D's (cdcgan: 10 input channels).
    cgan: { g: dense([110, 256, 256, 784]) + 2 * 512, d: dense([794, 256, 256, 1]) },
    // quick trains cgan's networks.
    quick: { g: dense([110, 256, 256, 784]) + 2 * 512, d: dense([794, 256, 256, 1]) },
    // 32×32×3: Dense 100→4·4·256, ConvT 256→128→64→3 (+3 bias), BN 256, 128, 64;
    // Conv 3→64 (+64) →128→256, BN 128, 256, Dense 4·4·256→1.
    dcgan32: {
      g: 100 * 4096 + 2 * 256 + 16 * 256 * 128 + 2 * 128 + 16 * 128 * 64 + 2 * 64 + 16 * 64 * 3 +
        3,
      d: 16 * 3 * 64 + 64 + 16 * 64 * 128 + 2 * 128 + 16 * 128 * 256 + 2 * 256 + 4096 + 1,
    },
    cdcgan: {
      g: 110 * 6272 + 2 * 128 + 16 * 128 * 64 + 2 * 64 + 16 * 64 + 1,
      d: 16 * 11 * 64 + 64 + 16 * 64 * 128 + 2 * 128 + 6272 + 1,
    },
    // ProGAN 7 → 14 → 28, 64/32/16 channels (progan32: 8 → 16 → 32, RGB), z 128.
    progan: { g: proganG(1, 7), d: proganD(1, 7) },
    progan32: { g: proganG(3, 8), d: proganD(3, 8) },
    stylegan: { g: styleG(0), d: proganD(1, 7, false) },
    // cstylegan: the digit's embedding (10·128) joined to z; D's projection embedding 10·64.
    cstylegan: { g: styleG(10), d: proganD(1, 7, false) + 10 * 64 },
  };
  for (const preset of PRESET_NAMES) {
    // cgan's BatchNorm comes from standard's healthy recipe, which --faithful keeps for it.
    equal(trainable(createGenerator({ preset, faithful: true })), expected[preset].g, preset);
    equal(trainable(createDiscriminator({ preset, faithful: true })), expected[preset].d, preset);
  }
  equal(expected.lite.g, 576_912);
  equal(expected.standard.g, 293_136);
  // Our standard adds BatchNorm to G: 2 · (256 + 256); D is the original's.
  equal(trainable(createGenerator({ preset: "standard" })), 293_136 + 2 * 512);
  equal(trainable(createDiscriminator({ preset: "standard" })), expected.standard.d);
});

Deno.test("each preset's layers have the original's sizes and activations", () => {
  const layers = (m: ReturnType<typeof createGenerator>) =>
    m.layers.map((l) => {
      const c = l.getConfig() as { units?: number; activation?: string; alpha?: number };
      return `${l.getClassName()}${c.units ? `:${c.units}` : ""}${
        c.activation && c.activation !== "linear" ? `:${c.activation}` : ""
      }${c.alpha !== undefined ? `:${Number(c.alpha).toFixed(2)}` : ""}`;
    });
  deepEqual(layers(createGenerator({ preset: "standard", faithful: true })), [
    "Dense:256",
    "Activation:relu",
    "Dense:256",
    "Activation:relu",
    "Dense:784",
    "Activation:tanh",
    "Reshape",
  ]);
  deepEqual(layers(createGenerator({ preset: "standard" })), [
    "Dense:256",
    "BatchNormalization",
    "Activation:relu",
    "Dense:256",
    "BatchNormalization",
    "Activation:relu",
    "Dense:784",
    "Activation:tanh",
    "Reshape",
  ]);
  deepEqual(layers(createDiscriminator({ preset: "standard" })), [
    "Flatten",
    "Dense:256",
    "LeakyReLU:0.20",
    "Dense:256",
    "LeakyReLU:0.20",
    "Dense:1",
  ]);
  deepEqual(layers(createGenerator({ preset: "lite" })), [
    "Dense:128",
    "BatchNormalization",
    "Activation:relu",
    "Dense:256",
    "BatchNormalization",
    "Activation:relu",
    "Dense:512",
    "BatchNormalization",
    "Activation:relu",
    "Dense:784",
    "Activation:tanh",
    "Reshape",
  ]);
  deepEqual(layers(createGenerator({ preset: "tutorial" })), [
    "Dense:128",
    "LeakyReLU:0.01",
    "Dense:784",
    "Activation:tanh",
    "Reshape",
  ]);
  deepEqual(layers(createDiscriminator({ preset: "tutorial" })), [
    "Flatten",
    "Dense:64",
    "LeakyReLU:0.01",
    "Dense:1",
  ]);
  // The tutorial's and lite's recipes as written; trained here at 1e-3 with the averaged generator.
  const t = ORIGINAL_PRESETS.tutorial.training;
  deepEqual([t.epochs, t.batchSize, t.learningRate, t.average], [25, 32, 2e-4, undefined]);
  const l = ORIGINAL_PRESETS.lite.training;
  deepEqual([l.epochs, l.batchSize, l.learningRate, l.average], [20, 64, 2e-4, undefined]);
  for (const name of ["lite", "tutorial"] as const) {
    const { training, generator, discriminator } = PRESETS[name];
    deepEqual([training.learningRate, training.average], [1e-3, 0.999], name);
    deepEqual(generator, ORIGINAL_PRESETS[name].generator, name);
    deepEqual(discriminator, ORIGINAL_PRESETS[name].discriminator, name);
  }
  const s = PRESETS.standard.training;
  deepEqual([s.epochs, s.batchSize, s.learningRate, s.beta1, s.beta2], [50, 64, 2e-4, 0.5, 0.999]);
  equal(PRESETS.lite.training.dataLimit, 10_000);
  equal(PRESETS.lite.generator.latentDim, 64);
});

Deno.test("models map shapes: noise (B, latent) to images (B, 28, 28, 1) in (-1, 1) ([-1, 1] clipped from a linear output), images to (B, 1) logits", () => {
  for (const preset of PRESET_NAMES) {
    const g = createGenerator({ preset, seed: 1 });
    const d = createDiscriminator({ preset, seed: 1 });
    const { latentDim: latent, classes, imageShape, outputActivation } =
      getPreset(preset).generator;
    tf.tidy(() => {
      // Conditional models take a one-hot digit beside their input.
      const withLabel = (x: tf.Tensor) =>
        classes
          ? [x, tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4], "int32"), classes), "float32")]
          : x;
      const images = g.predict(withLabel(tf.randomNormal([5, latent]))) as tf.Tensor;
      deepEqual(images.shape, [5, ...imageShape]);
      const pixels = values(images);
      // tanh's range is open; progan's and stylegan's linear output is clipped outside training.
      const inRange = outputActivation === "linear"
        ? (v: number) => v >= -1 && v <= 1
        : (v: number) => v > -1 && v < 1;
      ok(pixels.every(inRange), preset);
      deepEqual((d.predict(withLabel(images)) as tf.Tensor).shape, [5, 1]);
    });
    g.dispose();
    d.dispose();
  }
});

Deno.test("every field can be overridden: sizes, activation, BatchNorm, image shape, init", () => {
  const g = createGenerator({
    preset: "standard",
    latentDim: 8,
    hiddenUnits: [16, 32, 24],
    activation: "elu",
    batchNorm: true,
    imageShape: [8, 6, 3],
    initializer: "normal",
    initStddev: 0.02,
    seed: 3,
  });
  deepEqual(g.inputs[0].shape, [null, 8]);
  deepEqual(g.outputs[0].shape, [null, 8, 6, 3]);
  equal(g.layers.filter((l) => l.getClassName() === "BatchNormalization").length, 3);
  ok(g.layers.some((l) => (l.getConfig() as { activation?: string }).activation === "elu"));
  // N(0, 0.02): the first kernel's standard deviation is close to 0.02, biases start at zero.
  const [kernel, bias] = g.layers[0].getWeights();
  const k = values(kernel);
  const std = Math.sqrt(k.reduce((a, v) => a + v * v, 0) / k.length);
  ok(Math.abs(std - 0.02) < 0.006, `std ${std}`);
  ok(values(bias).every((v) => v === 0));
  const d = createDiscriminator({
    imageShape: [8, 6, 3],
    hiddenUnits: [10],
    dropout: 0.3,
    activation: "relu",
  });
  deepEqual(d.inputs[0].shape, [null, 8, 6, 3]);
  ok(d.layers.some((l) => l.getClassName() === "Dropout"));
});

Deno.test("the torch initializer draws weights and biases uniformly in ±1/√fan_in, as nn.Linear does", () => {
  const g = createGenerator({ preset: "standard", seed: 9 });
  const fanIns = [100, 256, 256];
  const denseLayers = g.layers.filter((l) => l.getClassName() === "Dense");
  denseLayers.forEach((layer, i) => {
    const limit = 1 / Math.sqrt(fanIns[i]);
    for (const w of layer.getWeights()) {
      const v = values(w);
      const maxAbs = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      ok(maxAbs <= limit, `layer ${i}: ${maxAbs} > ${limit}`);
      // A uniform sample this large comes close to its bounds.
      ok(maxAbs > 0.9 * limit, `layer ${i}: ${maxAbs} far below ${limit}`);
    }
  });
});

Deno.test("the same seed gives the same initial weights, another seed others", () => {
  const weights = (seed: number) =>
    createGenerator({ preset: "tutorial", seed }).getWeights().map(values);
  deepEqual(weights(4), weights(4));
  notDeepEqual(weights(4), weights(5));
  // Generator and discriminator draw from different streams even with one seed.
  const g = values(
    createGenerator({ preset: "tutorial", seed: 4, hiddenUnits: [64] }).getWeights()[0],
  ).slice(0, 10);
  const d = values(
    createDiscriminator({ preset: "tutorial", seed: 4, imageShape: [32, 1, 1], hiddenUnits: [64] })
      .getWeights()[0],
  ).slice(0, 10);
  notDeepEqual(g, d);
});

Deno.test("bad options are RangeErrors naming the option", () => {
  assertThrows(
    () => createGenerator({ preset: "huge" as "lite" }),
    RangeError,
    'Unknown preset "huge": expected one of quick, standard, lite, tutorial',
  );
  assertThrows(
    () => createGenerator({ latentDim: 0 }),
    RangeError,
    "createGenerator: latentDim must be an integer >= 1, got 0",
  );
  assertThrows(() => createGenerator({ hiddenUnits: [10, -1] }), RangeError, "hiddenUnits[1]");
  assertThrows(
    () => createGenerator({ activation: "swish" as "relu" }),
    RangeError,
    "activation must be one of",
  );
  assertThrows(
    () => createDiscriminator({ dropout: 1 }),
    RangeError,
    "dropout must be a number in [0, 1)",
  );
  assertThrows(
    () => createDiscriminator({ imageShape: [28, 28] as unknown as [number, number, number] }),
    RangeError,
    "imageShape",
  );
  assertThrows(() => createGenerator({ leakyReluAlpha: 2 }), RangeError, "leakyReluAlpha");
});

Deno.test("the presets are frozen, so one user's change cannot leak into another's model", () => {
  assertThrows(() => {
    (PRESETS.lite.generator.hiddenUnits as number[]).push(1);
  }, TypeError);
  assertThrows(() => {
    (PRESETS.lite.training as { epochs: number }).epochs = 1;
  }, TypeError);
});
