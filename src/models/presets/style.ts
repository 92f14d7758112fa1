/**
 * The recipes of progressive growing and style-based generators (src/models/style/): `progan`
 * (and `progan32` for CIFAR-10), `stylegan` and its conditional `cstylegan`, scaled down from the
 * papers' 1024×1024 faces to 28×28 digits on a laptop CPU.
 *
 * @module
 */

import type { GrowthSchedule } from "../style/growth.ts";
import { MNIST_SHAPE, type Preset } from "./types.ts";

/** Images per phase of `progan`: half an epoch of MNIST alone at each resolution, half to fade in. */
export const PROGAN_GROWTH: GrowthSchedule = { stableImages: 30_000, fadeImages: 30_000 };

/**
 * `progan` (Karras et al. 2018): 7×7 → 14×14 → 28×28, 64/32/16 channels, pixel norm in G,
 * minibatch standard deviation in D, equalised learning rate, Adam 1e-3 with β = (0, 0.99) as
 * the paper; the non-saturating loss (the paper's WGAN-GP is `--loss wgan-gp`).
 */
export const PROGAN: Preset = {
  name: "progan",
  description:
    "ProGAN for 28×28 digits: grown 7×7 → 14×14 → 28×28 with fade-ins, pixel norm, minibatch std, equalised learning rate.",
  generator: {
    architecture: "progan",
    latentDim: 128,
    hiddenUnits: [64, 32, 16],
    activation: "leaky_relu",
    leakyReluAlpha: 0.2,
    batchNorm: false,
    outputActivation: "linear",
    imageShape: MNIST_SHAPE,
    initializer: "normal",
    initStddev: 1,
    growth: PROGAN_GROWTH,
  },
  discriminator: {
    architecture: "progan",
    imageShape: MNIST_SHAPE,
    hiddenUnits: [64, 32, 16],
    activation: "leaky_relu",
    leakyReluAlpha: 0.2,
    dropout: 0,
    initializer: "normal",
    initStddev: 1,
    growth: PROGAN_GROWTH,
  },
  training: {
    epochs: 10,
    batchSize: 64,
    learningRate: 1e-3,
    beta1: 0,
    beta2: 0.99,
    generatorSteps: 1,
    average: 0.999,
  },
};

/** `progan32`: `progan` for 32×32 colour images (CIFAR-10): 8×8 → 16×16 → 32×32. */
export const PROGAN32: Preset = {
  ...PROGAN,
  name: "progan32",
  description: "ProGAN for 32×32 colour images (CIFAR-10): grown 8×8 → 16×16 → 32×32.",
  generator: {
    ...PROGAN.generator,
    imageShape: [32, 32, 3],
    growth: { stableImages: 25_000, fadeImages: 25_000 },
  },
  discriminator: {
    ...PROGAN.discriminator,
    imageShape: [32, 32, 3],
    growth: { stableImages: 25_000, fadeImages: 25_000 },
  },
  training: { ...PROGAN.training, epochs: 10 },
};

/**
 * `stylegan` (Karras et al. 2019, 2020), scaled down: a 4-layer mapping network z (128) → w (128),
 * a learned 7×7 constant, modulated/demodulated 3×3 convolutions with noise inputs at 7, 14 and
 * 28 (64/32/16 channels), skip toRGBs, style mixing on 90% of training images; ProGAN's
 * discriminator (grown from the start); the non-saturating loss with lazy R1 (γ = 10, every 4th
 * D update) and Adam 1e-3, β = (0, 0.99): StyleGAN2's, at half its rate (at 2e-3 and γ = 1 it
 * collapsed to one or two classes: docs/experiments/2026-12-style-gans.md).
 */
export const STYLEGAN: Preset = {
  name: "stylegan",
  description:
    "StyleGAN for 28×28 digits: mapping network, learned constant, modulated convs with noise, style mixing, R1.",
  generator: {
    architecture: "stylegan",
    latentDim: 128,
    styleDim: 128,
    mappingLayers: 4,
    mixing: 0.9,
    hiddenUnits: [64, 32, 16],
    activation: "leaky_relu",
    leakyReluAlpha: 0.2,
    batchNorm: false,
    outputActivation: "linear",
    imageShape: MNIST_SHAPE,
    initializer: "normal",
    initStddev: 1,
  },
  discriminator: { ...PROGAN.discriminator, architecture: "stylegan", growth: null },
  training: {
    epochs: 10,
    batchSize: 64,
    learningRate: 1e-3,
    beta1: 0,
    beta2: 0.99,
    generatorSteps: 1,
    average: 0.999,
    loss: "ns",
    r1: 10,
    r1Every: 4,
  },
};

/** `cstylegan`: `stylegan` conditioned on the digit (an embedding joined to z; a projection D). */
export const CSTYLEGAN: Preset = {
  ...STYLEGAN,
  name: "cstylegan",
  description:
    "Conditional StyleGAN: the digit's embedding joined to z in the mapping network, a projection discriminator.",
  generator: { ...STYLEGAN.generator, classes: 10 },
  discriminator: { ...STYLEGAN.discriminator, classes: 10 },
};
