/**
 * The run directory on disk (Deno only): checked before anything is loaded, created (an earlier
 * run's files removed when forced), cleaned of a killed run's temporary files, and opened for a
 * session: its config written (or, resuming, updated) and its log opened.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { RunDirectoryError } from "../../errors.ts";
import { describeFsError } from "../../fs.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { rewriteRunSettings, type RunConfig, writeRunConfig } from "./config.ts";
import { RUN_LAYOUT } from "./layout.ts";
import { RunLog } from "./log_file.ts";
import type { RunSettings } from "./settings.ts";

/**
 * Checks, without touching anything, that `dir` can hold a new run.
 *
 * @param dir The run directory.
 * @param force Whether an earlier run's files may be replaced.
 * @throws {RunDirectoryError} If it is not a directory, or holds files (without `force`).
 *
 * @example
 * ```ts
 * import { checkRunDirectory } from "./directory.ts";
 *
 * await checkRunDirectory(await Deno.makeTempDir(), false); // empty: fine
 * ```
 */
export async function checkRunDirectory(dir: string, force: boolean): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new RunDirectoryError(dir, describeFsError(error), { cause: error });
  }
  if (!info.isDirectory) throw new RunDirectoryError(dir, "exists and is not a directory");
  if (force) return;
  for await (const _ of Deno.readDir(dir)) {
    throw new RunDirectoryError(
      dir,
      "exists and is not empty (choose another directory, or --force / { force: true } to replace its run)",
    );
  }
}

/** How a session opens its run directory. */
export interface OpenRunDirectory {
  /** The run's settings now. */
  settings: RunSettings;
  /** Whether the session goes on from a resume point (its temporaries are removed). */
  resuming: boolean;
  /** The checkpoint it goes on from, if any. */
  saved: Checkpoint | null;
  /** Whether an earlier run's files are replaced (a fresh start only). */
  force: boolean;
  /** The config of a fresh start. */
  config: () => RunConfig;
}

/**
 * Opens the run directory for a session: a fresh start creates it, writes `config.json` and an
 * empty log; a resumed run cuts its log back to the checkpoint, updates the config's settings
 * if the epochs changed, and logs where it goes on from.
 *
 * @param dir The run directory.
 * @param open The session's settings and where it starts.
 * @returns The log, open for appending.
 */
export async function openRunDirectory(dir: string, open: OpenRunDirectory): Promise<RunLog> {
  const { saved, settings } = open;
  if (open.resuming) await removeTemporaries(dir);
  if (saved) {
    await createRunDirectory(dir, false);
    const log = await RunLog.open(join(dir, RUN_LAYOUT.log), saved.progress.logBytes);
    if (settings.training.epochs !== saved.settings.training.epochs) {
      await rewriteRunSettings(dir, settings);
    }
    await log.write({
      kind: "resume",
      epoch: saved.train.epoch,
      step: saved.train.step,
      global_step: saved.train.globalStep,
      backend: tf.getBackend(),
    });
    return log;
  }
  await createRunDirectory(dir, open.force);
  await writeRunConfig(dir, open.config());
  return await RunLog.open(join(dir, RUN_LAYOUT.log));
}

/** Creates `dir` with `samples/`, first removing an earlier run's files when forced. */
async function createRunDirectory(dir: string, force: boolean): Promise<void> {
  if (force) await removeRunFiles(dir);
  try {
    await Deno.mkdir(join(dir, RUN_LAYOUT.samples), { recursive: true });
  } catch (error) {
    throw new RunDirectoryError(dir, `cannot create it (${describeFsError(error)})`, {
      cause: error,
    });
  }
}

/** Removes the files a run writes (and nothing else), so that a forced run starts clean. */
async function removeRunFiles(dir: string): Promise<void> {
  const remove = (path: string) => Deno.remove(path).catch(() => {});
  const { config, log, lossChart, checkpoint, samples, models } = RUN_LAYOUT;
  await Promise.all([config, log, lossChart, checkpoint].map((f) => remove(join(dir, f))));
  const inside = async (sub: string, pattern: RegExp) => {
    try {
      for await (const entry of Deno.readDir(join(dir, sub))) {
        if (pattern.test(entry.name)) await remove(join(dir, sub, entry.name));
      }
    } catch {
      // no such subdirectory
    }
  };
  await inside(samples, RUN_LAYOUT.epochGridPattern);
  await remove(join(dir, samples, RUN_LAYOUT.progressGif));
  for (const role of Object.values(models)) {
    await inside(role, /^(model\.json|weights-[0-9a-f]{8}\.bin)$/);
  }
}

/**
 * Removes the temporary files of atomic writes that a killed run left in its directory (a
 * checkpoint's is as large as the checkpoint).
 */
async function removeTemporaries(dir: string): Promise<void> {
  for (const sub of ["", RUN_LAYOUT.samples, ...Object.values(RUN_LAYOUT.models)]) {
    try {
      for await (const entry of Deno.readDir(join(dir, sub))) {
        if (/\.\d+-\d+\.tmp$/.test(entry.name)) {
          await Deno.remove(join(dir, sub, entry.name)).catch(() => {});
        }
      }
    } catch {
      // no such subdirectory
    }
  }
}
