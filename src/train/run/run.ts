/**
 * A training run with everything written down (Deno only): data loading, both models, training,
 * and a run directory (its layout in `layout.ts`) that holds the models after every epoch, a log,
 * sample grids, loss curves and the config that reproduces it.
 *
 * `trainRun` sets a run up (settings, data, models, directory) and hands `trainGAN` the events of
 * a {@linkcode RunSession}, which holds what they share; after a non-finite value it may roll
 * back and train again.
 *
 * @module
 */

import { RunDirectoryError } from "../../errors.ts";
import { describeFsError } from "../../fs.ts";
import { checkPenaltyDiscriminator } from "../penalties.ts";
import { trainGAN, type TrainResult } from "../train.ts";
import { runConfig } from "./config.ts";
import { checkOneBatch, checkSameData, fitImageShape, loadRunData, runEvaluator } from "./data.ts";
import { checkRunDirectory, openRunDirectory } from "./directory.ts";
import { createRunModels, restoreRunModels } from "./models.ts";
import type { TrainRunOptions, TrainRunResult } from "./options.ts";
import { findResumePoint } from "./resume.ts";
import { RunSession } from "./session.ts";
import { resolveRunControls, resolveRunSettings, resumedSettings } from "./settings.ts";

/**
 * Trains a GAN from a preset and writes a run directory: the models after every epoch, the log,
 * sample grids from a fixed noise batch, loss curves and the config.
 *
 * Select a backend first ({@linkcode selectBackend}); the run records which one it used.
 *
 * @param options The preset, overrides, data, run directory and callbacks.
 * @returns The trained models, the settings, and how far training got.
 * @throws {RunDirectoryError} If `out` exists with files in it (without `force`) or cannot be
 * created; this is checked before anything is loaded or trained.
 * @throws {DataFileError} If the data cannot be read.
 *
 * @example Two epochs of the lite preset, written to a run directory
 * ```ts
 * import { selectBackend, trainRun } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const { result } = await trainRun({
 *   preset: "lite",
 *   epochs: 2,
 *   seed: 1,
 *   out: await Deno.makeTempDir(),
 *   onEpoch: (e) => console.log(`epoch ${e.epoch}: loss_d ${e.lossD.toFixed(3)}`),
 * });
 * console.log(result.steps); // 312
 * ```
 */
export async function trainRun(options: TrainRunOptions = {}): Promise<TrainRunResult> {
  try {
    return await runTraining(options);
  } catch (error) {
    // A file of the run that cannot be written (a full disk, a read-only or vanished directory):
    // one error naming the directory. What was written before is intact (atomic writes).
    const code = (error as { code?: unknown }).code;
    const fileSystem = error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
      (error instanceof Error && !(error instanceof RangeError) && typeof code === "string" &&
        /^E[A-Z]+$/.test(code));
    if (!fileSystem || options.out === undefined) throw error;
    throw new RunDirectoryError(
      options.out,
      `cannot write in it: ${describeFsError(error)} (what it held before is intact)`,
      { cause: error },
    );
  }
}

/** Sets the run up, then trains it, again after each rollback. */
async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const out = options.out;
  if (options.resume && out === undefined) {
    throw new RangeError("trainRun: resume needs out, the run directory to resume");
  }
  const point = options.resume ? await findResumePoint(out!) : undefined;
  const saved = point?.checkpoint ?? null;
  const settings = point
    ? resumedSettings(point.options, point.source, saved, options.epochs)
    : resolveRunSettings(options);
  // A run stopped before its first checkpoint starts again in its directory.
  const force = (options.force ?? false) || (point !== undefined && saved === null);
  if (out !== undefined && !point) await checkRunDirectory(out, force);
  const controls = resolveRunControls(options);
  const data = await loadRunData(settings, options);
  const evaluator = await runEvaluator(settings, options, data);
  const fingerprint = checkSameData(data, saved, point?.source);
  fitImageShape(settings, data);
  const models = createRunModels(settings);
  checkOneBatch(settings, data);
  // Before the run directory is touched: a penalty the step would refuse.
  checkPenaltyDiscriminator(models.discriminator, settings.training);
  if (saved) restoreRunModels(models, saved, point!.source);
  const log = out === undefined ? undefined : await openRunDirectory(out, {
    settings,
    resuming: point !== undefined,
    saved,
    force,
    config: () => runConfig(settings, models, data, Boolean(options.data)),
  });
  const session = new RunSession({
    options,
    settings,
    controls,
    models,
    data: { count: data.count, fingerprint },
    evaluator,
    out,
    log,
    saved,
  });
  try {
    if (point) await options.onResume?.(session.resumeInfo());
    let resume = saved?.train;
    let result: TrainResult;
    for (;;) {
      result = await trainGAN(models.generator, models.discriminator, data, {
        ...settings.training,
        learningRate: session.learningRate,
        generatorLearningRate: session.generatorLearningRate,
        signal: session.signal,
        nextStep: options.nextStep && (() => session.nextStep()),
        onStep: (info) => session.step(info),
        onEpoch: (info) => session.epoch(info),
        resume,
        checkpointEvery: controls.checkpointEvery,
        onCheckpoint: (state) => session.checkpoint(state),
      });
      if (!session.shouldRollBack()) break;
      resume = await session.rollBack();
    }
    if (models.average) models.average.writeTo(models.averaged!);
    return session.result(result);
  } finally {
    log?.close();
    models.average?.dispose();
  }
}
