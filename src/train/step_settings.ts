/**
 * A step's settings with their defaults filled in, the same for both kinds of step.
 *
 * @module
 */

import type { AugmentName } from "./augment.ts";
import type { LossName } from "./losses.ts";
import type { GanStepOptions } from "./step.ts";

/** What both kinds of step read from {@linkcode GanStepOptions}, defaults filled in. */
export interface StepSettings {
  /** Images per batch. */
  batchSize: number;
  /** D's Adam learning rate. */
  learningRate: number;
  /** G's Adam learning rate (default: D's). */
  generatorLearningRate: number;
  /** Adam's β1. */
  beta1: number;
  /** Adam's β2. */
  beta2: number;
  /** Adam's ε, 1e-8 as tf.js's and PyTorch's. */
  epsilon: number;
  /** Generator updates per discriminator update (default 1). */
  generatorSteps: number;
  /** The objective (default "ns"). */
  loss: LossName;
  /** λ of WGAN-GP's penalty (default 10). */
  gradientPenalty: number;
  /** γ of R1 (default 0: none). */
  r1: number;
  /** D updates per R1 penalty (default 1). */
  r1Every: number;
  /** D's augmentations (default none). */
  augment: readonly AugmentName[];
  /** Whether their probability adapts (default false). */
  ada: boolean;
}

/**
 * Fills in a step's defaults.
 *
 * @param options The step's options.
 * @returns The settings both kinds of step use.
 */
export function stepSettings(options: GanStepOptions): StepSettings {
  const { batchSize, learningRate, beta1, beta2 } = options;
  return {
    batchSize,
    learningRate,
    generatorLearningRate: options.generatorLearningRate ?? learningRate,
    beta1,
    beta2,
    epsilon: 1e-8,
    generatorSteps: options.generatorSteps ?? 1,
    loss: options.loss ?? "ns",
    gradientPenalty: options.gradientPenalty ?? 10,
    r1: options.r1 ?? 0,
    r1Every: options.r1Every ?? 1,
    augment: options.augment ?? [],
    ada: options.ada ?? false,
  };
}
