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
import {
  interpolateW,
  sampleTruncated,
  STYLE_RANGES,
  styleLayerOf,
  styleLayout,
  styleMixGrid,
  type StyleRange,
} from "../sample/style.ts";
import {
  choiceFlag,
  type Flags,
  intFlag,
  numberFlag,
  parseFlags,
  requireDirectory,
  requiredStringFlag,
  requirePermission,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `sample`'s flags for style-based generators, which its `--help` lists in a section of their own. */
const STYLE_FLAGS: FlagTable = {
  truncation: {
    type: "string",
    value: "PSI",
    help: [
      "the truncation trick: each w pulled towards the average w (its",
      "digit's, for cstylegan) by PSI in (0, 2]: lower, more typical",
      "digits and less variety; grids, walks, --mix      (default: 1, off)",
    ],
  },
  mix: {
    type: "string",
    value: "A,B",
    help: [
      "style mixing, a PNG grid: seed A's images down the left, seed B's",
      "along the top, and at row i, column j the image with A_i's coarse",
      "styles (see --crossover) and B_j's others (StyleGAN's figure 3)",
    ],
  },
  rows: {
    type: "string",
    value: "N",
    help: ["--mix: sources A, one per row, from 1 to 32         (default: 6)"],
  },
  cols: {
    type: "string",
    value: "N",
    help: ["--mix: sources B, one per column, from 1 to 32      (default: 6)"],
  },
  crossover: {
    type: "string",
    value: "K",
    help: [
      "--mix: ws 0 … K−1 from A and the rest from B, K from 1 to the",
      "generator's ws − 1 (6 ws for 28×28 digits; default 1, the first of",
      "the middle resolution); or coarse, middle, fine: those styles from A",
    ],
  },
};

/** `sample`'s flags, in the order `sample --help` lists them (the walks', the style ones last). */
export const SAMPLE_FLAGS: FlagTable = {
  model: {
    type: "string",
    value: "DIR",
    help: ["a run directory (uses its generator/), a model directory, or a model.json"],
  },
  out: {
    type: "string",
    value: "FILE",
    help: [
      "FILE.png: a grid of the images (a walk: one row);",
      "FILE.gif: a walk as an animation, played forward and back;",
      "FILE.idx or FILE.idx.gz: the raw images, uint8, N×28×28, 0 = background",
    ],
  },
  n: {
    type: "string",
    value: "N",
    help: ["how many images                                   (default: 64)"],
  },
  seed: {
    type: "string",
    value: "N",
    help: ["seed of the noise: same seed, same images           (default: 0)"],
  },
  columns: {
    type: "string",
    value: "N",
    help: ["images per row of a PNG grid          (default: √n; a walk: all)"],
  },
  scale: {
    type: "string",
    value: "N",
    help: ["pixel size in a PNG grid or a GIF      (default: 1; a GIF: 4)"],
  },
  digit: {
    type: "string",
    value: "D",
    help: [
      "conditional models (cgan, cdcgan): draw only the digit D (a walk:",
      'the class of all its images; default 0, the digit "--n 1" draws)',
    ],
  },
  "by-class": {
    type: "boolean",
    help: [
      "conditional models: one row per class (a 10×10 grid for digits;",
      "--n is then 10 per class unless given)",
    ],
  },
  backend: {
    type: "string",
    value: "NAME",
    help: ["auto | webgpu | wasm | cpu                          (default: auto)"],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
  interpolate: {
    type: "string",
    value: "A,B",
    walk: true,
    help: [
      "from seed A's noise to seed B's along the great circle between",
      "them (slerp), where Gaussian noise lives; stylegan and cstylegan:",
      "from A's w to B's along the straight line",
    ],
  },
  "from-digit": {
    type: "string",
    value: "D",
    walk: true,
    help: ["conditional models: from digit D to digit E, the one-hot label"],
  },
  "to-digit": {
    type: "string",
    value: "E",
    walk: true,
    help: [
      "moving linearly between them; z is --seed's (or, with",
      "--interpolate, moves from A's to B's as well)",
    ],
  },
  steps: {
    type: "string",
    value: "N",
    walk: true,
    help: ["images in the walk, from 2 to 1000                  (default: 10)"],
  },
  ...STYLE_FLAGS,
};

/** Whether a row of the table is one of the style-based generators' flags. */
const isStyleFlag = (row: FlagTable[string]) => Object.values(STYLE_FLAGS).includes(row);

/** The command's help text. */
export const SAMPLE_HELP = `Usage: cli.ts sample --model DIR --out FILE [options]

Draw images from a trained generator, or a walk between two seeds or two digits.

Options:
${optionsHelp(SAMPLE_FLAGS, 21, (row) => !row.walk && !isStyleFlag(row))}

Walks (--steps images, both ends included; each end is the image that "--n 1" draws
with that end's seed and digit):
${optionsHelp(SAMPLE_FLAGS, 21, (row) => row.walk === true)}

Style-based generators (stylegan, cstylegan; a walk then moves in w, the digits' too):
${optionsHelp(SAMPLE_FLAGS, 21, isStyleFlag)}

Examples:
  cli.ts sample --model runs/lite --n 100 --out grid.png
  cli.ts sample --model runs/lite --n 10000 --seed 2 --out samples.idx
  cli.ts sample --model runs/cdcgan --digit 7 --n 64 --out sevens.png
  cli.ts sample --model runs/cdcgan --by-class --out grid.png
  cli.ts sample --model runs/lite --interpolate 1,2 --steps 12 --out walk.png
  cli.ts sample --model runs/cgan --from-digit 3 --to-digit 8 --seed 5 --out morph.gif
  cli.ts sample --model runs/stylegan --truncation 0.7 --n 100 --out typical.png
  cli.ts sample --model runs/stylegan --mix 1,2 --crossover coarse --out mix.png
`;

/** A walk as the flags ask for it: between two seeds, two digits, or both. */
interface Walk {
  /** `--interpolate A,B`. */
  seeds?: [number, number];
  /** `--from-digit D --to-digit E`. */
  digits?: [number, number];
  /** `--steps N`. */
  steps: number;
}

/** `--interpolate A,B`: two different seeds. */
function seedPairFlag(flags: Flags): [number, number] | undefined {
  const raw = flags.interpolate;
  if (raw === undefined) return undefined;
  const match = typeof raw === "string" ? raw.match(/^\s*(\d+)\s*,\s*(\d+)\s*$/) : null;
  const seeds = match ? [Number(match[1]), Number(match[2])] : [];
  if (seeds.length !== 2 || seeds.some((seed) => seed > 2 ** 32 - 1)) {
    throw new UsageError(
      `--interpolate: expected two seeds A,B (integers from 0 to 4294967295), got "${raw}"`,
    );
  }
  if (seeds[0] === seeds[1]) {
    throw new UsageError(`--interpolate ${raw}: the two seeds are the same; a walk needs two`);
  }
  return seeds as [number, number];
}

/** The walk the flags ask for, checked against the other flags; `undefined` for a grid. */
function walkFlags(flags: Flags, format: string, out: string): Walk | undefined {
  const seeds = seedPairFlag(flags);
  const from = intFlag(flags, "from-digit", 0, 999);
  const to = intFlag(flags, "to-digit", 0, 999);
  const steps = intFlag(flags, "steps", 2, 1000);
  if ((from === undefined) !== (to === undefined)) {
    throw new UsageError(
      from === undefined ? "--to-digit needs --from-digit" : "--from-digit needs --to-digit",
    );
  }
  if (seeds === undefined && from === undefined) {
    if (steps !== undefined) {
      throw new UsageError("--steps applies to --interpolate or --from-digit");
    }
    if (format === "gif") {
      throw new UsageError(
        `--out ${out}: a GIF shows a walk (--interpolate or --from-digit); a grid is .png, .idx or .idx.gz`,
      );
    }
    return undefined;
  }
  const walk = seeds ? "--interpolate" : "--from-digit";
  if (from !== undefined && from === to) {
    throw new UsageError(
      `--from-digit ${from} --to-digit ${to}: the same digit (use --digit ${from})`,
    );
  }
  const refused: [string, string][] = [
    ["n", `${walk} draws --steps images`],
    ["by-class", "choose one"],
    ...(seeds ? [["seed", "the seeds are --interpolate's A,B"] as [string, string]] : []),
    ...(from !== undefined ? [["digit", "choose one"] as [string, string]] : []),
    ...(format === "gif"
      ? [["columns", "a GIF shows one image at a time"] as [string, string]]
      : []),
  ];
  for (const [name, why] of refused) {
    if (flags[name] !== undefined) throw new UsageError(`--${name} and ${walk}: ${why}`);
  }
  return {
    ...(seeds ? { seeds } : {}),
    ...(from !== undefined ? { digits: [from, to!] as [number, number] } : {}),
    steps: steps ?? 10,
  };
}

/** A style-mixing grid as the flags ask for it. */
interface Mix {
  /** `--mix A,B`: the rows' seed and the columns'. */
  seeds: [number, number];
  /** `--rows N`, `--cols N`. */
  rows: number;
  cols: number;
  /** `--crossover K` or `--crossover coarse|middle|fine`; the generator's default when absent. */
  crossover?: number | StyleRange;
}

/** `--mix A,B` and the flags that go with it, checked; `undefined` without `--mix`. */
function mixFlags(flags: Flags, format: string, out: string): Mix | undefined {
  const raw = flags.mix;
  if (raw === undefined) {
    for (const name of ["rows", "cols", "crossover"]) {
      if (flags[name] !== undefined) throw new UsageError(`--${name} applies to --mix A,B`);
    }
    return undefined;
  }
  const match = typeof raw === "string" ? raw.match(/^\s*(\d+)\s*,\s*(\d+)\s*$/) : null;
  const seeds = match ? [Number(match[1]), Number(match[2])] : [];
  if (seeds.length !== 2 || seeds.some((seed) => seed > 2 ** 32 - 1)) {
    throw new UsageError(
      `--mix: expected two seeds A,B (integers from 0 to 4294967295), got "${raw}"`,
    );
  }
  const refused: [string, string][] = [
    ["interpolate", "choose one"],
    ["from-digit", "choose one"],
    ["to-digit", "choose one"],
    ["steps", "--steps is a walk's"],
    ["n", "--mix draws --rows × --cols images"],
    ["seed", "the seeds are --mix's A,B"],
    ["by-class", "choose one"],
    ["columns", "the grid has --cols + 1 columns"],
  ];
  for (const [name, why] of refused) {
    if (flags[name] !== undefined) throw new UsageError(`--${name} and --mix: ${why}`);
  }
  if (format !== "png") {
    throw new UsageError(`--out ${out}: --mix draws a PNG grid; the file must end in .png`);
  }
  const crossover = flags.crossover;
  let k: number | StyleRange | undefined;
  if (typeof crossover === "string" && STYLE_RANGES.includes(crossover as StyleRange)) {
    k = crossover as StyleRange;
  } else if (crossover !== undefined) {
    if (typeof crossover !== "string" || !/^\s*\d+\s*$/.test(crossover) || Number(crossover) < 1) {
      throw new UsageError(
        `--crossover: expected an integer of at least 1, or coarse, middle or fine, got "${crossover}"`,
      );
    }
    k = Number(crossover);
  }
  return {
    seeds: seeds as [number, number],
    rows: intFlag(flags, "rows", 1, 32) ?? 6,
    cols: intFlag(flags, "cols", 1, 32) ?? 6,
    ...(k !== undefined ? { crossover: k } : {}),
  };
}

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
