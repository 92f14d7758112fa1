/**
 * What a step of GAN training is ({@linkcode GanStep}: train on one real batch, export and import
 * the optimisers' state, dispose), and {@linkcode createGanStep}, which picks the kind: the direct
 * step on our WASM kernels (src/train/direct/) where it applies, the autograd step
 * (src/train/autograd_step.ts) otherwise.
 *
 * @module
 */

import type { LayersModel } from "../tf_types.ts";
import type { AdamState } from "./adam.ts";
import { createAutogradStep } from "./autograd_step.ts";
import { createDirectStep } from "./direct/step.ts";
import type { AdaptiveProbabilityState } from "./augment.ts";
import type { ResolvedTrainOptions, StepPart } from "./options.ts";
import type { Random } from "../random.ts";
import { stepSettings } from "./step_settings.ts";

/** The losses and discriminator outputs of one training step. */
export interface StepStats {
  /** The discriminator's loss. */
  lossD: number;
  /** The generator's loss. */
  lossG: number;
  /** D(x). */
  dReal: number;
  /** D(G(z)). */
  dFake: number;
  /** The probability of each augmentation after the step (0 without augmentation). */
  augmentProbability?: number;
}

/** One training step, with its optimisers: what `trainGAN` runs for every batch. */
export interface GanStep {
  /**
   * How the step runs: "direct" as calls of our WASM kernels written out for an MLP
   * (src/train/direct/), "autograd" as tf.js operations differentiated by tf.js.
   */
  readonly kind: "direct" | "autograd";
  /**
   * One discriminator update on a real and a generated batch, then the generator's updates.
   *
   * @param batch `batchSize × height × width × channels` real pixels.
   * @param noise `generatorSteps × batchSize × latentDim` noise values: the first batch for the
   * discriminator's update and the first generator update, one more for each further update.
   * @param labels Conditional models: the real images' classes, which the generated batch is
   * asked for too (so that every class is seen as often real as generated).
   * @param part Which updates to run: both (the default), the discriminator's only (its loss
   * as usual; the generator's loss is then the one against D before its update), or the
   * generator's only (D's loss reported without penalties).
   * @returns The losses and D outputs, read back from the backend.
   */
  run(
    batch: Float32Array,
    noise: Float32Array,
    labels?: ArrayLike<number>,
    part?: StepPart,
  ): Promise<StepStats>;
  /** Both optimisers' whole state (moments, β powers, steps), copied: what a checkpoint saves. */
  exportState(): GanStepState;
  /**
   * Continues from a state that `exportState` returned for the same models (either kind of step).
   *
   * @param state The optimisers' state.
   * @throws {RangeError} If it does not fit the models' weights.
   */
  importState(state: GanStepState): void;
  /** Frees the optimisers' state. */
  dispose(): void;
}

/**
 * The state of both optimisers of a {@linkcode GanStep}.
 *
 * @example Copy one step's optimisers into another
 * ```ts
 * import { createDiscriminator, createGanStep, createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * const settings = { batchSize: 32, learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
 * const a = createGanStep(generator, discriminator, settings);
 * const b = createGanStep(generator, discriminator, settings);
 * b.importState(a.exportState());
 * a.dispose(), b.dispose();
 * ```
 */
export interface GanStepState {
  /** The generator's Adam. */
  generator: AdamState;
  /** The discriminator's Adam. */
  discriminator: AdamState;
  /** With spectral normalisation: its power iteration's vectors, one per normalised kernel. */
  spectral?: Float32Array[];
  /** Discriminator updates so far (lazy R1 counts them; absent: 0). */
  discriminatorUpdates?: number;
  /** With adaptive augmentation: its probability and counts. */
  augment?: AdaptiveProbabilityState;
}

/**
 * Settings of {@linkcode createGanStep}: batch size, Adam's, generator updates per step (default
 * 1), spectral normalisation, the objective and its penalties, augmentation, the random numbers
 * of penalties and augmentation (`random`, default: seed 0), and `autograd: true` to run the
 * autograd step where the direct step would apply.
 */
export type GanStepOptions =
  & Pick<ResolvedTrainOptions, "batchSize" | "learningRate" | "beta1" | "beta2">
  & Partial<
    Pick<
      ResolvedTrainOptions,
      | "generatorSteps"
      | "generatorLearningRate"
      | "spectralNorm"
      | "loss"
      | "gradientPenalty"
      | "r1"
      | "r1Every"
      | "ada"
    >
  >
  & { augment?: ResolvedTrainOptions["augment"]; random?: Random; autograd?: boolean };

/**
 * Builds the training step of a GAN: two Adam optimisers and the update that uses them. The
 * direct step on our kernels where it applies (no `autograd`, `spectralNorm` or augmentation, an
 * MLP on wasm: {@linkcode createDirectStep} says), the autograd step otherwise.
 *
 * @param generator The generator, `(B, latentDim)` → `(B, height, width, channels)`.
 * @param discriminator The discriminator, images → `(B, 1)` logits.
 * @param options Batch size, optimiser settings and generator updates per step (default 1);
 * `autograd: true` runs the step as tf.js operations with tf.js's autograd even where the direct
 * step on our kernels applies (src/train/direct/: MLPs on wasm), e.g. to compare them.
 * @returns The step.
 *
 * @example Time one step of the standard preset
 * ```ts
 * import { createDiscriminator, createGanStep, createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
 * const step = createGanStep(generator, discriminator, {
 *   batchSize: 64, learningRate: 2e-4, beta1: 0.5, beta2: 0.999,
 * });
 * const started = performance.now();
 * const stats = await step.run(new Float32Array(64 * 784), new Float32Array(64 * 100));
 * console.log(stats.lossD, `${performance.now() - started} ms`);
 * step.dispose();
 * ```
 */
export function createGanStep(
  generator: LayersModel,
  discriminator: LayersModel,
  options: GanStepOptions,
): GanStep {
  const settings = stepSettings(options);
  // The direct step has the objectives and the penalties but not the augmentations.
  const direct = options.autograd || options.spectralNorm || settings.augment.length > 0
    ? undefined
    : createDirectStep(generator, discriminator, { ...settings, random: options.random });
  return direct ?? createAutogradStep(generator, discriminator, options);
}
