/**
 * What a comparison's report shows of each variant (Deno only), read from its run directory:
 * the per-epoch means and evaluations of `log.jsonl`, the settings of `config.json`, the last
 * sample grid, and how far it got.
 *
 * @module
 */

import { join } from "node:path";
import { readLogLine } from "../train/run/log.ts";
import { RUN_LAYOUT } from "../train/run/layout.ts";
import type { ComparisonManifest } from "./manifest.ts";
import type { Variant } from "./variants.ts";

/** One epoch of a variant: the epoch's means and, when it was evaluated, the metrics. */
export interface EpochPoint {
  /** The epoch, from 1. */
  epoch: number;
  /** Mean D(x) (σ of D for `ns`, D's raw output for the other losses). */
  dReal: number;
  /** Mean D(G(z)), likewise. */
  dFake: number;
  /** Mean discriminator loss. */
  lossD: number;
  /** Mean generator loss. */
  lossG: number;
  /** FID after the epoch (NaN: not evaluated). */
  fid: number;
  /** KID after the epoch, where the log has it (NaN: not). */
  kid: number;
  /** The real-vs-real FID floor at the evaluation's n, where the log has it (NaN: not). */
  fidFloor: number;
  /** Classes holding at least 5% of the samples (NaN: not evaluated). */
  coverage: number;
  /** k-NN precision (NaN: not evaluated or not measured). */
  precision: number;
  /** k-NN recall. */
  recall: number;
  /** Samples the evaluation judged (0: none). */
  samples: number;
}

/** How far a variant got. */
export type VariantState = "not started" | "training" | "finished" | "stopped";

/** A variant as the report shows it. */
export interface VariantSummary {
  /** The variant's canonical name. */
  name: string;
  /** Its run directory's name in the comparison. */
  dir: string;
  /** How far it got. */
  state: VariantState;
  /** What stopped it early (state `"stopped"`). */
  stoppedBy: string | null;
  /** The run's training settings from `config.json` (null before it has one). */
  training: Record<string, unknown> | null;
  /** The images' shape, `[height, width, channels]` (null before `config.json`). */
  imageShape: number[] | null;
  /** Its epochs, in order (the last record of an epoch counts). */
  points: EpochPoint[];
  /** The last epoch's sample grid, relative to the comparison directory; null if none yet. */
  lastGrid: string | null;
  /** Seconds of training: the epochs' wall times summed (evaluations not counted); NaN if none. */
  seconds: number;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/**
 * The epochs of a run's `log.jsonl`, each with its evaluation, and the seconds of training (the
 * epochs' wall times summed; an epoch resumed after an interruption counts from where it went on).
 *
 * @param text The log.
 * @returns The epochs in order (NaN metrics where an epoch was not evaluated), and the seconds.
 *
 * @example
 * ```ts
 * import { logPoints } from "./summary.ts";
 *
 * const log = [
 *   '{"kind":"eval","epoch":1,"fid":80,"coverage":9,"samples":500}',
 *   '{"kind":"epoch","epoch":1,"d_x":0.7,"d_g_z":0.3}',
 * ].join("\n");
 * console.log(logPoints(log).points[0].fid); // 80
 * ```
 */
export function logPoints(text: string): { points: EpochPoint[]; seconds: number } {
  const epochs = new Map<number, EpochPoint>();
  const evals = new Map<number, Partial<EpochPoint>>();
  const epochSeconds = new Map<number, number>();
  for (const line of text.split("\n")) {
    const record = readLogLine(line);
    if (record?.kind === "epoch") {
      epochSeconds.set(record.epoch, record.seconds);
      epochs.set(record.epoch, {
        epoch: record.epoch,
        dReal: record.d_x,
        dFake: record.d_g_z,
        lossD: record.loss_d,
        lossG: record.loss_g,
        fid: NaN,
        kid: NaN,
        fidFloor: NaN,
        coverage: NaN,
        precision: NaN,
        recall: NaN,
        samples: 0,
      });
    }
    if (record?.kind === "eval") {
      evals.set(record.epoch, {
        fid: record.fid,
        kid: record.kid ?? NaN,
        fidFloor: record.fid_floor ?? NaN,
        coverage: record.coverage,
        precision: record.precision,
        recall: record.recall,
        samples: record.samples,
      });
    }
  }
  const points = [...epochs.values()].sort((a, b) => a.epoch - b.epoch)
    .map((p) => ({ ...p, ...evals.get(p.epoch) }));
  const seconds = epochs.size === 0 ? NaN : [...epochSeconds.values()].reduce((a, b) => a + b, 0);
  return { points, seconds };
}

/**
 * Reads what the report shows of one variant.
 *
 * @param dir The comparison directory.
 * @param variant The variant.
 * @param manifest The comparison's manifest (which variants are finished).
 * @returns The summary; a variant not started yet has no points.
 *
 * @example
 * ```ts ignore
 * const summary = await readVariant("runs/compare", parseVariant("ns"), manifest);
 * console.log(summary.points.at(-1)?.fid);
 * ```
 */
export async function readVariant(
  dir: string,
  variant: Variant,
  manifest: ComparisonManifest | undefined,
): Promise<VariantSummary> {
  const runDir = join(dir, variant.dir);
  const configText = await readText(join(runDir, RUN_LAYOUT.config));
  let config: { settings?: Record<string, unknown> } | undefined;
  try {
    config = configText === undefined ? undefined : JSON.parse(configText);
  } catch {
    config = undefined;
  }
  const settings = config?.settings;
  const training = (settings?.training ?? null) as Record<string, unknown> | null;
  const shape = (settings?.generator as { imageShape?: unknown } | undefined)?.imageShape;
  const { points, seconds } = logPoints(await readText(join(runDir, RUN_LAYOUT.log)) ?? "");
  const last = points.at(-1)?.epoch;
  const grid = last === undefined ? null : RUN_LAYOUT.epochGridPath(last);
  const gridThere = grid !== null &&
    await Deno.stat(join(runDir, grid)).then((info) => info.isFile, () => false);
  const finished = manifest?.finished[variant.name];
  const state: VariantState = finished
    ? (finished.stoppedBy ? "stopped" : "finished")
    : config
    ? "training"
    : "not started";
  return {
    name: variant.name,
    dir: variant.dir,
    state,
    stoppedBy: finished?.stoppedBy ?? null,
    training,
    imageShape: Array.isArray(shape) ? shape as number[] : null,
    points,
    lastGrid: gridThere ? `${variant.dir}/${grid}` : null,
    seconds,
  };
}
