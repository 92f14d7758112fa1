/**
 * Following a run that another process writes: its `config.json` once, then the new lines of
 * its `log.jsonl` every second, fed to a {@linkcode LiveTraining} hub (which cannot pause or stop
 * that process).
 *
 * @module
 */

import { join } from "node:path";
import { RUN_LAYOUT } from "../train/run/layout.ts";
import { readLogLine } from "../train/run/log.ts";
import type { LiveTraining } from "./live.ts";

/** Bytes read from the log per poll at most, so that a huge log arrives over several polls. */
const MAX_READ = 4 << 20;

/**
 * Feeds a run directory's log to a live hub as it grows.
 *
 * @example
 * ```ts
 * import { LiveTraining } from "./live.ts";
 * import { RunFollower } from "./follow.ts";
 *
 * const live = new LiveTraining({ controllable: false });
 * const follower = new RunFollower("runs/lite", live);
 * await follower.poll(); // reads what is there now
 * console.log(live.snapshot().progress.globalStep);
 * follower.stop();
 * ```
 */
export class RunFollower {
  #dir: string;
  #live: LiveTraining;
  #intervalMs: number;
  #offset = 0;
  #partial = "";
  #configRead = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #polling: Promise<void> | undefined;

  /**
   * @param dir The run directory.
   * @param live The hub to feed.
   * @param intervalMs Milliseconds between polls once started.
   */
  constructor(dir: string, live: LiveTraining, intervalMs = 1000) {
    this.#dir = dir;
    this.#live = live;
    this.#intervalMs = intervalMs;
  }

  /** Polls now and then every `intervalMs` until {@linkcode RunFollower.stop}. */
  start(): void {
    const tick = async () => {
      await this.poll();
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#stopped = false;
    tick();
  }

  /** Stops polling (waits for a poll in progress). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }

  /** Reads the config (once) and the lines the log gained since the last poll. */
  poll(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #poll(): Promise<void> {
    if (!this.#configRead) await this.#readConfig();
    let file: Deno.FsFile;
    try {
      file = await Deno.open(join(this.#dir, RUN_LAYOUT.log), { read: true });
    } catch {
      return; // not written yet
    }
    try {
      const size = (await file.stat()).size;
      if (size < this.#offset) return; // replaced by a forced run: the page shows the old one
      await file.seek(this.#offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(Math.min(size - this.#offset, MAX_READ));
      let read = 0;
      while (read < buffer.length) {
        const n = await file.read(buffer.subarray(read));
        if (n === null) break;
        read += n;
      }
      this.#offset += read;
      const text = this.#partial + new TextDecoder().decode(buffer.subarray(0, read));
      const lines = text.split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        const record = readLogLine(line);
        if (record) this.#live.ingest(record); // else not a log line: skipped
      }
    } finally {
      file.close();
    }
  }

  async #readConfig(): Promise<void> {
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(await Deno.readTextFile(join(this.#dir, RUN_LAYOUT.config)));
    } catch {
      return; // not written yet (or not ours): try again next poll
    }
    this.#configRead = true;
    const settings = (config?.settings ?? {}) as Record<string, unknown>;
    const training = (settings.training ?? {}) as Record<string, unknown>;
    const data = (config?.data ?? {}) as Record<string, unknown>;
    const epochs = Number(training.epochs);
    const batchSize = Number(training.batchSize);
    const count = Number(data.count);
    this.#live.start({
      preset: String(settings.preset ?? "?"),
      epochs: Number.isInteger(epochs) && epochs > 0 ? epochs : 0,
      stepsPerEpoch: batchSize > 0 && count > 0 ? Math.floor(count / batchSize) : undefined,
      out: this.#dir,
    });
  }
}
