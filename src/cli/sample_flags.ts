/**
 * `sample`'s flags: one table ({@linkcode SAMPLE_FLAGS}) that the parser and `--help` read, its
 * help text, and the checks of the flags that ask for a walk (`--interpolate`, `--from-digit`,
 * `--to-digit`, `--steps`) or a style-mixing grid (`--mix`, `--rows`, `--cols`, `--crossover`).
 *
 * @module
 */

import { STYLE_RANGES, type StyleRange } from "../sample/style.ts";
import { type Flags, intFlag } from "./args.ts";
import { UsageError } from "./errors.ts";
import { type FlagTable, optionsHelp } from "./flag_table.ts";

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
export interface Walk {
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
export function walkFlags(flags: Flags, format: string, out: string): Walk | undefined {
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
export interface Mix {
  /** `--mix A,B`: the rows' seed and the columns'. */
  seeds: [number, number];
  /** `--rows N`, `--cols N`. */
  rows: number;
  cols: number;
  /** `--crossover K` or `--crossover coarse|middle|fine`; the generator's default when absent. */
  crossover?: number | StyleRange;
}

/** `--mix A,B` and the flags that go with it, checked; `undefined` without `--mix`. */
export function mixFlags(flags: Flags, format: string, out: string): Mix | undefined {
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
