/**
 * `sample`: draw images from a trained generator into a PNG grid or an IDX file.
 *
 * @module
 */

import { dirname } from "std/path";
import { BACKEND_CHOICES, selectBackend } from "../backend/select.ts";
import { ModelFileError } from "../errors.ts";
import { loadModel } from "../io/model_files.ts";
import { writeImagesIdx, writePngGrid } from "../sample/files.ts";
import { generatorShape, sample } from "../sample/sample.ts";
import {
  choiceFlag,
  intFlag,
  parseFlags,
  requireDirectory,
  requiredStringFlag,
  requirePermission,
} from "./args.ts";
import { UsageError } from "./errors.ts";

/** The command's help text. */
export const SAMPLE_HELP = `Usage: cli.ts sample --model DIR --out FILE [options]

Draw images from a trained generator.

Options:
  --model DIR        a run directory (uses its generator/), a model directory, or a model.json
  --out FILE         FILE.png: a grid of the images;
                     FILE.idx or FILE.idx.gz: the raw images, uint8, N×28×28, 0 = background
  --n N              how many images                                   (default: 64)
  --seed N           seed of the noise: same seed, same images           (default: 0)
  --columns N        images per row of a PNG grid                        (default: √n)
  --scale N          pixel size in a PNG grid                            (default: 1)
  --digit D          conditional models (cgan, cdcgan): draw only the digit D
  --by-class         conditional models: one row per class (a 10×10 grid for digits;
                     --n is then 10 per class unless given)
  --backend NAME     auto | webgpu | wasm | cpu                          (default: auto)
  -h, --help         this help

Examples:
  cli.ts sample --model runs/lite --n 100 --out grid.png
  cli.ts sample --model runs/lite --n 10000 --seed 2 --out samples.idx
  cli.ts sample --model runs/cdcgan --digit 7 --n 64 --out sevens.png
  cli.ts sample --model runs/cdcgan --by-class --out grid.png
`;

const FLAGS = {
  model: { type: "string" },
  out: { type: "string" },
  n: { type: "string" },
  seed: { type: "string" },
  columns: { type: "string" },
  scale: { type: "string" },
  digit: { type: "string" },
  "by-class": { type: "boolean" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Runs `sample`.
 *
 * @param args The arguments after `sample`.
 * @returns The exit code.
 */
export async function sampleCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, "sample");
  if (flags.help) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  const modelPath = requiredStringFlag(flags, "model", "sample");
  const out = requiredStringFlag(flags, "out", "sample");
  const format = out.endsWith(".png") ? "png" : /\.idx(\.gz)?$/.test(out) ? "idx" : undefined;
  if (format === undefined) {
    throw new UsageError(`--out ${out}: expected a file name ending in .png, .idx or .idx.gz`);
  }
  const byClass = flags["by-class"] === true;
  const digit = intFlag(flags, "digit", 0, 999);
  if (byClass && digit !== undefined) {
    throw new UsageError("--digit and --by-class: choose one");
  }
  const nFlag = intFlag(flags, "n", 1, 100_000);
  let n = nFlag ?? 64;
  if (format === "png" && n > 10_000) {
    throw new UsageError(`--n ${n}: a PNG grid holds at most 10000 images (write .idx for more)`);
  }
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1) ?? 0;
  const columns = intFlag(flags, "columns", 1, 10_000);
  const scale = intFlag(flags, "scale", 1, 64);
  const backendChoice = choiceFlag(flags, "backend", BACKEND_CHOICES) ?? "auto";
  requirePermission({ name: "read" }, "--allow-read");
  requirePermission(
    { name: "write", path: out },
    `--allow-write (or --allow-write=${dirname(out)})`,
  );
  await requireDirectory("out", dirname(out));

  const backend = await selectBackend(backendChoice);
  for (const notice of backend.notices) console.error(`notice: ${notice}`);
  const { model, path } = await loadModel(modelPath, "generator");
  let classes: number;
  try {
    classes = generatorShape(model).classes;
  } catch (error) {
    throw new ModelFileError("load", path, (error as Error).message);
  }
  if ((byClass || digit !== undefined) && !classes) {
    throw new UsageError(
      `--${byClass ? "by-class" : "digit"}: ${path} is not a conditional generator ` +
        `(train one with --preset cgan or cdcgan)`,
    );
  }
  if (digit !== undefined && digit >= classes) {
    throw new UsageError(`--digit ${digit}: the generator knows classes 0–${classes - 1}`);
  }
  let labels: number[] | number | undefined = digit;
  let gridColumns = columns;
  if (byClass) {
    // Row c holds class c: n/classes images each, n a multiple of the classes.
    const perClass = Math.max(1, Math.round((nFlag ?? classes * classes) / classes));
    n = perClass * classes;
    labels = Array.from({ length: n }, (_, i) => Math.floor(i / perClass));
    gridColumns = perClass;
  }
  const images = await sample(model, { n, seed, labels });
  if (format === "png") await writePngGrid(out, images, { columns: gridColumns, scale });
  else await writeImagesIdx(out, images);
  const what = digit !== undefined ? `, digit ${digit}` : byClass ? `, one row per class` : "";
  console.log(
    `wrote ${n} samples (${images.height}×${images.width}×${images.channels}, seed ${seed}${what}) ` +
      `from ${path} to ${out} [${backend.name}]`,
  );
  return 0;
}
