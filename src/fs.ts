/**
 * File helpers shared by the data, model and run-directory code (Deno only): reading with errors
 * that name the file, and atomic writes so that nothing already saved is ever left half-written.
 *
 * @module
 */

/**
 * Describes a failed file-system call in a few words, e.g. `no such file`.
 *
 * @param error What `Deno.*` threw.
 * @returns A short fault description.
 */
export function describeFsError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (run Deno with --allow-read/--allow-write for it)";
  }
  if (error instanceof Deno.errors.IsADirectory) return "is a directory, expected a file";
  if (error instanceof Deno.errors.NotADirectory) return "a part of the path is not a directory";
  if (error instanceof Deno.errors.AlreadyExists) return "already exists";
  const code = (error as { code?: string }).code;
  if (code === "ENOSPC") return "no space left on device";
  if (code === "EROFS") return "read-only file system";
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * Reads a whole file, turning file-system errors into `makeError(fault)`.
 *
 * @param path The file.
 * @param makeError Builds the error to throw from a fault description.
 * @returns The file's bytes.
 */
export async function readFileOr(
  path: string,
  makeError: (fault: string) => Error,
): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw makeError(describeFsError(error));
  }
}

let tempCounter = 0;

/**
 * Writes a file atomically: the bytes go to a temporary file beside it, which is flushed to disk
 * and then renamed over `path`. A crash or a full disk leaves the old file as it was.
 *
 * @param path The file to write.
 * @param bytes The contents.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${Deno.pid}-${tempCounter++}.tmp`;
  try {
    const file = await Deno.open(temp, { write: true, create: true, truncate: true });
    try {
      // In pieces of 1 MiB: a large write is copied whole into native memory, whose allocator
      // keeps the pages (a checkpoint every few hundred steps grew the process by megabytes).
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written, written + (1 << 20)));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Whether `path` is an existing directory.
 *
 * @param path The path to test.
 * @returns `true` for a directory, `false` for anything else or nothing.
 */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
