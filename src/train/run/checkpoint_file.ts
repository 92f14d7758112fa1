/**
 * Checkpoint files (Deno only): written atomically — a temporary file beside the old one, flushed
 * to disk, renamed over it, and the directory flushed — so that a crash, a kill or a full disk at
 * any moment leaves the previous checkpoint whole; read with every check of `decodeCheckpoint`.
 *
 * @module
 */

import { dirname } from "node:path";
import { CheckpointError } from "../../errors.ts";
import { describeFsError, readFileOr, writeFileAtomic } from "../../fs.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint_codec.ts";
import { RUN_LAYOUT } from "./layout.ts";

/**
 * The checkpoint's name in a run directory.
 *
 * @example
 * ```ts
 * import { CHECKPOINT_FILE } from "@gan/mnist";
 *
 * console.log(`runs/lite/${CHECKPOINT_FILE}`); // runs/lite/checkpoint.ckpt
 * ```
 */
export const CHECKPOINT_FILE: string = RUN_LAYOUT.checkpoint;

/**
 * Writes a checkpoint atomically.
 *
 * @param path The checkpoint file.
 * @param checkpoint The run's state.
 * @throws {CheckpointError} If it cannot be written (no space, no permission, …); the previous
 * checkpoint at `path`, if any, is then untouched.
 *
 * @example A copy of a run's checkpoint
 * ```ts
 * import { readCheckpoint, writeCheckpoint } from "@gan/mnist";
 *
 * const checkpoint = await readCheckpoint("runs/lite/checkpoint.ckpt");
 * await writeCheckpoint("backup.ckpt", checkpoint);
 * ```
 */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const bytes = encodeCheckpoint(checkpoint);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new CheckpointError(
      "write",
      path,
      `${describeFsError(error)} (the previous checkpoint, if any, is intact)`,
      { cause: error },
    );
  }
  // The rename is durable once the directory is on disk too (where a directory can be flushed).
  try {
    const dir = await Deno.open(dirname(path), { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // not supported here: the file itself is flushed
  }
}

/**
 * Reads and checks a checkpoint.
 *
 * @param path The checkpoint file.
 * @returns The run's state.
 * @throws {CheckpointError} Naming the file and the fault: missing, truncated, damaged, another
 * format, a field missing or of the wrong kind.
 *
 * @example
 * ```ts
 * import { CheckpointError, readCheckpoint } from "@gan/mnist";
 *
 * try {
 *   const { train } = await readCheckpoint("runs/lite/checkpoint.ckpt");
 *   console.log(`step ${train.globalStep}`);
 * } catch (error) {
 *   if (error instanceof CheckpointError) console.error(error.message);
 * }
 * ```
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await readFileOr(path, (fault) => new CheckpointError("read", path, fault));
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CheckpointError("read", path, error.message, { cause: error });
    }
    throw error;
  }
}
