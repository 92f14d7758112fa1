/**
 * `sample`: draw images from a trained generator into a PNG grid or an IDX file, or a walk
 * between two seeds or two digits into a strip or a GIF; from a style-based generator also with
 * the truncation trick, or a style-mixing grid.
 *
 * @module
 */

import { dirname } from "node:path";
import { BACKEND_CHOICES, selectBackend } from "../backend/select.ts";
import { ModelFileError } from "../errors.ts";
import type { LayersModel } from "../tf_types.ts";
import { loadModel } from "../io/model_files.ts";
import { imageFrames } from "../sample/animation.ts";
import { writeGif, writeImagesIdx, writePngGrid } from "../sample/files.ts";
import { sampleInterpolation } from "../sample/interpolate.ts";
import { generatorShape, sample } from "../sample/sample.ts";
import { sampleTruncated, styleLayerOf, styleLayout } from "../sample/style.ts";
import { interpolateW, styleMixGrid } from "../sample/style_mix.ts";
import {
  choiceFlag,
  intFlag,
  numberFlag,
  parseFlags,
  requireDirectory,
  requiredStringFlag,
  requirePermission,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagSpecs } from "./flag_table.ts";
import {
  type Mix,
  mixFlags,
  SAMPLE_FLAGS,
  SAMPLE_HELP,
  type Walk,
  walkFlags,
} from "./sample_flags.ts";

/**
 * Runs `sample`.
 *
 * @param args The arguments after `sample`.
 * @returns The exit code.
 */
export async function sampleCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(SAMPLE_FLAGS), "sample");
  if (flags.help) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  const modelPath = requiredStringFlag(flags, "model", "sample");
  const out = requiredStringFlag(flags, "out", "sample");
  const format = out.endsWith(".png")
    ? "png"
    : out.endsWith(".gif")
    ? "gif"
    : /\.idx(\.gz)?$/.test(out)
    ? "idx"
    : undefined;
  if (format === undefined) {
    throw new UsageError(
      `--out ${out}: expected a file name ending in .png, .gif, .idx or .idx.gz`,
    );
  }
  const mix = mixFlags(flags, format, out);
  const walk = walkFlags(flags, format, out);
  const truncation = numberFlag(flags, "truncation", 0, 2);
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
  const classFlag = byClass ? "by-class" : walk?.digits ? "from-digit" : "digit";
  if ((byClass || digit !== undefined || walk?.digits) && !classes) {
    throw new UsageError(
      `--${classFlag}: ${path} is not a conditional generator ` +
        `(train one with --preset cgan or cdcgan)`,
    );
  }
  for (const [name, value] of [["digit", digit], ...zipDigits(walk?.digits)] as const) {
    if (value !== undefined && value >= classes) {
      throw new UsageError(`--${name} ${value}: the generator knows classes 0–${classes - 1}`);
    }
  }
  const styleFlag = mix ? "mix" : truncation !== undefined ? "truncation" : undefined;
  if (styleFlag && !styleLayerOf(model)) {
    throw new UsageError(
      `--${styleFlag}: ${path} is not a style-based generator ` +
        `(train one with --preset stylegan or cstylegan)`,
    );
  }
  if (mix) {
    const said = await drawMix(model, mix, { out, psi: truncation, digit, scale });
    console.log(`wrote ${said} from ${path} to ${out} [${backend.name}]`);
    return 0;
  }
  if (walk) {
    const said = await drawWalk(model, walk, {
      out,
      format,
      seed,
      digit,
      columns,
      scale,
      classes,
      psi: truncation,
    });
    console.log(`wrote ${said} from ${path} to ${out} [${backend.name}]`);
    return 0;
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
  const images = truncation === undefined
    ? await sample(model, { n, seed, labels })
    : await sampleTruncated(model, { n, seed, labels, psi: truncation });
  if (format === "png") await writePngGrid(out, images, { columns: gridColumns, scale });
  else await writeImagesIdx(out, images);
  const what = (digit !== undefined ? `, digit ${digit}` : byClass ? `, one row per class` : "") +
    (truncation === undefined ? "" : `, truncation ψ ${truncation}`);
  console.log(
    `wrote ${n} samples (${images.height}×${images.width}×${images.channels}, seed ${seed}${what}) ` +
      `from ${path} to ${out} [${backend.name}]`,
  );
  return 0;
}

/** What `sample` was asked for besides the walk: the output and the flags a walk uses. */
interface WalkOutput {
  out: string;
  format: "png" | "gif" | "idx";
  seed: number;
  digit: number | undefined;
  columns: number | undefined;
  scale: number | undefined;
  classes: number;
  /** `--truncation`: ψ at a style-based walk's ends. */
  psi: number | undefined;
}

/** Draws a walk and writes it as a strip, a GIF or an IDX file; returns what it wrote in words. */
async function drawWalk(model: LayersModel, walk: Walk, o: WalkOutput): Promise<string> {
  const options = {
    steps: walk.steps,
    seeds: walk.seeds ?? o.seed,
    // Digit 0 by default: the class "--n 1" draws, so that the ends are its images.
    ...(o.classes ? { labels: walk.digits ?? o.digit ?? 0 } : {}),
  };
  // A style-based generator walks in w, the space its mapping network made smooth.
  const inW = styleLayerOf(model) !== undefined;
  const images = inW
    ? await interpolateW(model, { ...options, psi: o.psi ?? 1 })
    : await sampleInterpolation(model, options);
  if (o.format === "png") {
    await writePngGrid(o.out, images, { columns: o.columns ?? walk.steps, scale: o.scale ?? 1 });
  } else if (o.format === "gif") {
    const frames = imageFrames(images, o.scale ?? 4);
    await writeGif(o.out, frames, { delay: 150, holdDelay: 750, bounce: true });
  } else {
    await writeImagesIdx(o.out, images);
  }
  const z = walk.seeds
    ? `seeds ${walk.seeds.join(" → ")} ${inW ? "in w" : "by slerp"}`
    : `seed ${o.seed}${inW ? ", in w" : ""}`;
  const label = !o.classes
    ? ""
    : walk.digits
    ? `, digits ${walk.digits.join(" → ")}`
    : o.digit !== undefined
    ? `, digit ${o.digit}`
    : ", digit 0 by default: --digit D picks another";
  const psi = o.psi === undefined ? "" : `, truncation ψ ${o.psi}`;
  return `a walk of ${walk.steps} images (${z}${label}${psi})`;
}

/** What `sample --mix` was asked for besides the grid's sources. */
interface MixOutput {
  out: string;
  psi: number | undefined;
  digit: number | undefined;
  scale: number | undefined;
}

/** Draws a style-mixing grid and writes it as a PNG; returns what it wrote in words. */
async function drawMix(model: LayersModel, mix: Mix, o: MixOutput): Promise<string> {
  const layout = styleLayout(model);
  const { crossover } = mix;
  if (typeof crossover === "number" && crossover > layout.numWs - 1) {
    throw new UsageError(
      `--crossover ${crossover}: the generator takes ${layout.numWs} ws; ` +
        `expected 1 to ${layout.numWs - 1}, or coarse, middle or fine`,
    );
  }
  if (
    typeof crossover === "string" && layout.ranges[crossover][0] === layout.ranges[crossover][1]
  ) {
    throw new UsageError(`--crossover ${crossover}: the generator has no ${crossover} styles`);
  }
  const [rowSeed, columnSeed] = mix.seeds;
  const grid = await styleMixGrid(model, {
    rowSeed,
    columnSeed,
    rows: mix.rows,
    columns: mix.cols,
    ...(typeof crossover === "number" ? { crossover } : {}),
    ...(typeof crossover === "string" ? { range: crossover } : {}),
    psi: o.psi ?? 1,
    ...(o.digit !== undefined ? { labels: o.digit } : {}),
  });
  await writePngGrid(o.out, grid, { columns: grid.gridColumns, scale: o.scale ?? 1 });
  const [start, end] = grid.fromRows;
  const named = typeof crossover === "string" ? ` (the ${crossover} styles)` : "";
  const digit = o.digit === undefined ? "" : `, digit ${o.digit}`;
  const psi = o.psi === undefined ? "" : `, truncation ψ ${o.psi}`;
  return `a style-mixing grid of ${mix.rows}×${mix.cols}: each image takes ws ${start}–${
    end - 1
  } of ${layout.numWs}${named} from its row's seed ${rowSeed} image, the others from its ` +
    `column's seed ${columnSeed} image${digit}${psi}`;
}

/** `--from-digit` and `--to-digit` as flag names and values. */
function zipDigits(digits: [number, number] | undefined): [string, number][] {
  return digits ? [["from-digit", digits[0]], ["to-digit", digits[1]]] : [];
}
