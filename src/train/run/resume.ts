/**
 * Where a run directory's training can go on from (Deno only): its checkpoint, or, when it stopped
 * before its first, its `config.json`, from which the run starts again with the same settings.
 *
 * @module
 */

import { join } from "node:path";
import { CheckpointError, RunDirectoryError } from "../../errors.ts";
import { describeFsError } from "../../fs.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { readCheckpoint } from "./checkpoint_file.ts";
import { RUN_LAYOUT } from "./layout.ts";
import type { TrainRunOptions } from "./options.ts";

/** What a run directory offers to resume from. */
export interface ResumePoint {
  /** The checkpoint; null when the run stopped before its first (it then starts again). */
  checkpoint: Checkpoint | null;
  /** The file the settings came from. */
  source: string;
  /** The run's settings as options of `trainRun`. */
  options: TrainRunOptions;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * A run's recorded settings (`config.json`'s `"settings"`, or a checkpoint's) as options of
 * `trainRun`, which checks every value again.
 *
 * @param settings The recorded settings.
 * @param fail Throws, naming the fault.
 * @returns The options.
 */
export function optionsFromSettings(
  settings: unknown,
  fail: (fault: string) => never,
): TrainRunOptions {
  if (!isObject(settings)) return fail("no settings");
  const part = (key: string): Record<string, unknown> =>
    isObject(settings[key])
      ? settings[key] as Record<string, unknown>
      : fail(`settings.${key} is missing`);
  const training = part("training"), data = part("data");
  return {
    preset: settings.preset as TrainRunOptions["preset"],
    faithful: settings.faithful === true,
    // Runs recorded before the latent prior existed drew z from N(0, I).
    generator: { latentMixture: null, ...part("generator") },
    discriminator: part("discriminator"),
    epochs: training.epochs as number,
    batchSize: training.batchSize as number,
    learningRate: training.learningRate as number,
    // Runs recorded before there was a separate rate trained G at D's.
    generatorLearningRate: (training.generatorLearningRate ?? training.learningRate) as number,
    beta1: training.beta1 as number,
    beta2: training.beta2 as number,
    generatorSteps: training.generatorSteps as number,
    // Runs recorded before spectral normalisation existed trained without it.
    spectralNorm: training.spectralNorm === true,
    // Runs recorded before the objectives, penalties and augmentations existed trained with
    // the non-saturating loss and none of them.
    loss: (training.loss ?? "ns") as TrainRunOptions["loss"],
    gradientPenalty: (training.gradientPenalty ?? 10) as number,
    discriminatorSteps: (training.discriminatorSteps ?? 1) as number,
    r1: (training.r1 ?? 0) as number,
    r1Every: (training.r1Every ?? 1) as number,
    augment: (training.augment ?? []) as TrainRunOptions["augment"],
    ada: training.ada === true,
    seed: training.seed as number,
    dataLimit: data.limit as number | null,
    ...(typeof data.dir === "string" ? { dataDir: data.dir } : {}),
    split: data.split as TrainRunOptions["split"],
    logEvery: settings.logEvery as number,
    gridSize: settings.gridSize as number,
    evalEvery: settings.evalEvery as number,
    evalSamples: settings.evalSamples as number,
    stopOnCollapse: settings.stopOnCollapse === true,
    average: settings.average as number,
  };
}

/**
 * Finds what a run directory can resume from: `checkpoint.ckpt`, else `config.json` (the run
 * stopped before its first checkpoint: it starts again, exactly as it started then).
 *
 * @param dir The run directory.
 * @returns The checkpoint (or null) and the run's settings.
 * @throws {RunDirectoryError} If `dir` is not a run directory.
 * @throws {CheckpointError} If its checkpoint is damaged, or does not agree with `config.json`.
 */
export async function findResumePoint(dir: string): Promise<ResumePoint> {
  const checkpointPath = join(dir, RUN_LAYOUT.checkpoint);
  const configPath = join(dir, RUN_LAYOUT.config);
  let config: Record<string, unknown> | undefined;
  let configFault: string | undefined;
  try {
    const parsed = JSON.parse(await Deno.readTextFile(configPath));
    if (isObject(parsed)) config = parsed;
    else configFault = "config.json is not a JSON object";
  } catch (error) {
    configFault = error instanceof SyntaxError
      ? `config.json is not valid JSON (${error.message})`
      : `config.json: ${describeFsError(error)}`;
  }
  let checkpoint: Checkpoint | null = null;
  try {
    await Deno.stat(checkpointPath);
    checkpoint = await readCheckpoint(checkpointPath);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (checkpoint) {
    const recorded = isObject(config?.settings) ? config.settings : undefined;
    if (recorded && recorded.preset !== checkpoint.settings.preset) {
      throw new CheckpointError(
        "read",
        checkpointPath,
        `it is of preset ${checkpoint.settings.preset}, the run's config.json of preset ${recorded.preset} (a checkpoint from another run?)`,
      );
    }
    const fail = (fault: string): never => {
      throw new CheckpointError("read", checkpointPath, fault);
    };
    return {
      checkpoint,
      source: checkpointPath,
      options: optionsFromSettings(checkpoint.settings, fail),
    };
  }
  if (configFault !== undefined) {
    try {
      if (!(await Deno.stat(dir)).isDirectory) throw new RunDirectoryError(dir, "not a directory");
    } catch (error) {
      if (error instanceof RunDirectoryError) throw error;
      throw new RunDirectoryError(dir, `cannot resume: ${describeFsError(error)}`);
    }
    throw new RunDirectoryError(
      dir,
      `cannot resume: no ${RUN_LAYOUT.checkpoint}, and ${configFault} (not a run directory?)`,
    );
  }
  const fail = (fault: string): never => {
    throw new RunDirectoryError(dir, `cannot resume: config.json: ${fault}`);
  };
  return {
    checkpoint: null,
    source: configPath,
    options: optionsFromSettings(config!.settings, fail),
  };
}
