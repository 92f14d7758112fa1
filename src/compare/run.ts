/**
 * A comparison (Deno only): variants of one preset trained from the same seed one after the
 * other, each into `D/<variant>/` as an ordinary run directory (`trainRun`, evaluated after
 * every epoch), with `compare.json` recording the shared settings and the finished variants, and
 * the report rewritten after every epoch. Running the same comparison again skips the finished
 * variants and resumes an interrupted one from its checkpoint.
 *
 * @module
 */

import { join } from "node:path";
import { RunDirectoryError } from "../errors.ts";
import type { PresetName } from "../models/presets.ts";
import type { EpochInfo, StepInfo } from "../train/options.ts";
import { RUN_LAYOUT } from "../train/run/layout.ts";
import type {
  GeneratorEvaluator,
  ResumeInfo,
  RunEvaluation,
  TrainRunOptions,
} from "../train/run/options.ts";
import { createRunModels } from "../train/run/models.ts";
import { findResumePoint } from "../train/run/resume.ts";
import { createGanStep } from "../train/step.ts";
import { trainRun } from "../train/run/run.ts";
import { resolveRunSettings, type RunSettings } from "../train/run/settings.ts";
import {
  type ComparisonSettings,
  type FinishedVariant,
  readManifest,
  settingsDifference,
  writeManifest,
} from "./manifest.ts";
import { type ComparisonReport, writeReport } from "./report.ts";
import type { Variant, VariantOptions } from "./variants.ts";

/** Options of {@linkcode compareRuns}. */
export interface CompareOptions {
  /** The comparison directory. */
  out: string;
  /** The variants, in the order they train. */
  variants: Variant[];
  /**
   * The preset every variant starts from.
   * @default {"lite"}
   */
  preset?: PresetName;
  /** Epochs of every variant; the preset's when absent. */
  epochs?: number;
  /**
   * The seed of every variant.
   * @default {0}
   */
  seed?: number;
  /** Train on the first N images (`null`: all); the preset's when absent. */
  dataLimit?: number | null;
  /**
   * Samples per evaluation (one after every epoch).
   * @default {2000}
   */
  evalSamples?: number;
  /** Start the comparison again: its variants' runs are replaced. */
  force?: boolean;
  /** Stops training (the variant in training keeps its checkpoint, to resume). */
  signal?: AbortSignal;
  /** The evaluator; the built-in one when absent. */
  evaluator?: GeneratorEvaluator;
  /** Called as each variant's turn comes. */
  onVariant?: (start: VariantStart) => void | Promise<void>;
  /** Called when a variant goes on from its checkpoint. */
  onResume?: (variant: Variant, from: ResumeInfo) => void | Promise<void>;
  /** Called after every step. */
  onStep?: (variant: Variant, info: StepInfo) => void | Promise<void>;
  /** Called after every epoch, with the epoch's evaluation. */
  onEpoch?: (
    variant: Variant,
    info: EpochInfo,
    evaluation: RunEvaluation | undefined,
  ) => void | Promise<void>;
}

/** A variant's turn. */
export interface VariantStart {
  /** The variant. */
  variant: Variant;
  /** Its place, from 1. */
  index: number;
  /** Variants in the comparison. */
  count: number;
  /** Its run directory. */
  dir: string;
  /** `"train"`: from the start; `"resume"`: from its run directory; `"skip"`: finished already. */
  how: "train" | "resume" | "skip";
}

/** What {@linkcode compareRuns} returns. */
export interface CompareResult {
  /** The comparison's settings. */
  settings: ComparisonSettings;
  /** The report as last written. */
  report: ComparisonReport;
  /** Whether the signal stopped it before every variant finished. */
  aborted: boolean;
}

/** A variant with its run's options and settings. */
interface Planned {
  variant: Variant;
  options: TrainRunOptions;
  settings: RunSettings;
}

/** The settings a variant's run must have, as one string (keys sorted). */
function signature(settings: Partial<RunSettings>): string {
  const { preset, faithful, training, data, evalEvery, evalSamples, average } = settings;
  const sorted = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sorted) : typeof x === "object" && x !== null
      ? Object.fromEntries(
        Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1).map(([k, v]) => [k, sorted(v)]),
      )
      : x;
  return JSON.stringify(
    sorted({ preset, faithful, training, data, evalEvery, evalSamples, average }),
  );
}

/** The variant's option that the resolved settings do not carry as given, in words. */
function unhonoured(
  options: VariantOptions,
  training: Record<string, unknown>,
): string | undefined {
  for (const [key, value] of Object.entries(options)) {
    if (JSON.stringify(training[key]) === JSON.stringify(value)) continue;
    return `trainRun resolved ${key} to ${JSON.stringify(training[key])}, not ${
      JSON.stringify(value)
    }`;
  }
  return undefined;
}

/** Each variant's run options and settings, checked before anything trains. */
function plan(options: CompareOptions): { planned: Planned[]; settings: ComparisonSettings } {
  if (options.variants.length === 0) throw new RangeError("compareRuns: no variants");
  const base: TrainRunOptions = {
    preset: options.preset ?? "lite",
    epochs: options.epochs,
    seed: options.seed ?? 0,
    dataLimit: options.dataLimit,
    evalEvery: 1,
    evalSamples: options.evalSamples ?? 2000,
    evaluator: options.evaluator,
  };
  const planned = options.variants.map((variant): Planned => {
    const runOptions: TrainRunOptions = { ...base, ...variant.options };
    let settings: RunSettings;
    try {
      settings = resolveRunSettings(runOptions);
    } catch (error) {
      throw new RangeError(`variant "${variant.name}": ${(error as Error).message}`);
    }
    const problem = unhonoured(
      variant.options,
      settings.training as unknown as Record<string, unknown>,
    );
    if (problem) throw new RangeError(`variant "${variant.name}": ${problem}`);
    return { variant, options: runOptions, settings };
  });
  const first = planned[0].settings;
  return {
    planned,
    settings: {
      preset: first.preset,
      seed: first.training.seed,
      epochs: first.training.epochs,
      limit: first.data.limit,
      evalSamples: first.evalSamples,
      variants: options.variants.map((v) => v.name),
    },
  };
}

/**
 * A comparison's shared settings, resolved, after checking every variant's run settings: what
 * {@linkcode compareRuns} checks first, for a caller that wants the faults before anything else.
 *
 * @param options The comparison's options (callbacks unused).
 * @returns The settings `compare.json` records.
 * @throws {RangeError} If a variant's settings do not check, naming the variant.
 *
 * @example
 * ```ts
 * import { comparisonSettings } from "./run.ts";
 * import { parseVariants } from "./variants.ts";
 *
 * const settings = comparisonSettings({ out: "runs/c", variants: parseVariants("ns,ns+sn") });
 * console.log(settings.preset, settings.epochs); // lite 20
 * ```
 */
export function comparisonSettings(options: CompareOptions): ComparisonSettings {
  return plan(options).settings;
}

/**
 * Builds each variant's models and training step once and lets them go, so that a step that
 * refuses its models (a gradient penalty on a D with BatchNorm) is named before anything trains.
 */
function checkSteps(planned: Planned[]): void {
  for (const p of planned) {
    const models = createRunModels(p.settings);
    try {
      createGanStep(models.generator, models.discriminator, p.settings.training).dispose();
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new RangeError(`variant "${p.variant.name}": ${error.message}`);
    } finally {
      models.generator.dispose();
      models.discriminator.dispose();
      models.averaged?.dispose();
      models.average?.dispose();
    }
  }
}

/** The finished variants so far; refuses a directory that holds something else. */
async function checkDirectory(
  out: string,
  settings: ComparisonSettings,
  force: boolean,
): Promise<Record<string, FinishedVariant>> {
  if (force) return {};
  const recorded = await readManifest(out);
  if (recorded) {
    const difference = settingsDifference(recorded.settings, settings);
    if (difference) {
      throw new RunDirectoryError(
        out,
        `it holds a comparison with other settings (${difference}): run it as it was, ` +
          `give --force / { force: true } to start it again, or choose another directory`,
      );
    }
    return recorded.finished;
  }
  try {
    for await (const _ of Deno.readDir(out)) {
      throw new RunDirectoryError(
        out,
        "exists, is not empty and holds no comparison (choose another directory, or --force / { force: true })",
      );
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return {};
}

/**
 * How a variant's run goes: from its run directory when that holds this very run, else from the
 * start (replacing what an earlier comparison left there).
 */
async function startOf(dir: string, planned: Planned, force: boolean): Promise<"train" | "resume"> {
  if (force) return "train";
  let recorded: Partial<RunSettings> | undefined;
  try {
    recorded = JSON.parse(await Deno.readTextFile(join(dir, RUN_LAYOUT.config))).settings;
  } catch {
    return "train"; // no config.json: the run never got going
  }
  const expected = signature(planned.settings);
  if (recorded === undefined || signature(recorded) !== expected) return "train";
  // What resuming will train with must be what this variant asks for.
  const point = await findResumePoint(dir);
  const resumed = resolveRunSettings({
    ...point.options,
    epochs: planned.settings.training.epochs,
  });
  if (signature(resumed) !== expected) {
    throw new RunDirectoryError(
      dir,
      `cannot resume variant ${planned.variant.name}: ${point.source} reads back with other ` +
        `settings than config.json (give --force to train it again)`,
    );
  }
  return "resume";
}

/**
 * Trains a comparison: each variant in turn from the same seed, evaluated after every epoch, into
 * `out/<variant>/`, then writes the report. Everything is checked before anything trains.
 *
 * @param options The directory, the variants, the shared settings and the callbacks.
 * @returns The settings, the report, and whether the signal stopped it.
 * @throws {RangeError} If a variant's settings do not check (naming the variant).
 * @throws {RunDirectoryError} If `out` holds a comparison with other settings, or other files
 * (without `force`).
 *
 * @example Two variants of the tutorial preset, one epoch each
 * ```ts
 * import { compareRuns } from "./run.ts";
 * import { parseVariants } from "./variants.ts";
 *
 * const { report } = await compareRuns({
 *   out: await Deno.makeTempDir(),
 *   variants: parseVariants("ns,ns+sn"),
 *   preset: "tutorial",
 *   epochs: 1,
 *   dataLimit: 128,
 *   evalSamples: 100,
 * });
 * console.log(report.html); // …/report.html
 * ```
 */
export async function compareRuns(options: CompareOptions): Promise<CompareResult> {
  const { out } = options;
  const force = options.force ?? false;
  const { planned, settings } = plan(options);
  const finished = await checkDirectory(out, settings, force);
  checkSteps(planned.filter((p) => !finished[p.variant.name]));
  const starts = new Map<string, "train" | "resume">();
  for (const p of planned) {
    if (!finished[p.variant.name]) {
      starts.set(p.variant.name, await startOf(join(out, p.variant.dir), p, force));
    }
  }
  await writeManifest(out, settings, finished);
  let report = await writeReport(out);
  for (const [i, p] of planned.entries()) {
    const dir = join(out, p.variant.dir);
    const how = starts.get(p.variant.name) ?? "skip";
    await options.onVariant?.({
      variant: p.variant,
      index: i + 1,
      count: planned.length,
      dir,
      how,
    });
    if (how === "skip") continue;
    const outcome = await trainVariant(p, dir, how, options);
    if (outcome === "aborted") return { settings, report: await writeReport(out), aborted: true };
    finished[p.variant.name] = outcome;
    await writeManifest(out, settings, finished);
    report = await writeReport(out);
  }
  return { settings, report, aborted: false };
}

/** Trains one variant; what came of it, or `"aborted"` when the signal stopped it. */
async function trainVariant(
  p: Planned,
  dir: string,
  how: "train" | "resume",
  options: CompareOptions,
): Promise<FinishedVariant | "aborted"> {
  let evaluation: RunEvaluation | undefined;
  const run = await trainRun({
    ...p.options,
    out: dir,
    force: how === "train",
    resume: how === "resume",
    signal: options.signal,
    onStep: (info) => options.onStep?.(p.variant, info),
    onEvaluation: (e) => {
      evaluation = e;
    },
    onEpoch: async (info) => {
      await options.onEpoch?.(
        p.variant,
        info,
        evaluation?.epoch === info.epoch ? evaluation : undefined,
      );
      await writeReport(options.out);
    },
    onResume: (from) => options.onResume?.(p.variant, from),
  });
  run.generator.dispose();
  run.averaged?.dispose();
  run.discriminator.dispose();
  if (options.signal?.aborted) return "aborted";
  return { epochs: run.result.epochs, stoppedBy: run.stoppedBy };
}
