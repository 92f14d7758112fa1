/**
 * A run's models: the generator, the discriminator and, when the run keeps a moving average of
 * G's weights, the averaged generator that it saves as `generator/`, samples and evaluates.
 *
 * @module
 */

import type { LayersModel } from "../../tf_types.ts";
import { CheckpointError } from "../../errors.ts";
import { createDiscriminator, createGenerator } from "../../models/create.ts";
import { GeneratorAverage } from "../average.ts";
import { type Checkpoint, restoreWeights } from "./checkpoint.ts";
import type { RunSettings } from "./settings.ts";

/** The models of a run. */
export interface RunModels {
  /** The generator that trains. */
  generator: LayersModel;
  /** The discriminator. */
  discriminator: LayersModel;
  /** The moving average of G's weights; null without. */
  average: GeneratorAverage | null;
  /** The generator that holds the average; null without. */
  averaged: LayersModel | null;
  /** The generator the run saves as `generator/`, samples and evaluates. */
  shown: LayersModel;
}

/**
 * Creates a run's models from its settings.
 *
 * @param settings The settings (their image shape the data's).
 * @returns The models, initialised from the seed.
 *
 * @example
 * ```ts
 * import { createRunModels } from "./models.ts";
 * import { resolveRunSettings } from "./settings.ts";
 *
 * const { generator, average } = createRunModels(resolveRunSettings({ preset: "standard" }));
 * console.log(generator.countParams(), average !== null); // … true
 * ```
 */
export function createRunModels(settings: RunSettings): RunModels {
  const seed = settings.training.seed;
  // The settings hold every field but the optional ones a preset may leave out (`classes`,
  // `architecture`): those come from the run's own preset, never the default one. No
  // `latentMixture` in them is z ~ N(0, I), whatever the preset's.
  const { preset, faithful } = settings;
  const generatorOptions = {
    preset,
    faithful,
    latentMixture: null,
    ...settings.generator,
    seed,
  };
  const generator = createGenerator(generatorOptions);
  const average = settings.average > 0 ? new GeneratorAverage(generator, settings.average) : null;
  const averaged = average ? createGenerator(generatorOptions) : null;
  const discriminator = createDiscriminator({
    preset,
    faithful,
    ...settings.discriminator,
    seed,
  });
  return { generator, discriminator, average, averaged, shown: averaged ?? generator };
}

/**
 * Puts a checkpoint's weights (and weight average) into a run's models.
 *
 * @param models The models.
 * @param saved The checkpoint.
 * @param source Its file, for the message.
 * @throws {CheckpointError} If they do not fit (the average is disposed first).
 */
export function restoreRunModels(models: RunModels, saved: Checkpoint, source: string): void {
  const { generator, discriminator, average } = models;
  try {
    restoreWeights(generator, saved.generator, "generator");
    restoreWeights(discriminator, saved.discriminator, "discriminator");
    if ((saved.average === null) !== (average === null)) {
      throw new RangeError("the run's weight average and the checkpoint's do not match");
    }
    if (saved.average) average!.importState(saved.average);
  } catch (error) {
    average?.dispose();
    if (!(error instanceof RangeError)) throw error;
    throw new CheckpointError("resume from", source, error.message, { cause: error });
  }
}
