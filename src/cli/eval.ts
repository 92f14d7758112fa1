/**
 * `eval`: judge images (an IDX file, or samples drawn from a trained generator) with the built-in
 * MNIST classifier (or, for 32×32 colour generators, the CIFAR-10 one): FID, Inception Score, class
 * coverage, precision and recall.
 *
 * @module
 */

import { BACKEND_CHOICES, type BackendSelection, selectBackend } from "../backend/select.ts";
import { IDX_IMAGES_MAGIC } from "../data/idx.ts";
import { readIdx } from "../data/idx_file.ts";
import { bytesToPixels, type ImageSet } from "../data/images.ts";
import { DataFileError, ModelFileError } from "../errors.ts";
import { CIFAR_CLASSES, loadCifar10 } from "../data/cifar.ts";
import { CIFAR_CLASSIFIER_INFO, CLASSIFIER_INFO } from "../eval/classifier_data.ts";
import { evaluate, type Evaluation } from "../eval/evaluate.ts";
import { loadModel } from "../io/model_files.ts";
import { generatorShape, sample } from "../sample/sample.ts";
import {
  choiceFlag,
  type FlagSpec,
  intFlag,
  parseFlags,
  requireDirectory,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { UsageError } from "./errors.ts";

/** The command's help text. */
export const EVAL_HELP = `Usage: cli.ts eval FILE.idx [options]
       cli.ts eval --model DIR [options]

Judge MNIST-like images with the built-in classifier (a small CNN, ${
  (CLASSIFIER_INFO.testAccuracy * 100).toFixed(2)
}% on the MNIST test
set): FID against the test set, Inception Score, class coverage and shares, confidence, and k-NN
precision and recall. For a conditional generator (cgan, cdcgan) the samples ask for the digits in
turn, and eval also says how many the classifier recognises as the digit asked for (label_accuracy).
A 32×32 colour generator (dcgan32) is judged by a CIFAR-10 classifier instead (${
  (CIFAR_CLASSIFIER_INFO.testAccuracy * 100).toFixed(1)
}% on CIFAR-10's
test set; its FID is in its own units, not Inception's): FID against the test set's shipped
statistics, IS, coverage and class shares; precision and recall need --data.

Arguments:
  FILE.idx           images as "sample --out FILE.idx" writes them: uint8 IDX, N×28×28, 0 = background
                     (.idx.gz too)

Options:
  --model DIR        draw the images from a trained generator instead: a run directory, a model
                     directory or a model.json
  --n N              images to draw from --model                          (default: 10000)
                     with FILE.idx: evaluate its first N                   (default: all)
  --seed N           seed of the noise for --model                         (default: 0)
  --k N              the neighbour of precision and recall                 (default: 3)
  --data DIR         for a colour generator: CIFAR-10's binary files; its test_batch.bin is the
                     reference of FID, precision and recall            (default: none; FID
                     against the shipped statistics, no precision and recall)
  --backend NAME     auto | webgpu | wasm | cpu                            (default: auto)
  --json             end with one JSON line: {"fid", "is", "coverage", "precision", "recall",
                     "confidence", "class_share", …; "label_accuracy" for conditional models}
  -h, --help         this help

Examples:
  cli.ts eval samples.idx
  cli.ts eval --model runs/lite --n 10000 --seed 2 --json
  cli.ts eval --model runs/cifar --data data/cifar10
`;

const FLAGS: Record<string, FlagSpec> = {
  model: { type: "string" },
  n: { type: "string" },
  seed: { type: "string" },
  k: { type: "string" },
  data: { type: "string" },
  backend: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** Splits off the positional arguments (values of string flags stay with their flags). */
function splitPositionals(args: string[]): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("-") && arg !== "-") {
      flags.push(arg);
      const name = arg.replace(/^-+/, "");
      if (FLAGS[name]?.type === "string" && i + 1 < args.length) flags.push(args[++i]);
    } else {
      positionals.push(arg);
    }
  }
  return { flags, positionals };
}

/** Reads uint8 28×28 images from an IDX file. */
async function readImages(path: string, limit: number | undefined): Promise<ImageSet> {
  const idx = await readIdx(path, { magic: IDX_IMAGES_MAGIC });
  const [count, height, width] = idx.shape;
  if (height !== 28 || width !== 28) {
    throw new DataFileError(
      "IDX file",
      path,
      `holds ${height}×${width} images, the evaluator needs 28×28 (MNIST)`,
    );
  }
  const n = Math.min(count, limit ?? count);
  return {
    pixels: bytesToPixels((idx.data as Uint8Array).subarray(0, n * 784)),
    count: n,
    height,
    width,
    channels: 1,
  };
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The human-readable report: one row per metric, with what real digits score beside it.
 *
 * @param result The evaluation.
 * @returns The table, several lines.
 */
export function evaluationTable(result: Evaluation, colour = false): string {
  const real = colour ? CIFAR_CLASSIFIER_INFO.trainImages : CLASSIFIER_INFO.trainDigits;
  const what = colour ? "test images" : "test digits";
  const fixed = (x: number, digits: number) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));
  const noReference = "needs real images to compare with: --data DIR";
  const rows: [string, string, string, string][] = [
    ["FID", result.fid.toFixed(2), real.fid.toFixed(2), "lower is better"],
    ["IS", result.is.toFixed(2), real.is.toFixed(2), "classifier-based, 1 to 10"],
    ["coverage", `${result.coverage}/10`, `${real.coverage}/10`, "classes with >= 5% of images"],
    [
      "precision",
      fixed(result.precision, 3),
      real.precision.toFixed(3),
      Number.isNaN(result.precision)
        ? noReference
        : `share on the ${what}' manifold (k = ${result.k})`,
    ],
    [
      "recall",
      fixed(result.recall, 3),
      real.recall.toFixed(3),
      Number.isNaN(result.recall)
        ? noReference
        : `share of ${result.referenceCount} ${what} on the images' manifold`,
    ],
    [
      "confidence",
      result.confidence.toFixed(3),
      real.confidence.toFixed(3),
      "mean top-class probability",
    ],
  ];
  const lines = [
    `${"metric".padEnd(11)} ${"value".padStart(8)} ${"real¹".padStart(8)}`,
    ...rows.map(([name, value, reference, note]) =>
      `${name.padEnd(11)} ${value.padStart(8)} ${reference.padStart(8)}   ${note}`
    ),
    `class share ${
      result.classShare.map((share, c) => `${colour ? CIFAR_CLASSES[c] : c}: ${percent(share)}`)
        .join("  ")
    }`,
    ...(result.labelAccuracy === undefined ? [] : [
      `asked-for digit recognised: ${percent(result.labelAccuracy)} (conditional generator; ` +
      `per digit ${
        result.labelAccuracyByClass!.map((a, digit) => `${digit}: ${percent(a)}`).join("  ")
      })`,
    ]),
    colour
      ? "¹ 10,000 CIFAR-10 training images, for comparison"
      : "¹ 10,000 MNIST training digits, for comparison",
  ];
  return lines.join("\n");
}

/**
 * Runs `eval`.
 *
 * @param args The arguments after `eval`.
 * @returns The exit code.
 */
export async function evalCommand(args: string[]): Promise<number> {
  const { flags: flagArgs, positionals } = splitPositionals(args);
  const flags = parseFlags(flagArgs, FLAGS, "eval");
  if (flags.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one FILE.idx, got ${positionals.length} files (see "eval --help")`,
    );
  }
  const file = positionals[0];
  const modelPath = stringFlag(flags, "model");
  if (file === undefined && modelPath === undefined) {
    throw new UsageError(`give a FILE.idx or --model DIR (see "eval --help")`);
  }
  if (file !== undefined && modelPath !== undefined) {
    throw new UsageError(`give a FILE.idx or --model DIR, not both (see "eval --help")`);
  }
  const n = intFlag(flags, "n", 1, 100_000);
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1);
  if (seed !== undefined && file !== undefined) {
    throw new UsageError(`--seed applies to --model only (the images of ${file} are given)`);
  }
  const k = intFlag(flags, "k", 1, 100) ?? 3;
  const dataDir = stringFlag(flags, "data");
  if (dataDir !== undefined && file !== undefined) {
    throw new UsageError(`--data applies to --model with a colour generator only`);
  }
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ?? "auto";
  const json = flags.json === true;
  const log = (line: string) => (json ? console.error(line) : console.log(line));
  requirePermission({ name: "read" }, "--allow-read");

  const startBackend = async () => {
    const backend = await selectBackend(backendChoice);
    for (const notice of backend.notices) console.error(`notice: ${notice}`);
    return backend;
  };
  let images: ImageSet;
  let source: string;
  let backend: BackendSelection;
  let reference: ImageSet | undefined;
  if (file !== undefined) {
    // The file first: a bad one fails before any backend starts.
    images = await readImages(file, n);
    if (images.count <= k) {
      throw new DataFileError(
        "IDX file",
        file,
        `holds ${images.count} image${images.count === 1 ? "" : "s"}, ` +
          `the evaluator needs at least ${k + 1} (more than --k ${k})`,
      );
    }
    backend = await startBackend();
    source = file;
  } else {
    if (n !== undefined && n <= k) {
      throw new UsageError(
        `--n ${n}: the evaluator needs at least ${k + 1} images (more than --k ${k})`,
      );
    }
    if (dataDir !== undefined) await requireDirectory("data", dataDir);
    backend = await startBackend();
    const { model, path } = await loadModel(modelPath!, "generator");
    let imageShape: [number, number, number];
    try {
      imageShape = generatorShape(model).imageShape;
    } catch (error) {
      throw new ModelFileError("load", path, (error as Error).message);
    }
    const shape = imageShape.join("×");
    if (shape !== "28×28×1" && shape !== "32×32×3") {
      throw new ModelFileError(
        "load",
        path,
        `the generator makes ${shape} images, the evaluator needs 28×28×1 (MNIST) or ` +
          `32×32×3 (CIFAR-10)`,
      );
    }
    if (dataDir !== undefined) {
      if (shape !== "32×32×3") {
        throw new UsageError(`--data applies to a colour generator; ${path} makes ${shape} digits`);
      }
      reference = await loadCifar10({ dir: dataDir, split: "test" });
    }
    images = await sample(model, { n: n ?? 10_000, seed: seed ?? 0 });
    model.dispose();
    source = `${path} (seed ${seed ?? 0})`;
  }

  const started = performance.now();
  const result = await evaluate(images, { k, reference });
  const seconds = (performance.now() - started) / 1000;
  log(
    `evaluated ${images.count} images from ${source} in ${seconds.toFixed(1)} s ` +
      `[${backend.description}]`,
  );
  log(evaluationTable(result, images.channels === 3));
  if (json) {
    console.log(JSON.stringify({
      fid: result.fid,
      is: result.is,
      coverage: result.coverage,
      precision: result.precision,
      recall: result.recall,
      confidence: result.confidence,
      class_share: result.classShare,
      ...(result.labelAccuracy === undefined ? {} : {
        label_accuracy: result.labelAccuracy,
        label_accuracy_by_class: result.labelAccuracyByClass,
      }),
      n: result.count,
      k: result.k,
      reference_count: result.referenceCount,
      source: file ?? modelPath,
      ...(file === undefined ? { seed: seed ?? 0 } : {}),
      seconds,
      backend: backend.name,
    }));
  }
  return 0;
}
