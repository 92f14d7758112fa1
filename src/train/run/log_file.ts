/**
 * The writer of `log.jsonl` (Deno only): appends typed records, one write per line, and cuts
 * the file back to a checkpoint's length when a run resumes.
 *
 * @module
 */

import type { RunLogRecord } from "./log.ts";

/**
 * Appends records to `log.jsonl`, one write per line.
 *
 * @example
 * ```ts
 * import { RunLog } from "./log_file.ts";
 * import { join } from "node:path";
 *
 * const log = await RunLog.open(join(await Deno.makeTempDir(), "log.jsonl"));
 * await log.write({ kind: "rollback", from_step: 90, to_step: 50, learning_rate: 1e-4, rollbacks: 1 });
 * log.close();
 * ```
 */
export class RunLog {
  #file: Deno.FsFile;
  #encoder = new TextEncoder();
  /** Bytes in the file. */
  bytes: number;
  private constructor(file: Deno.FsFile, bytes: number) {
    this.#file = file;
    this.bytes = bytes;
  }
  /**
   * Opens the log empty, or (resuming) cut to the first `keep` bytes, where a checkpoint was.
   *
   * @param path The log file.
   * @param keep Bytes to keep.
   * @returns The log, positioned at its end.
   */
  static async open(path: string, keep = 0): Promise<RunLog> {
    const file = await Deno.open(path, { create: true, write: true, truncate: keep === 0 });
    await file.truncate(keep);
    await file.seek(keep, Deno.SeekMode.Start);
    return new RunLog(file, keep);
  }
  /**
   * Appends one record as a line.
   *
   * @param record The record.
   */
  async write(record: RunLogRecord): Promise<void> {
    const bytes = this.#encoder.encode(JSON.stringify(record) + "\n");
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
    this.bytes += bytes.length;
  }
  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}
