/**
 * The shapes of a recipe: a generator's and a discriminator's architecture, and how it trains.
 *
 * @module
 */

import type { LatentMixture } from "../prior.ts";
import type { GrowthSchedule } from "../style/growth.ts";

/** Activation functions of hidden layers. */
export type Activation = "relu" | "leaky_relu" | "tanh" | "sigmoid" | "elu" | "linear";

/**
 * How Dense weights start:
 * - `"torch"`: PyTorch's default for `nn.Linear`, weights and biases uniform in ±1/√fan_in (what
 *   the original systems' written in PyTorch, start from);
 * - `"glorot"`: Keras's default, Glorot-uniform weights and zero biases;
 * - `"normal"`: weights from N(0, `initStddev`), zero biases (the DCGAN paper's N(0, 0.02)).
 */
export type Initializer = "torch" | "glorot" | "normal";

/**
 * The kind of network: Dense layers (`mlp`), convolutions (`dcgan`, src/models/dcgan.ts),
 * progressive growing (`progan`, src/models/style/progan.ts) or a style-based generator with
 * ProGAN's discriminator (`stylegan`, src/models/style/stylegan.ts). For `progan` and
 * `stylegan`, `hiddenUnits` are the channels per resolution, lowest first.
 */
export type Architecture = "mlp" | "dcgan" | "progan" | "stylegan";

/** The architecture of a generator: latent vector → hidden layers → image. */
export interface GeneratorOptions {
  /**
   * Dense layers, or a DCGAN (then `hiddenUnits` are the channels of its feature maps).
   * @default {"mlp"}
   */
  architecture?: Architecture;
  /**
   * Classes of a conditional generator: it then takes `[z, oneHotLabel]` and draws the digit
   * asked for; 0 for an unconditional one (input z alone).
   * @default {0}
   */
  classes?: number;
  /** Length of the noise vector z. */
  latentDim: number;
  /** Units of each hidden Dense layer, in order. */
  hiddenUnits: number[];
  /** Activation after each hidden layer. */
  activation: Activation;
  /** Negative slope when `activation` is `"leaky_relu"`. */
  leakyReluAlpha: number;
  /** BatchNorm after each hidden Dense (before its activation). */
  batchNorm: boolean;
  /** Activation of the output layer; `"tanh"` matches pixels in [-1, 1]. */
  outputActivation: Activation;
  /** The image the generator makes: `[height, width, channels]`. */
  imageShape: [number, number, number];
  /** How weights start. */
  initializer: Initializer;
  /** Standard deviation for the `"normal"` initializer. */
  initStddev: number;
  /**
   * The noise z comes from a mixture of unit Gaussians centred at `scale` on each of the first
   * `components` axes (one chosen uniformly per vector) instead of N(0, I). It is kept with the
   * model, so sampling draws from it too. Absent or `null`: N(0, I) (`null` also overrides a
   * preset's mixture).
   */
  latentMixture?: LatentMixture | null;
  /** `progan`: images per phase of progressive growing (absent: grown from the start). */
  growth?: GrowthSchedule | null;
  /** `stylegan`: length of w. */
  styleDim?: number;
  /** `stylegan`: Dense layers of the mapping network. */
  mappingLayers?: number;
  /** `stylegan`: probability of style mixing while training. */
  mixing?: number;
}

/** The architecture of an MLP discriminator: image → hidden Dense layers → one logit. */
export interface DiscriminatorOptions {
  /**
   * Dense layers, or a DCGAN (then `hiddenUnits` are the channels of its convolutions).
   * @default {"mlp"}
   */
  architecture?: Architecture;
  /**
   * Classes of a conditional discriminator: it then takes `[image, oneHotLabel]` and judges the
   * pair; 0 for an unconditional one (input the image alone).
   * @default {0}
   */
  classes?: number;
  /** The image it judges: `[height, width, channels]`. */
  imageShape: [number, number, number];
  /** Units of each hidden Dense layer, in order. */
  hiddenUnits: number[];
  /** Activation after each hidden layer. */
  activation: Activation;
  /** Negative slope when `activation` is `"leaky_relu"`. */
  leakyReluAlpha: number;
  /** Dropout rate after each hidden activation (0 for none). */
  dropout: number;
  /** How weights start. */
  initializer: Initializer;
  /** Standard deviation for the `"normal"` initializer. */
  initStddev: number;
  /** `progan`: images per phase of progressive growing (absent: grown from the start). */
  growth?: GrowthSchedule | null;
}

/** How a preset trains: the optimiser, the batches, the data. */
export interface TrainingSettings {
  /** Passes over the data. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's learning rate: the discriminator's, and the generator's unless given below. */
  learningRate: number;
  /** Adam's learning rate for the generator, where it differs from the discriminator's. */
  generatorLearningRate?: number;
  /** Adam's β1. */
  beta1: number;
  /** Adam's β2. */
  beta2: number;
  /**
   * Generator updates per discriminator update. The first uses the batch the discriminator just
   * judged; each further one draws fresh noise.
   */
  generatorSteps: number;
  /** Spectral normalisation of the discriminator (`trainGAN`'s `spectralNorm`); off when absent. */
  spectralNorm?: boolean;
  /**
   * Decay of the moving average of the generator's weights that runs save and sample
   * (`GeneratorAverage`); 0 for none: the last weights.
   */
  average?: number;
  /** Train on the first `dataLimit` images only (all when absent). */
  dataLimit?: number;
  /** The objective (`trainGAN`'s `loss`, src/train/losses.ts' `LossName`); `"ns"` when absent. */
  loss?: "ns" | "hinge" | "ls" | "wgan-gp";
  /** R1's weight γ on D (`trainGAN`'s `r1`); 0 when absent. */
  r1?: number;
  /** Lazy R1: every how many D updates (`trainGAN`'s `r1Every`); 1 when absent. */
  r1Every?: number;
}

/** A complete recipe: both architectures and the training settings. */
export interface Preset {
  /** The preset's name. */
  name: PresetName;
  /** Where it comes from, in one sentence. */
  description: string;
  /** The generator's architecture. */
  generator: GeneratorOptions;
  /** The discriminator's architecture. */
  discriminator: DiscriminatorOptions;
  /** How it trains. */
  training: TrainingSettings;
}

/** The names of the built-in presets. */
export type PresetName =
  | "quick"
  | "standard"
  | "lite"
  | "tutorial"
  | "dcgan"
  | "cgan"
  | "cdcgan"
  | "dcgan32"
  | "progan"
  | "progan32"
  | "stylegan"
  | "cstylegan";

/** MNIST's image shape: 28×28, one channel. */
export const MNIST_SHAPE: [number, number, number] = [28, 28, 1];

/**
 * The original projects' Adam, which GAN_Implementation, the EngEd tutorial and the DCGAN paper
 * share: learning rate 2e-4, β = (0.5, 0.999). `trainGAN`'s defaults use it too.
 */
export const ORIGINAL_ADAM: Readonly<{ learningRate: number; beta1: number; beta2: number }> = {
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
};
