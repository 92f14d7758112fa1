/**
 * A run's data: its images (in memory, a CIFAR-10 directory, an MNIST-format directory or the
 * bundled MNIST), the evaluator that can judge them, and the checks that they suit the run.
 *
 * @module
 */

import type { LayersModel } from "../../tf_types.ts";
import type { ImageSet } from "../../data/images.ts";
import { loadMnist } from "../../data/mnist.ts";
import { isCifarDir, loadCifar10 } from "../../data/cifar.ts";
import { CheckpointError } from "../../errors.ts";
import { evaluateGenerator } from "../../eval/evaluate.ts";
import { type Checkpoint, dataFingerprint } from "./checkpoint.ts";
import type { GeneratorEvaluator, TrainRunOptions } from "./options.ts";
import type { RunSettings } from "./settings.ts";

/**
 * Loads the run's images, or takes those given in memory.
 *
 * @param settings Where the data come from, the split and the limit.
 * @param options `data`, when given in memory.
 * @returns The images.
 *
 * @example
 * ```ts
 * import { loadRunData } from "./data.ts";
 * import { resolveRunSettings } from "./settings.ts";
 *
 * const settings = resolveRunSettings({ preset: "lite" });
 * console.log((await loadRunData(settings, {})).count); // 10000
 * ```
 */
export async function loadRunData(
  settings: RunSettings,
  options: TrainRunOptions,
): Promise<ImageSet> {
  const limit = settings.data.limit !== null ? { limit: settings.data.limit } : {};
  const dir = settings.data.dir;
  // A directory of CIFAR-10's binary files, or MNIST's layout (IDX).
  return options.data ??
    (dir !== null && await isCifarDir(dir)
      ? await loadCifar10({ dir, split: settings.data.split, ...limit })
      : await loadMnist({
        split: settings.data.split,
        ...limit,
        ...(dir !== null ? { dir } : {}),
      }));
}

/**
 * The evaluator of a run that evaluates: the caller's, or the built-in one for the images' kind.
 *
 * @param settings The run's settings (`evalEvery`).
 * @param options The caller's `evaluator`, if any.
 * @param data The images.
 * @returns The evaluator; undefined when the run does not evaluate.
 * @throws {RangeError} If the built-in evaluator cannot judge images of this shape.
 */
export async function runEvaluator(
  settings: RunSettings,
  options: TrainRunOptions,
  data: ImageSet,
): Promise<GeneratorEvaluator | undefined> {
  const dir = settings.data.dir;
  const colour = data.height === 32 && data.width === 32 && data.channels === 3;
  if (
    settings.evalEvery > 0 && !options.evaluator && !colour &&
    (data.height !== 28 || data.width !== 28 || data.channels !== 1)
  ) {
    throw new RangeError(
      `evalEvery: the built-in evaluator judges 28×28 grey digits and 32×32 colour images ` +
        `(CIFAR-10); these images are ${data.height}×${data.width}×${data.channels}`,
    );
  }
  // CIFAR-10: precision and recall need real images to compare with; its test batch when there.
  const colourReference = settings.evalEvery > 0 && !options.evaluator && colour && dir !== null
    ? await loadCifar10({ dir, split: "test" }).catch(() => undefined)
    : undefined;
  return settings.evalEvery > 0
    ? options.evaluator ??
      ((g: LayersModel, o: { n: number; seed: number }) =>
        evaluateGenerator(g, { ...o, reference: colourReference }))
    : undefined;
}

/**
 * The images' fingerprint, checked against a checkpoint's.
 *
 * @param data The images.
 * @param saved The checkpoint resumed from, if any.
 * @param source Its file, for the message.
 * @returns The fingerprint.
 * @throws {CheckpointError} If the checkpoint was trained on other data.
 */
export function checkSameData(
  data: ImageSet,
  saved: Checkpoint | null,
  source: string | undefined,
): string {
  const fingerprint = dataFingerprint(data);
  if (saved && saved.data.fingerprint !== fingerprint) {
    throw new CheckpointError(
      "resume from",
      source!,
      `it was trained on other data (${saved.data.count} images, fingerprint ${saved.data.fingerprint}; ` +
        `the run's data now give ${data.count} images, fingerprint ${fingerprint})`,
    );
  }
  return fingerprint;
}

/**
 * Makes the settings' image shape the data's, so that Fashion-MNIST or other sizes just work.
 *
 * @param settings The settings, changed in place.
 * @param data The images.
 */
export function fitImageShape(settings: RunSettings, data: ImageSet): void {
  const imageShape: [number, number, number] = [data.height, data.width, data.channels];
  settings.generator.imageShape = imageShape;
  settings.discriminator.imageShape = imageShape;
}

/**
 * Checks that the data hold at least one batch.
 *
 * @param settings The settings (`batchSize`).
 * @param data The images.
 * @throws {RangeError} If they hold fewer.
 */
export function checkOneBatch(settings: RunSettings, data: ImageSet): void {
  if (data.count < settings.training.batchSize) {
    throw new RangeError(
      `trainRun: the data holds ${data.count} images, fewer than one batch of ${settings.training.batchSize}`,
    );
  }
}
