/**
 * The run's log, `log.jsonl`: one JSON record a line, of six kinds. The run writes them
 * (`log_file.ts`); the live view and the follower read them back with {@linkcode readLogLine}.
 * Field names are snake_case, as in the file.
 *
 * @module
 */

import type { Evaluation } from "../../eval/evaluate.ts";

/** The mean of the steps since the last step record (every `logEvery` steps, and the last). */
export interface StepRecord {
  /** The kind. */
  kind: "step";
  /** The epoch, from 1. */
  epoch: number;
  /** The step within the epoch, from 1. */
  step: number;
  /** Steps since the start of the run. */
  global_step: number;
  /** Discriminator loss (5 significant digits). */
  loss_d: number;
  /** Generator loss. */
  loss_g: number;
  /** D(x). */
  d_x: number;
  /** D(G(z)). */
  d_g_z: number;
  /** Milliseconds per step (4 significant digits). */
  ms_per_step: number;
  /** Seconds of training so far, over all the run's sessions. */
  seconds: number;
  /** With augmentation: the probability of each augmentation after these steps (ADA moves it). */
  augment_p?: number;
}

/** A finished epoch's means. */
export interface EpochRecord {
  /** The kind. */
  kind: "epoch";
  /** The epoch, from 1. */
  epoch: number;
  /** Steps in the epoch. */
  steps: number;
  /** Mean discriminator loss. */
  loss_d: number;
  /** Mean generator loss. */
  loss_g: number;
  /** Mean D(x). */
  d_x: number;
  /** Mean D(G(z)). */
  d_g_z: number;
  /** Wall time of the epoch. */
  seconds: number;
  /** tf.js tensors alive after the epoch (flat when nothing leaks). */
  num_tensors: number;
}

/** An evaluation after an epoch. */
export interface EvalRecord
  extends Pick<Evaluation, "fid" | "is" | "coverage" | "precision" | "recall" | "confidence"> {
  /** The kind. */
  kind: "eval";
  /** The epoch after which it ran. */
  epoch: number;
  /** Steps since the start of the run. */
  global_step: number;
  /** Samples judged (`Evaluation.count`). */
  samples: number;
  /** Share of each class among the samples (`Evaluation.classShare`). */
  class_share: number[];
  /** The real-vs-real FID at `samples` (`Evaluation.fidFloor`); absent from older logs. */
  fid_floor?: number;
  /** KID (`Evaluation.kid`); absent from older logs and custom evaluators'. */
  kid?: number;
  /** The spread of KID's subsets (`Evaluation.kidStd`). */
  kid_std?: number;
}

/** A health warning. */
export interface WarningRecord {
  /** The kind. */
  kind: "warning";
  /** The issue (a `HealthIssue` when the run wrote it). */
  issue: string;
  /** The epoch. */
  epoch: number;
  /** Steps since the start of the run. */
  global_step: number;
  /** The warning, in words. */
  message: string;
}

/** Where a resumed session went on from. */
export interface ResumeRecord {
  /** The kind. */
  kind: "resume";
  /** The checkpoint's epoch. */
  epoch: number;
  /** Steps of that epoch done. */
  step: number;
  /** Steps since the start of the run. */
  global_step: number;
  /** The backend this session trains on. */
  backend: string;
}

/** A rollback after a non-finite value. */
export interface RollbackRecord {
  /** The kind. */
  kind: "rollback";
  /** The step where the value was found. */
  from_step: number;
  /** The step gone back to (0: the start). */
  to_step: number;
  /** The learning rate from now on. */
  learning_rate: number;
  /** Rollbacks so far. */
  rollbacks: number;
}

/**
 * One line of `log.jsonl`.
 *
 * @example The mean losses of a run's epochs
 * ```ts
 * import { readLogLine } from "@gan/mnist";
 *
 * const lines = (await Deno.readTextFile("runs/lite/log.jsonl")).split("\n");
 * for (const record of lines.map(readLogLine)) {
 *   if (record?.kind === "epoch") console.log(record.epoch, record.loss_d, record.loss_g);
 * }
 * ```
 */
export type RunLogRecord =
  | StepRecord
  | EpochRecord
  | EvalRecord
  | WarningRecord
  | ResumeRecord
  | RollbackRecord;

/** A line that is a JSON object of no kind above (another version's, say). */
export interface OtherRecord {
  /** The kind. */
  kind: "other";
}

/**
 * Reads one line of `log.jsonl`, leniently: a number field that is missing or not a number
 * reads 0, a missing warning issue `"warning"`, a missing message or backend `""`.
 *
 * @param line The line, without its newline.
 * @returns The record; `{ kind: "other" }` for an object of another kind; `undefined` for a line
 * that is not a JSON object.
 *
 * @example
 * ```ts
 * import { readLogLine } from "@gan/mnist";
 *
 * console.log(readLogLine('{"kind":"epoch","epoch":2,"steps":156}')?.kind); // epoch
 * console.log(readLogLine("not json")); // undefined
 * ```
 */
export function readLogLine(line: string): RunLogRecord | OtherRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return readLogRecord(value as Record<string, unknown>);
}

/** A parsed line as a record, each field read as {@linkcode readLogLine} says. */
function readLogRecord(record: Record<string, unknown>): RunLogRecord | OtherRecord {
  const n = (key: string) => (typeof record[key] === "number" ? record[key] as number : 0);
  switch (record.kind) {
    case "step":
      return {
        kind: "step",
        epoch: n("epoch"),
        step: n("step"),
        global_step: n("global_step"),
        loss_d: n("loss_d"),
        loss_g: n("loss_g"),
        d_x: n("d_x"),
        d_g_z: n("d_g_z"),
        ms_per_step: n("ms_per_step"),
        seconds: n("seconds"),
        ...(typeof record.augment_p === "number" ? { augment_p: record.augment_p } : {}),
      };
    case "epoch":
      return {
        kind: "epoch",
        epoch: n("epoch"),
        steps: n("steps"),
        loss_d: n("loss_d"),
        loss_g: n("loss_g"),
        d_x: n("d_x"),
        d_g_z: n("d_g_z"),
        seconds: n("seconds"),
        num_tensors: n("num_tensors"),
      };
    case "eval":
      return {
        kind: "eval",
        epoch: n("epoch"),
        global_step: n("global_step"),
        samples: n("samples"),
        fid: n("fid"),
        is: n("is"),
        coverage: n("coverage"),
        precision: n("precision"),
        recall: n("recall"),
        confidence: n("confidence"),
        class_share: Array.isArray(record.class_share) ? record.class_share as number[] : [],
        ...Object.fromEntries(
          ["fid_floor", "kid", "kid_std"].filter((key) => typeof record[key] === "number")
            .map((key) => [key, record[key]]),
        ),
      };
    case "warning":
      return {
        kind: "warning",
        issue: String(record.issue ?? "warning"),
        epoch: n("epoch"),
        global_step: n("global_step"),
        message: String(record.message ?? ""),
      };
    case "resume":
      return {
        kind: "resume",
        epoch: n("epoch"),
        step: n("step"),
        global_step: n("global_step"),
        backend: String(record.backend ?? ""),
      };
    case "rollback":
      return {
        kind: "rollback",
        from_step: n("from_step"),
        to_step: n("to_step"),
        learning_rate: n("learning_rate"),
        rollbacks: n("rollbacks"),
      };
    default:
      return { kind: "other" };
  }
}

/**
 * A number as the log writes it: `digits` significant digits.
 *
 * @param x The number.
 * @param digits Significant digits.
 * @returns The rounded number.
 */
export const roundForLog = (x: number, digits = 5): number => Number(x.toPrecision(digits));
