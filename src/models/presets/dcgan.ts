/**
 * The convolutional recipes (src/models/dcgan.ts): `dcgan` as the DCGAN paper wrote it and as this
 * library trains it, the conditional `cdcgan` and the colour `dcgan32`.
 *
 * @module
 */

import { MNIST_SHAPE, ORIGINAL_ADAM, type Preset } from "./types.ts";

/**
 * The DCGAN as the issue and the DCGAN paper describe it (one G update per D update): what
 * `cdcgan` and `dcgan32` train, and `dcgan --faithful`.
 */
export const DCGAN: Preset = {
  name: "dcgan",
  description:
    "DCGAN for 28×28 digits: G z→7·7·128→14·14·64→28·28·1, D 28²→14²·64→7²·128→1, 4×4 filters.",
  generator: {
    architecture: "dcgan",
    latentDim: 100,
    hiddenUnits: [128, 64],
    activation: "relu",
    leakyReluAlpha: 0.2,
    batchNorm: true,
    outputActivation: "tanh",
    imageShape: MNIST_SHAPE,
    initializer: "normal",
    initStddev: 0.02,
  },
  discriminator: {
    architecture: "dcgan",
    imageShape: MNIST_SHAPE,
    hiddenUnits: [64, 128],
    activation: "leaky_relu",
    leakyReluAlpha: 0.2,
    dropout: 0,
    initializer: "normal",
    initStddev: 0.02,
  },
  training: {
    epochs: 5,
    batchSize: 64,
    ...ORIGINAL_ADAM,
    generatorSteps: 1,
  },
};

/**
 * `dcgan` as trained: two G updates per D update, G's learning rate four times D's, z from a
 * 10-component mixture (src/models/prior.ts). After 5 epochs (seed 1) FID 5.65 with the paper's
 * recipe, 3.26 with two G updates, 2.45 with G's faster rate as well, 1.43 with the mixture too
 * (docs/presets.md, "Convolutional, conditional and colour presets").
 */
export const DCGAN_TRAINED: Preset = {
  ...DCGAN,
  generator: { ...DCGAN.generator, latentMixture: { components: 10, scale: 4 } },
  training: { ...DCGAN.training, generatorSteps: 2, generatorLearningRate: 8e-4 },
};

/** `cdcgan`: the paper's DCGAN made conditional. */
export const CDCGAN: Preset = {
  ...DCGAN,
  name: "cdcgan",
  description:
    "Conditional DCGAN: the one-hot digit joined to z, and as 10 constant maps beside the image.",
  generator: { ...DCGAN.generator, classes: 10 },
  discriminator: { ...DCGAN.discriminator, classes: 10 },
};

/** `dcgan32`: the paper's DCGAN for 32×32 colour images (CIFAR-10), 10 epochs. */
export const DCGAN32: Preset = {
  ...DCGAN,
  name: "dcgan32",
  description:
    "DCGAN for 32×32 colour images (CIFAR-10): G z→4·4·256→8·8·128→16·16·64→32·32·3, D the mirror.",
  generator: { ...DCGAN.generator, hiddenUnits: [256, 128, 64], imageShape: [32, 32, 3] },
  discriminator: {
    ...DCGAN.discriminator,
    hiddenUnits: [64, 128, 256],
    imageShape: [32, 32, 3],
  },
  training: { ...DCGAN.training, epochs: 10 },
};
