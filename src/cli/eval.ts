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
  type Flags,
  intFlag,
  parseFlags,
  requireDirectory,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagDefault, flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `eval`'s flags, in the order `eval --help` lists them. */
const EVAL_FLAGS: FlagTable = {
  model: {
    type: "string",
    value: "DIR",
    help: [
      "draw the images from a trained generator instead: a run directory, a model",
      "directory or a model.json",
    ],
  },
  n: {
    type: "string",
    value: "N",
    help: [
      "images to draw from --model                          (default: 10000)",
      "with FILE.idx: evaluate its first N                   (default: all)",
    ],
  },
  seed: {
    type: "string",
    value: "N",
    help: ["seed of the noise for --model                         (default: $default)"],
    default: 0,
  },
  k: {
    type: "string",
    value: "N",
    help: ["the neighbour of precision and recall                 (default: $default)"],
    default: 3,
  },
  data: {
    type: "string",
    value: "DIR",
    help: [
      "for a colour generator: CIFAR-10's binary files; its test_batch.bin is the",
      "reference of FID, precision and recall            (default: none; FID",
      "against the shipped statistics, no precision and recall)",
    ],
  },
  backend: {
    type: "string",
    value: "NAME",
    help: ["auto | webgpu | wasm | cpu                            (default: $default)"],
    default: "auto",
  },
  json: {
    type: "boolean",
    help: [
      'end with one JSON line: {"fid", "is", "coverage", "precision", "recall",',
      '"confidence", "class_share", …; "label_accuracy" for conditional models}',
    ],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

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
${optionsHelp(EVAL_FLAGS, 21)}

Examples:
  cli.ts eval samples.idx
  cli.ts eval --model runs/lite --n 10000 --seed 2 --json
  cli.ts eval --model runs/cifar --data data/cifar10
`;

/** Splits off the positional arguments (values of string flags stay with their flags). */
function splitPositionals(args: string[]): { flags: string[]; positionals: string[] } {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("-") && arg !== "-") {
      flags.push(arg);
      const name = arg.replace(/^-+/, "");
      if (EVAL_FLAGS[name]?.type === "string" && i + 1 < args.length) flags.push(args[++i]);
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

/** What the arguments ask `eval` to judge, and how. */
interface EvalRequest {
  /** `FILE.idx`. */
  file?: string;
  /** `--model DIR`. */
  modelPath?: string;
  n?: number;
  seed?: number;
  k: number;
  dataDir?: string;
  backendChoice: (typeof BACKEND_CHOICES)[number];
  json: boolean;
}

/** The images to judge, where they came from, the backend, and CIFAR-10's reference if given. */
interface Judged {
  images: ImageSet;
  source: string;
  backend: BackendSelection;
  reference?: ImageSet;
}

/**
 * Runs `eval`: the arguments, the images (read from FILE.idx or drawn from --model), the
 * evaluation, then the table and, with `--json`, one JSON line.
 *
 * @param args The arguments after `eval`.
 * @returns The exit code.
 */
export async function evalCommand(args: string[]): Promise<number> {
  const { flags: flagArgs, positionals } = splitPositionals(args);
  const flags = parseFlags(flagArgs, flagSpecs(EVAL_FLAGS), "eval");
  if (flags.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  const request = evalRequest(flags, positionals);
  const log = (line: string) => (request.json ? console.error(line) : console.log(line));
  requirePermission({ name: "read" }, "--allow-read");
  const { images, source, backend, reference } = request.file !== undefined
    ? await fileImages(request, request.file)
    : await modelImages(request, request.modelPath!);
  const started = performance.now();
  const result = await evaluate(images, { k: request.k, reference });
  const seconds = (performance.now() - started) / 1000;
  log(
    `evaluated ${images.count} images from ${source} in ${seconds.toFixed(1)} s ` +
      `[${backend.description}]`,
  );
  log(evaluationTable(result, images.channels === 3));
  if (request.json) {
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
      source: request.file ?? request.modelPath,
      ...(request.file === undefined ? { seed: request.seed ?? 0 } : {}),
      seconds,
      backend: backend.name,
    }));
  }
  return 0;
}

/** The arguments, each checked, and checked against each other. */
function evalRequest(flags: Flags, positionals: string[]): EvalRequest {
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
  const k = intFlag(flags, "k", 1, 100) ?? flagDefault<number>(EVAL_FLAGS, "k");
  const dataDir = stringFlag(flags, "data");
  if (dataDir !== undefined && file !== undefined) {
    throw new UsageError(`--data applies to --model with a colour generator only`);
  }
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ??
    flagDefault<EvalRequest["backendChoice"]>(EVAL_FLAGS, "backend");
  return { file, modelPath, n, seed, k, dataDir, backendChoice, json: flags.json === true };
}

/** Starts the backend, saying what it had to fall back from. */
async function startBackend(choice: EvalRequest["backendChoice"]): Promise<BackendSelection> {
  const backend = await selectBackend(choice);
  for (const notice of backend.notices) console.error(`notice: ${notice}`);
  return backend;
}

/** FILE.idx's images, read before any backend starts so that a bad file fails first. */
async function fileImages(request: EvalRequest, file: string): Promise<Judged> {
  const { k } = request;
  const images = await readImages(file, request.n);
  if (images.count <= k) {
    throw new DataFileError(
      "IDX file",
      file,
      `holds ${images.count} image${images.count === 1 ? "" : "s"}, ` +
        `the evaluator needs at least ${k + 1} (more than --k ${k})`,
    );
  }
  return { images, source: file, backend: await startBackend(request.backendChoice) };
}

/** Images drawn from `--model`'s generator (28×28 digits or 32×32 colour), and --data's test set. */
async function modelImages(request: EvalRequest, modelPath: string): Promise<Judged> {
  const { n, k, seed, dataDir } = request;
  if (n !== undefined && n <= k) {
    throw new UsageError(
      `--n ${n}: the evaluator needs at least ${k + 1} images (more than --k ${k})`,
    );
  }
  if (dataDir !== undefined) await requireDirectory("data", dataDir);
  const backend = await startBackend(request.backendChoice);
  const { model, path } = await loadModel(modelPath, "generator");
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
  let reference: ImageSet | undefined;
  if (dataDir !== undefined) {
    if (shape !== "32×32×3") {
      throw new UsageError(`--data applies to a colour generator; ${path} makes ${shape} digits`);
    }
    reference = await loadCifar10({ dir: dataDir, split: "test" });
  }
  const images = await sample(model, { n: n ?? 10_000, seed: seed ?? 0 });
  model.dispose();
  return { images, source: `${path} (seed ${seed ?? 0})`, backend, reference };
}
