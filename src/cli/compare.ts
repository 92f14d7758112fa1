/**
 * `compare`: train variants of one preset (losses, penalties, augmentation) from the same seed,
 * one after the other, and write a report that compares them: `report.html` and `report.svg`.
 *
 * @module
 */

import { join } from "node:path";
import { BACKEND_CHOICES, selectBackend } from "../backend/select.ts";
import { COMPARE_LAYOUT } from "../compare/layout.ts";
import { writeReport } from "../compare/report.ts";
import { type CompareOptions, compareRuns, comparisonSettings } from "../compare/run.ts";
import type { EpochPoint } from "../compare/summary.ts";
import { parseVariants, type Variant, VARIANT_SYNTAX } from "../compare/variants.ts";
import { PRESET_NAMES, type PresetName } from "../models/presets.ts";
import type { EpochInfo } from "../train/options.ts";
import type { RunEvaluation } from "../train/run/options.ts";
import {
  choiceFlag,
  type Flags,
  intFlag,
  parseFlags,
  requiredStringFlag,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagDefault, flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";
import { epochLine, formatDuration, Progress } from "./progress.ts";

/**
 * `compare`'s flags, in the order `compare --help` lists them.
 *
 * @example
 * ```ts ignore
 * COMPARE_FLAGS.variants.default; // "ns,hinge,ls,wgan-gp"
 * ```
 */
export const COMPARE_FLAGS: FlagTable = {
  preset: {
    type: "string",
    value: "NAME",
    help: [PRESET_NAMES.join(" | "), "the preset every variant starts from   (default: $default)"],
    default: "lite",
  },
  variants: {
    type: "string",
    value: "LIST",
    help: [
      "the variants, comma-separated, each a loss and modifiers joined by +:",
      "ns | hinge | ls | wgan-gp, then gp=λ (wgan-gp), dsteps=N, gsteps=N,",
      "r1=γ, r1every=K, augment=translation/cutout/color, ada (with augment),",
      "sn (spectral norm); e.g. ns,ns+r1=10,wgan-gp+gp=5+dsteps=5",
      "(default: $default)",
    ],
    default: "ns,hinge,ls,wgan-gp",
  },
  epochs: {
    type: "string",
    value: "N",
    help: ["epochs of every variant"],
    presetDefault: (preset) => preset.training.epochs,
  },
  seed: {
    type: "string",
    value: "N",
    help: ["the seed of every variant                      (default: $default)"],
    default: 0,
  },
  limit: {
    type: "string",
    value: "N",
    help: ["train on the first N images"],
    presetDefault: (preset) => preset.training.dataLimit ?? "all",
  },
  "eval-samples": {
    type: "string",
    value: "N",
    help: ["samples per evaluation (one after every epoch)  (default: 2000)"],
  },
  out: {
    type: "string",
    value: "DIR",
    help: ["the comparison directory        (default: runs/compare-PRESET-sSEED)"],
  },
  force: {
    type: "boolean",
    help: ["start the comparison in --out again (its variants' runs are replaced)"],
  },
  "report-only": {
    type: "boolean",
    help: ["rebuild report.html and report.svg of --out DIR; train nothing"],
  },
  backend: {
    type: "string",
    value: "NAME",
    help: ["auto | webgpu | wasm | cpu                      (default: $default)"],
    default: "auto",
  },
  threads: {
    type: "string",
    value: "N",
    help: ["1 | 2: threads of our wasm kernels (default: 2 with 2 cores or more)"],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const COMPARE_HELP = `Usage: cli.ts compare [options]

Train variants of one preset from the same seed, one after the other, each into
OUT/<variant>/ as an ordinary run directory (evaluated after every epoch), and write
OUT/report.html and OUT/report.svg: FID, coverage, D(x) and D(G(z)) per epoch for every
variant, the final numbers in a table, and each variant's last sample grid. The report is
rewritten after every epoch. Run the same command again after Ctrl-C or a crash: finished
variants are skipped, the interrupted one resumes from its checkpoint.

A variant: ${VARIANT_SYNTAX}.

Options:
${optionsHelp(COMPARE_FLAGS)}

Examples:
  cli.ts compare --preset lite --variants ns,hinge,ls,wgan-gp --epochs 10 --seed 1 --out runs/losses
  cli.ts compare --variants ns,ns+r1=10,ns+augment=translation/cutout --out runs/r1
  cli.ts compare --report-only --out runs/losses
  cli.ts serve --compare runs/losses              (then open http://127.0.0.1:8000/compare/)
`;

/** The comparison's options from the flags, each checked (the variants included). */
function compareRequest(flags: Flags): CompareOptions {
  let variants: Variant[];
  try {
    variants = parseVariants(
      stringFlag(flags, "variants") ?? flagDefault(COMPARE_FLAGS, "variants"),
    );
  } catch (error) {
    throw new UsageError(`--variants: ${(error as Error).message}`);
  }
  const preset = choiceFlag(flags, "preset", PRESET_NAMES) ??
    flagDefault<PresetName>(COMPARE_FLAGS, "preset");
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1) ?? flagDefault<number>(COMPARE_FLAGS, "seed");
  return {
    out: stringFlag(flags, "out") ?? `runs/compare-${preset}-s${seed}`,
    variants,
    preset,
    seed,
    epochs: intFlag(flags, "epochs", 1, 100_000),
    dataLimit: intFlag(flags, "limit"),
    evalSamples: intFlag(flags, "eval-samples", 10, 100_000),
    force: flags.force === true,
  };
}

/** `--report-only`: only `--out` goes with it. */
async function reportOnly(flags: Flags): Promise<number> {
  const other = Object.keys(flags).find((name) => name !== "report-only" && name !== "out");
  if (other !== undefined) {
    throw new UsageError(
      `--${other}: --report-only rebuilds the report of --out DIR and takes nothing else`,
    );
  }
  const out = requiredStringFlag(flags, "out", "compare");
  requirePermission({ name: "read" }, "--allow-read");
  requirePermission({ name: "write", path: out }, `--allow-write (or --allow-write=${out})`);
  const report = await writeReport(out);
  const done = report.variants.filter((v) => v.state === "finished" || v.state === "stopped");
  console.log(
    `report: ${report.html} and ${report.svg} (${done.length} of ${report.variants.length} variants finished)`,
  );
  return 0;
}

/** A variant's epoch line: the run's epoch line, then its evaluation. */
function variantEpochLine(
  variant: Variant,
  place: string,
  info: EpochInfo,
  e: RunEvaluation | undefined,
): string {
  const quality = e
    ? ` FID ${e.fid.toFixed(2)} coverage ${e.coverage}/10` +
      (Number.isNaN(e.precision)
        ? ""
        : ` precision ${e.precision.toFixed(2)} recall ${e.recall.toFixed(2)}`)
    : "";
  return `[${variant.name} ${place}]${epochLine(info)}${quality}`;
}

/** A variant's last line in the summary: its final numbers. */
function finalLine(
  name: string,
  state: string,
  last: EpochPoint | undefined,
  seconds: number,
): string {
  const numbers = last
    ? `FID ${last.fid.toFixed(2)}, coverage ${last.coverage}/10, D(x) ${last.dReal.toFixed(2)}, ` +
      `D(G(z)) ${last.dFake.toFixed(2)}, ${formatDuration(seconds)}`
    : "no epoch yet";
  return `  ${name}: ${state === "stopped" ? "stopped early, " : ""}${numbers}`;
}

/**
 * Runs `compare`.
 *
 * @param args The arguments after `compare`.
 * @returns The exit code: 0 done, 130 stopped by Ctrl-C, 2 bad input.
 */
export async function compareCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(COMPARE_FLAGS), "compare");
  if (flags.help) {
    console.log(COMPARE_HELP);
    return 0;
  }
  if (flags["report-only"]) return await reportOnly(flags);
  const request = compareRequest(flags);
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ??
    flagDefault<(typeof BACKEND_CHOICES)[number]>(COMPARE_FLAGS, "backend");
  const threads = intFlag(flags, "threads", 1, 2) as 1 | 2 | undefined;
  requirePermission({ name: "read" }, "--allow-read");
  requirePermission(
    { name: "write", path: request.out },
    `--allow-write (or --allow-write=${request.out})`,
  );
  const settings = comparisonSettings(request);
  const backend = await selectBackend(backendChoice, { threads });
  for (const notice of backend.notices) console.log(`notice: ${notice}`);
  console.log(`backend: ${backend.description}`);
  const images = settings.limit === null ? "all" : `the first ${settings.limit}`;
  console.log(
    `comparing ${settings.variants.length} variants of ${settings.preset}: ${settings.epochs} epochs each, ` +
      `${images} images, seed ${settings.seed}, ${settings.evalSamples} samples per evaluation, writing ${request.out}`,
  );
  const progress = new Progress();
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    progress.message("interrupted: stopping after this step (press Ctrl-C again to quit at once)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const started = performance.now();
  try {
    let place = "";
    const result = await compareRuns({
      ...request,
      signal: controller.signal,
      onVariant: ({ variant, index, count, dir, how }) => {
        place = `${index}/${count}`;
        progress.message(
          how === "skip"
            ? `variant ${place} ${variant.name}: finished already in ${dir}, skipped`
            : `variant ${place} ${variant.name}: ${
              how === "resume" ? "going on in" : "training into"
            } ${dir}`,
        );
      },
      onResume: (variant, from) =>
        progress.message(
          from.backend === null
            ? `[${variant.name} ${place}] stopped before its first checkpoint: it starts again`
            : `[${variant.name} ${place}] resuming from epoch ${from.epoch}, step ${from.step}`,
        ),
      onStep: (_, info) => progress.step(info),
      onEpoch: (variant, info, e) => progress.message(variantEpochLine(variant, place, info, e)),
    });
    progress.done();
    const when = formatDuration((performance.now() - started) / 1000);
    const html = join(request.out, COMPARE_LAYOUT.reportHtml);
    if (result.aborted) {
      console.log(
        `stopped after ${when}; the report so far is in ${html}; run the same command again to go on`,
      );
      return 130;
    }
    console.log(
      `done in ${when}: the report is in ${html} (cli.ts serve --compare ${request.out} shows it)`,
    );
    for (const v of result.report.variants) {
      console.log(
        finalLine(v.name, v.state, v.points.findLast((p) => Number.isFinite(p.fid)), v.seconds),
      );
    }
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}
