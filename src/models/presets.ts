/**
 * The original systems as plain data: the sizes, activations and training settings of each preset.
 * Read them, copy them, override any field.
 *
 * @module
 */

import { CDCGAN, DCGAN, DCGAN32, DCGAN_TRAINED } from "./presets/dcgan.ts";
import {
  CGAN,
  ORIGINAL_LITE,
  ORIGINAL_STANDARD,
  ORIGINAL_TUTORIAL,
  QUICK,
  TRAINED_LITE,
  TRAINED_STANDARD,
  TRAINED_TUTORIAL,
} from "./presets/mlp.ts";
import { CSTYLEGAN, PROGAN, PROGAN32, STYLEGAN } from "./presets/style.ts";
import type { Preset, PresetName } from "./presets/types.ts";

export type {
  Activation,
  Architecture,
  DiscriminatorOptions,
  GeneratorOptions,
  Initializer,
  Preset,
  PresetName,
  TrainingSettings,
} from "./presets/types.ts";

/** Freezes an object and everything inside it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The built-in presets: the original systems' with one change where the original recipe fails.
 *
 * - `quick` (the default): `cgan`'s conditional MLP trained for speed, one G update per D update
 *   at Adam 1e-3, 10 epochs, the averaged generator: clean digits of every class in a minute or
 *   two on a laptop CPU. It has no original recipe; `--faithful` changes nothing.
 * - `standard`: the GAN_Implementation MLP GAN. G 100→256→256→784 (ReLU, Tanh); D 784→256→256→1
 *   (LeakyReLU 0.2); BCE; Adam 2e-4, β=(0.5, 0.999); batch 64; 50 epochs; all 60,000 digits.
 *   As written it collapses, so here G has BatchNorm after each hidden Dense and takes two
 *   updates per D update; {@linkcode ORIGINAL_PRESETS} keeps the recipe as written (`--faithful`).
 * - `lite`: its fast mode. A 10,000-digit subset, latent 64, BatchNorm in G:
 *   G 64→128→256→512→784 (576,912 trainable parameters, the original's "576K"); D 784→512→256→1
 *   (LeakyReLU 0.2, 533,505 parameters), sized to match G.
 * - `tutorial`: the EngEd tutorial GAN. G 32→128→784 (LeakyReLU 0.01, Tanh); D 784→64→1
 *   (LeakyReLU 0.01); Adam 2e-4; batch 32; 25 epochs.
 * - `dcgan`: a DCGAN (src/models/dcgan.ts). G z → Dense 7·7·128 → BN/ReLU → ConvTranspose 64
 *   (14×14) → BN/ReLU → ConvTranspose 1 (28×28) → Tanh; D Conv 64 stride 2 → LeakyReLU 0.2 →
 *   Conv 128 stride 2 → BN → LeakyReLU → Dense 1; 4×4 filters, N(0, 0.02) weights; two G
 *   updates per D update, G's learning rate 8e-4, four times D's, and z from a mixture of 10
 *   unit Gaussians centred 4 from the origin on z's first 10 axes (one update at D's rate
 *   and z ~ N(0, I) with `--faithful`, as the DCGAN paper); 5 epochs.
 * - `dcgan32`: the same for 32×32 colour images (CIFAR-10, `--data DIR` with its binary files):
 *   feature maps 4×4·256 → 8×8·128 → 16×16·64 → 32×32·3, D the mirror; 10 epochs.
 * - `cgan`, `cdcgan`: conditional versions of `standard` and `dcgan` (20 and 5 epochs; `cgan`
 *   with standard's two G updates per D update, `cdcgan` with the DCGAN paper's one): the
 *   generator takes `[z, oneHotDigit]` and draws that digit, the discriminator judges
 *   `[image, oneHotDigit]` (for `cdcgan` the digit as 10 constant maps beside the image).
 * - `progan` (`progan32` for CIFAR-10): ProGAN, grown 7×7 → 14×14 → 28×28 with a fade-in of each
 *   new block, pixel norm in G, minibatch standard deviation in D, equalised learning rate
 *   (src/models/style/progan.ts, docs/style-gans.md).
 * - `stylegan`, `cstylegan`: a style-based generator (mapping network, learned constant,
 *   modulated convolutions, noise inputs, style mixing) with ProGAN's discriminator and R1; the
 *   conditional one draws the digit asked for (src/models/style/stylegan.ts).
 *
 * @example Read a preset, then train a variant of it
 * ```ts
 * import { PRESETS } from "@gan/mnist";
 *
 * console.log(PRESETS.lite.generator.hiddenUnits); // [128, 256, 512]
 * const wider = { ...PRESETS.standard.generator, hiddenUnits: [512, 512] };
 * console.log(wider.latentDim); // 100
 * ```
 */

export const PRESETS: Readonly<Record<PresetName, Preset>> = deepFreeze({
  quick: QUICK,
  standard: TRAINED_STANDARD,
  lite: TRAINED_LITE,
  tutorial: TRAINED_TUTORIAL,
  dcgan: DCGAN_TRAINED,
  cgan: CGAN,
  cdcgan: CDCGAN,
  dcgan32: DCGAN32,
  progan: PROGAN,
  progan32: PROGAN32,
  stylegan: STYLEGAN,
  cstylegan: CSTYLEGAN,
});

/**
 * The presets exactly as the original systems wrote them. Only `standard` differs from
 * {@linkcode PRESETS} (no BatchNorm in G, one G update per D update), and `dcgan`, which
 * takes the DCGAN paper's one G update per D update, at D's learning rate.
 *
 * @example Compare the original recipe with ours
 * ```ts
 * import { PRESETS, ORIGINAL_PRESETS } from "@gan/mnist";
 *
 * console.log(ORIGINAL_PRESETS.standard.generator.batchNorm, PRESETS.standard.generator.batchNorm); // false true
 * console.log(ORIGINAL_PRESETS.standard.training.generatorSteps); // 1
 * ```
 */
export const ORIGINAL_PRESETS: Readonly<Record<PresetName, Preset>> = deepFreeze({
  ...PRESETS,
  standard: ORIGINAL_STANDARD,
  lite: ORIGINAL_LITE,
  tutorial: ORIGINAL_TUTORIAL,
  dcgan: DCGAN,
});

/**
 * The preset that `train`, `createGenerator`, `createDiscriminator` and
 * `trainRun` start from when none is given: the one that gives the best samples per minute of
 * training (measured in docs/presets.md).
 */
export const DEFAULT_PRESET: PresetName = "quick";

/** The preset names, in the order the docs list them. */
export const PRESET_NAMES: readonly PresetName[] = [
  "quick",
  "standard",
  "lite",
  "tutorial",
  "dcgan",
  "cgan",
  "cdcgan",
  "dcgan32",
  "progan",
  "progan32",
  "stylegan",
  "cstylegan",
];

/**
 * A preset by name, or a `RangeError` that lists the valid names.
 *
 * @param name The preset's name.
 * @param faithful The original recipe exactly as written ({@linkcode ORIGINAL_PRESETS}).
 * @default {false}
 * @returns The preset (shared; copy before changing).
 */
export function getPreset(name: string, faithful = false): Preset {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(
      `Unknown preset "${name}": expected one of ${PRESET_NAMES.join(", ")}`,
    );
  }
  return (faithful ? ORIGINAL_PRESETS : PRESETS)[name as PresetName];
}
