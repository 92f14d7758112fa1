/**
 * Progressive growing's schedule (ProGAN §3): the networks start at the lowest resolution, and
 * each further resolution is faded in (its block's output blended with the upsampled output of
 * the one below, the blend going 0 → 1 linearly) and then trained on its own, over a set number
 * of images each. The schedule is a pure function of the images seen, so a run resumed from a
 * checkpoint is at exactly the phase and blend it was.
 *
 * Layers that change with training progress (progressive growing; StyleGAN's per-step noise and
 * style mixing) implement {@linkcode StepAware}: the training loop tells them each step's
 * number and the images seen before it (`prepareModels`).
 *
 * @module
 */

import type { LayersModel } from "../../tf_types.ts";

/** Images per phase of progressive growing. */
export interface GrowthSchedule {
  /** Images each resolution trains on alone (the lowest from the start, each further one after its fade-in). */
  stableImages: number;
  /** Images over which each new resolution fades in. */
  fadeImages: number;
}

/** Where a growing network stands: its highest active resolution, and that block's blend. */
export interface Growth {
  /** Index of the highest active resolution (0: the lowest). */
  phase: number;
  /** The newest block's weight in the blend, 1 once it is faded in. */
  alpha: number;
}

/**
 * The phase and blend after `imagesSeen` images: phase 0 alone for `stableImages`, then for each
 * further resolution a fade-in over `fadeImages` and `stableImages` alone; the last resolution
 * stays.
 *
 * @param imagesSeen Images the networks have trained on.
 * @param schedule Images per phase.
 * @param phases How many resolutions there are.
 * @returns The phase and the blend.
 *
 * @example
 * ```ts
 * import { growthAt } from "./growth.ts";
 *
 * const schedule = { stableImages: 1000, fadeImages: 1000 };
 * console.log(growthAt(500, schedule, 3)); // { phase: 0, alpha: 1 }
 * console.log(growthAt(1500, schedule, 3)); // { phase: 1, alpha: 0.5 }
 * console.log(growthAt(99999, schedule, 3)); // { phase: 2, alpha: 1 }
 * ```
 */
export function growthAt(imagesSeen: number, schedule: GrowthSchedule, phases: number): Growth {
  const { stableImages, fadeImages } = schedule;
  if (phases <= 1) return { phase: 0, alpha: 1 };
  let left = imagesSeen - stableImages;
  if (left < 0) return { phase: 0, alpha: 1 };
  for (let phase = 1; phase < phases; phase++) {
    if (left < fadeImages) return { phase, alpha: Math.fround(left / fadeImages) };
    left -= fadeImages;
    if (left < stableImages || phase === phases - 1) return { phase, alpha: 1 };
    left -= stableImages;
  }
  return { phase: phases - 1, alpha: 1 };
}

/**
 * The images after which growing is over: every resolution faded in and trained alone once.
 *
 * @param schedule Images per phase.
 * @param phases How many resolutions there are.
 * @returns `phases·stableImages + (phases − 1)·fadeImages`.
 *
 * @example
 * ```ts
 * import { grownAfter } from "./growth.ts";
 *
 * console.log(grownAfter({ stableImages: 1000, fadeImages: 500 }, 3)); // 4000
 * ```
 */
export function grownAfter(schedule: GrowthSchedule, phases: number): number {
  return phases * schedule.stableImages + (phases - 1) * schedule.fadeImages;
}

/** Where training stands before a step. */
export interface StepProgress {
  /** Steps taken before this one. */
  globalStep: number;
  /** Images the networks have trained on before this step. */
  imagesSeen: number;
}

/** A layer whose behaviour depends on training progress. */
export interface StepAware {
  /** Called before every training step. */
  prepareStep(progress: StepProgress): void;
}

/** Whether a layer is {@linkcode StepAware}. */
function isStepAware(layer: unknown): layer is StepAware {
  return typeof (layer as Partial<StepAware>).prepareStep === "function";
}

/**
 * Tells every {@linkcode StepAware} layer of the models where training stands: before each
 * training step, and before saving a twin of a model (the averaged generator).
 *
 * @param models The generator, the discriminator, or any model.
 * @param progress The step and the images seen before it.
 * @returns Whether any layer was told.
 *
 * @example
 * ```ts
 * import { createGenerator } from "../create.ts";
 * import { prepareModels } from "./growth.ts";
 *
 * const g = createGenerator({ preset: "progan", seed: 1 });
 * console.log(prepareModels([g], { globalStep: 10, imagesSeen: 640 })); // true
 * ```
 */
export function prepareModels(models: LayersModel[], progress: StepProgress): boolean {
  let any = false;
  for (const model of models) {
    for (const layer of model.layers) {
      if (isStepAware(layer)) {
        layer.prepareStep(progress);
        any = true;
      }
    }
  }
  return any;
}
