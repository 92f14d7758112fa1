/**
 * `sample`: draw images from a trained generator into a PNG grid or an IDX file, or a walk
 * between two seeds or two digits into a strip or a GIF.
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
  choiceFlag,
  type Flags,
  intFlag,
  parseFlags,
  requireDirectory,
  requiredStringFlag,
  requirePermission,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `sample`'s flags, in the order `sample --help` lists them (the walks' last). */
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
      "them (slerp), where Gaussian noise lives",
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
};

/** The command's help text. */
export const SAMPLE_HELP = `Usage: cli.ts sample --model DIR --out FILE [options]

Draw images from a trained generator, or a walk between two seeds or two digits.

Options:
${optionsHelp(SAMPLE_FLAGS, 21, (row) => !row.walk)}

Walks (--steps images, both ends included; each end is the image that "--n 1" draws
with that end's seed and digit):
${optionsHelp(SAMPLE_FLAGS, 21, (row) => row.walk === true)}

Examples:
  cli.ts sample --model runs/lite --n 100 --out grid.png
  cli.ts sample --model runs/lite --n 10000 --seed 2 --out samples.idx
  cli.ts sample --model runs/cdcgan --digit 7 --n 64 --out sevens.png
  cli.ts sample --model runs/cdcgan --by-class --out grid.png
  cli.ts sample --model runs/lite --interpolate 1,2 --steps 12 --out walk.png
  cli.ts sample --model runs/cgan --from-digit 3 --to-digit 8 --seed 5 --out morph.gif
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
  const walk = walkFlags(flags, format, out);
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
  if (walk) {
    const said = await drawWalk(model, walk, { out, format, seed, digit, columns, scale, classes });
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

/** What `sample` was asked for besides the walk: the output and the flags a walk uses. */
interface WalkOutput {
  out: string;
  format: "png" | "gif" | "idx";
  seed: number;
  digit: number | undefined;
  columns: number | undefined;
  scale: number | undefined;
  classes: number;
}

/** Draws a walk and writes it as a strip, a GIF or an IDX file; returns what it wrote in words. */
async function drawWalk(model: LayersModel, walk: Walk, o: WalkOutput): Promise<string> {
  const images = await sampleInterpolation(model, {
    steps: walk.steps,
    seeds: walk.seeds ?? o.seed,
    // Digit 0 by default: the class "--n 1" draws, so that the ends are its images.
    ...(o.classes ? { labels: walk.digits ?? o.digit ?? 0 } : {}),
  });
  if (o.format === "png") {
    await writePngGrid(o.out, images, { columns: o.columns ?? walk.steps, scale: o.scale ?? 1 });
  } else if (o.format === "gif") {
    const frames = imageFrames(images, o.scale ?? 4);
    await writeGif(o.out, frames, { delay: 150, holdDelay: 750, bounce: true });
  } else {
    await writeImagesIdx(o.out, images);
  }
  const z = walk.seeds ? `seeds ${walk.seeds.join(" → ")} by slerp` : `seed ${o.seed}`;
  const label = !o.classes
    ? ""
    : walk.digits
    ? `, digits ${walk.digits.join(" → ")}`
    : o.digit !== undefined
    ? `, digit ${o.digit}`
    : ", digit 0 by default: --digit D picks another";
  return `a walk of ${walk.steps} images (${z}${label})`;
}

/** `--from-digit` and `--to-digit` as flag names and values. */
function zipDigits(digits: [number, number] | undefined): [string, number][] {
  return digits ? [["from-digit", digits[0]], ["to-digit", digits[1]]] : [];
}
