/**
 * A step's settings with their defaults filled in, the same for both kinds of step.
 *
 * @module
 */

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
  };
}
