/**
 * How the CLI reports failures: one line, no stack trace, exit code 2 for bad input of any kind
 * (flags, files, directories), 1 for anything unexpected.
 *
 * @module
 */

import { BackendUnavailableError } from "../backend/select.ts";
import { CheckpointError, DataFileError, ModelFileError, RunDirectoryError } from "../errors.ts";

/** A bad command line: an unknown flag, a bad value, a missing argument. */
export class UsageError extends Error {
  /**
   * @param message One line naming the flag and the fault.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit code for bad input: flags, files, directories. */
export const EXIT_BAD_INPUT = 2;
/** Exit code for an unexpected failure. */
export const EXIT_FAILURE = 1;

/**
 * Prints an error as one line on stderr and returns the exit code for it.
 *
 * @param error What was thrown.
 * @returns The process exit code.
 */
export function reportError(error: unknown): number {
  const expected = error instanceof UsageError || error instanceof DataFileError ||
    error instanceof ModelFileError || error instanceof RunDirectoryError ||
    error instanceof CheckpointError ||
    error instanceof BackendUnavailableError || error instanceof RangeError;
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split("\n")[0];
  if (expected) {
    console.error(`error: ${line}`);
    return EXIT_BAD_INPUT;
  }
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    console.error(`error: ${line} (see docs/cli.md#permissions for the flags each command needs)`);
    return EXIT_BAD_INPUT;
  }
  console.error(`error: ${line}`);
  if (debugEnabled()) console.error(error);
  else console.error("(an unexpected error; set GAN_DEBUG=1 to see where it came from)");
  return EXIT_FAILURE;
}

/** Whether `GAN_DEBUG` is set, asked only if Deno may read it (without a prompt). */
function debugEnabled(): boolean {
  const descriptor = { name: "env", variable: "GAN_DEBUG" } as const;
  return Deno.permissions.querySync(descriptor).state === "granted" && !!Deno.env.get("GAN_DEBUG");
}
