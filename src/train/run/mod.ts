/**
 * A training run with everything written down (Deno only): {@linkcode trainRun}, its options and
 * result, its settings, the run directory's layout and the records of its log.
 *
 * @example Two epochs of the lite preset, then the log's epoch lines
 * ```ts
 * import { readLogLine, RUN_LAYOUT, trainRun } from "./mod.ts";
 * import { join } from "node:path";
 *
 * const out = await Deno.makeTempDir();
 * await trainRun({ preset: "lite", epochs: 2, out });
 * const lines = (await Deno.readTextFile(join(out, RUN_LAYOUT.log))).split("\n");
 * for (const record of lines.map(readLogLine)) {
 *   if (record?.kind === "epoch") console.log(record.epoch, record.loss_d);
 * }
 * ```
 *
 * @module
 */

export { trainRun } from "./run.ts";
export {
  type GeneratorEvaluator,
  MAX_ROLLBACKS,
  type ResumeInfo,
  type RollbackInfo,
  type RunEvaluation,
  type TrainRunOptions,
  type TrainRunResult,
} from "./options.ts";
export type { RunSettings } from "./settings.ts";
export { RUN_LAYOUT, type RunLayout } from "./layout.ts";
export {
  type EpochRecord,
  type EvalRecord,
  type OtherRecord,
  readLogLine,
  type ResumeRecord,
  type RollbackRecord,
  type RunLogRecord,
  type StepRecord,
  type WarningRecord,
} from "./log.ts";
