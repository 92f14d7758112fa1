/**
 * `eval`: judge images (an IDX file, or samples drawn from a trained generator) with the built-in
 * MNIST classifier (or, for 32×32 colour generators, the CIFAR-10 one): FID with its protocol (n,
 * the reference, the real-versus-real floor), KID, Inception Score, class coverage, precision and
 * recall; with `--nearest K --out FILE.png` also the memorisation check.
 *
 * @module
 */

import { dirname } from "node:path";

import { BACKEND_CHOICES, type BackendSelection, selectBackend } from "../backend/select.ts";
import { IDX_IMAGES_MAGIC } from "../data/idx.ts";
import { readIdx } from "../data/idx_file.ts";
import { bytesToPixels, type ImageSet } from "../data/images.ts";
import { DataFileError, ModelFileError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { CIFAR_CLASSES, loadCifar10 } from "../data/cifar.ts";
import { CIFAR_CLASSIFIER_INFO, CLASSIFIER_INFO } from "../eval/classifier_data.ts";
import { evaluate, type Evaluation } from "../eval/evaluate.ts";
import { nearestGrid, nearestTraining } from "../eval/nearest.ts";
import { loadMnist } from "../data/mnist.ts";
import { loadModel } from "../io/model_files.ts";
import { generatorShape, sample } from "../sample/sample.ts";
import { sampleTruncated, styleLayerOf } from "../sample/style.ts";
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
import { UsageError } from "./errors.ts";
import { EVAL_FLAGS, EVAL_HELP } from "./eval_flags.ts";
import { flagDefault, flagSpecs } from "./flag_table.ts";

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

/** KID and its spread with four decimals, or two significant digits where those show nothing. */
function kidText(kid: number, std: number): string {
  const small = Math.abs(kid) < 1e-3 && kid !== 0;
  const format = (x: number) => (small ? x.toExponential(1) : x.toFixed(4));
  return `${format(kid)} ± ${format(std)}`;
}

/**
 * The headline line: FID with its protocol (n, the reference, the real-vs-real floor) and KID,
 * e.g. `FID 3.21 (n 10000 vs MNIST test 10000; real-vs-real floor 0.12)  KID 0.0123 ± 0.0456`.
 *
 * @param result The evaluation.
 * @returns One line.
 */
export function protocolLine(result: Evaluation): string {
  const { fid, count, reference, fidFloor, fidFloorCount } = result;
  const floor = Number.isNaN(fidFloor)
    ? "real-vs-real floor n/a: needs real images, --data DIR"
    : `real-vs-real floor ${fidFloor.toFixed(2)}` +
      (fidFloorCount === count ? "" : ` at n ${fidFloorCount}`);
  const kid = Number.isNaN(result.kid) ? "n/a" : kidText(result.kid, result.kidStd);
  return `FID ${fid.toFixed(2)} (n ${count} vs ${reference.name} ${reference.count}; ${floor})  ` +
    `KID ${kid}`;
}

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
  /** `--truncation PSI`: ψ of a style-based generator's truncation trick. */
  truncation?: number;
  k: number;
  dataDir?: string;
  backendChoice: (typeof BACKEND_CHOICES)[number];
  json: boolean;
  /** `--nearest K`: images shown in the memorisation grid. */
  nearest?: number;
  /** `--out FILE.png`: where the grid goes. */
  out?: string;
}

/** A request with `--nearest` (and so `--out`). */
type NearestRequest = EvalRequest & { nearest: number; out: string };

/** The images to judge, where they came from, the backend, and CIFAR-10's reference if given. */
interface Judged {
  images: ImageSet;
  source: string;
  backend: BackendSelection;
  reference?: ImageSet;
  /** What the protocol calls it. */
  referenceName?: string;
}

/**
 * Runs `eval`: the arguments, the images (read from FILE.idx or drawn from --model), the
 * evaluation, then FID's protocol line, the table, with `--nearest` the memorisation check and its
 * grid, and with `--json` one JSON line.
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
  if (request.out !== undefined) {
    const dir = dirname(request.out);
    requirePermission(
      { name: "write", path: request.out },
      `--allow-write (or --allow-write=${dir})`,
    );
    await requireDirectory("out", dir);
  }
  const { images, source, backend, reference, referenceName } = request.file !== undefined
    ? await fileImages(request, request.file)
    : await modelImages(request, request.modelPath!);
  if (request.nearest !== undefined && request.nearest > images.count) {
    throw new UsageError(
      `--nearest ${request.nearest}: more than the ${images.count} images evaluated`,
    );
  }
  const started = performance.now();
  const result = await evaluate(images, { k: request.k, reference, referenceName });
  const seconds = (performance.now() - started) / 1000;
  log(
    `evaluated ${images.count} images from ${source} in ${seconds.toFixed(1)} s ` +
      `[${backend.description}]`,
  );
  log(protocolLine(result));
  log(evaluationTable(result, images.channels === 3));
  const nearest = request.nearest === undefined
    ? undefined
    : await memorisation(request as NearestRequest, images, log);
  if (request.json) {
    console.log(JSON.stringify({
      fid: result.fid,
      fid_floor: result.fidFloor,
      fid_floor_n: result.fidFloorCount,
      reference: result.reference.name,
      reference_images: result.reference.count,
      kid: result.kid,
      kid_std: result.kidStd,
      kid_subset_size: result.kidSubsetSize,
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
      ...(request.truncation === undefined ? {} : { truncation: request.truncation }),
      seconds,
      backend: backend.name,
      ...(nearest ? { nearest } : {}),
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
  const truncation = numberFlag(flags, "truncation", 0, 2);
  if (truncation !== undefined && file !== undefined) {
    throw new UsageError(
      `--truncation applies to --model only (the images of ${file} are given)`,
    );
  }
  const k = intFlag(flags, "k", 1, 100) ?? flagDefault<number>(EVAL_FLAGS, "k");
  const dataDir = stringFlag(flags, "data");
  if (dataDir !== undefined && file !== undefined) {
    throw new UsageError(`--data applies to --model with a colour generator only`);
  }
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ??
    flagDefault<EvalRequest["backendChoice"]>(EVAL_FLAGS, "backend");
  const { nearest, out } = nearestFlags(flags);
  if (nearest !== undefined && modelPath !== undefined && nearest > (n ?? 10_000)) {
    throw new UsageError(`--nearest ${nearest}: more than the ${n ?? 10_000} images drawn (--n)`);
  }
  return {
    file,
    modelPath,
    n,
    seed,
    truncation,
    k,
    dataDir,
    backendChoice,
    json: flags.json === true,
    nearest,
    out,
  };
}

/** `--nearest K` and `--out FILE.png`, which go together. */
function nearestFlags(flags: Flags): { nearest?: number; out?: string } {
  const nearest = intFlag(flags, "nearest", 1, 1000);
  const out = stringFlag(flags, "out");
  if (nearest === undefined && out !== undefined) {
    throw new UsageError(`--out applies to --nearest K (the grid of the memorisation check)`);
  }
  if (nearest !== undefined && out === undefined) {
    throw new UsageError(`--nearest needs --out FILE.png for its grid`);
  }
  if (out !== undefined && !out.endsWith(".png")) {
    throw new UsageError(`--out ${out}: expected a file name ending in .png`);
  }
  return { nearest, out };
}

/**
 * The memorisation check: the share of the images nearer to a training image than the median
 * training image to its nearest other one, and the grid of the first K beside their neighbours.
 */
async function memorisation(
  request: NearestRequest,
  images: ImageSet,
  log: (line: string) => void,
): Promise<Record<string, number | string>> {
  const { nearest: show, out, dataDir } = request;
  const colour = images.channels === 3;
  const training = colour
    ? await loadCifar10({ dir: dataDir!, split: "train" })
    : await loadMnist({ split: "train" });
  const result = await nearestTraining(images, { training, show });
  await writeFileAtomic(out, nearestGrid(images, training, result, 2));
  const what = colour ? "training image" : "training digit";
  log(
    `memorisation: ${percent(result.share)} of the ${images.count} images lie nearer to a ` +
      `${what} than the median ${what} to its nearest other one (${
        result.medianDistance.toFixed(2)
      } in feature space, median of ${result.medianCount} of ${result.trainingCount}); fresh ` +
      `images score about 50%, copies of the training set push it towards 100%`,
  );
  log(`wrote ${out}: the first ${show} images, each beside its 5 nearest ${what}s, nearest first`);
  return {
    share: result.share,
    median_distance: result.medianDistance,
    median_count: result.medianCount,
    training_count: result.trainingCount,
    shown: show,
    out,
  };
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
  const { n, k, seed, dataDir, truncation } = request;
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
  if (request.nearest !== undefined && shape === "32×32×3" && dataDir === undefined) {
    throw new UsageError(
      `--nearest: a colour generator's training images come from --data DIR (CIFAR-10's batches)`,
    );
  }
  let reference: ImageSet | undefined;
  let referenceName: string | undefined;
  if (dataDir !== undefined) {
    if (shape !== "32×32×3") {
      throw new UsageError(`--data applies to a colour generator; ${path} makes ${shape} digits`);
    }
    reference = await loadCifar10({ dir: dataDir, split: "test" });
    referenceName = "CIFAR-10 test";
  }
  if (truncation !== undefined && !styleLayerOf(model)) {
    throw new UsageError(
      `--truncation: ${path} is not a style-based generator ` +
        `(train one with --preset stylegan or cstylegan)`,
    );
  }
  const drawn = { n: n ?? 10_000, seed: seed ?? 0 };
  const images = truncation === undefined
    ? await sample(model, drawn)
    : await sampleTruncated(model, { ...drawn, psi: truncation });
  model.dispose();
  const psi = truncation === undefined ? "" : `, truncation ψ ${truncation}`;
  return {
    images,
    source: `${path} (seed ${seed ?? 0}${psi})`,
    backend,
    reference,
    referenceName,
  };
}
