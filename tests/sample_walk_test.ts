/**
 * `sample --interpolate` and `sample --from-digit/--to-digit` from the command line: strips,
 * GIFs, and their ends checked against plain `sample` runs.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { selectBackend } from "../src/backend/select.ts";
import { saveModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import { decodeGif, runCli } from "./helpers.ts";

await selectBackend("wasm");
const work = await Deno.makeTempDir({ prefix: "gan-walk-" });
const plain = join(work, "plain");
await saveModel(createGenerator({ preset: "lite", seed: 1 }), plain);
const conditional = join(work, "conditional");
await saveModel(
  createGenerator({ preset: "cdcgan", latentDim: 8, hiddenUnits: [8, 4], seed: 2 }),
  conditional,
);

/** Runs `sample` and returns the decoded PNG it wrote. */
async function samplePng(args: string[], name: string) {
  const out = join(work, name);
  const { code, stdout, stderr } = await runCli(["sample", ...args, "--out", out]);
  equal(code, 0, stderr);
  return { png: decode(await Deno.readFile(out)), stdout };
}

/** The 28×28 tile at column `column`, row `row` of a grid with 2 pixels of padding. */
function tile(png: { width: number; data: ArrayLike<number> }, column: number, row = 0): number[] {
  const pixels: number[] = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      pixels.push(png.data[(2 + row * 30 + y) * png.width + 2 + column * 30 + x]);
    }
  }
  return pixels;
}

Deno.test("sample --interpolate 1,2 with --steps at its default: one row of 10, its ends sample --seed 1's and --seed 2's first images", async () => {
  const { png: strip, stdout } = await samplePng(
    ["--model", plain, "--interpolate", "1,2"],
    "strip.png",
  );
  ok(stdout.includes("wrote a walk of 10 images (seeds 1 → 2 by slerp)"), stdout);
  deepEqual([strip.width, strip.height], [2 + 10 * 30, 2 + 30]);
  const first = (await samplePng(["--model", plain, "--seed", "1"], "one.png")).png;
  const last = (await samplePng(["--model", plain, "--seed", "2"], "two.png")).png;
  deepEqual(tile(strip, 0), tile(first, 0));
  deepEqual(tile(strip, 9), tile(last, 0));
  ok(tile(strip, 4).some((v, i) => v !== tile(first, 0)[i]));
});

Deno.test("sample --from-digit 3 --to-digit 8 --seed 5: the ends are --digit 3 and --digit 8 with that seed", async () => {
  const { png: morph, stdout } = await samplePng(
    ["--model", conditional, "--from-digit", "3", "--to-digit", "8", "--seed", "5", "--steps", "4"],
    "morph.png",
  );
  ok(stdout.includes("(seed 5, digits 3 → 8)"), stdout);
  deepEqual([morph.width, morph.height], [2 + 4 * 30, 2 + 30]);
  const three = (await samplePng(
    ["--model", conditional, "--digit", "3", "--seed", "5", "--n", "1"],
    "three.png",
  )).png;
  const eight = (await samplePng(
    ["--model", conditional, "--digit", "8", "--seed", "5", "--n", "1"],
    "eight.png",
  )).png;
  deepEqual(tile(morph, 0), tile(three, 0));
  deepEqual(tile(morph, 3), tile(eight, 0));
  ok(tile(morph, 1).some((v, i) => v !== tile(three, 0)[i]));
  // A walk on a conditional model without --digit says which digit it drew.
  const walk = await runCli([
    "sample",
    "--model",
    conditional,
    "--interpolate",
    "1,2",
    "--out",
    join(work, "zero.png"),
  ]);
  ok(walk.stdout.includes("digit 0 by default: --digit D picks another"), walk.stdout);
});

Deno.test("sample --out walk.gif plays the strip forward and back at scale 4, the ends held", async () => {
  const out = join(work, "walk.gif");
  const { code, stderr } = await runCli([
    "sample",
    "--model",
    plain,
    "--interpolate",
    "3,4",
    "--steps",
    "5",
    "--out",
    out,
  ]);
  equal(code, 0, stderr);
  const gif = decodeGif(await Deno.readFile(out));
  deepEqual([gif.width, gif.height, gif.loops], [112, 112, 0]);
  deepEqual(gif.frames.map((f) => f.delay), [750, 150, 150, 150, 750, 150, 150, 150]);
  const { png: strip } = await samplePng(
    ["--model", plain, "--interpolate", "3,4", "--steps", "5"],
    "walk.png",
  );
  for (const [frame, image] of [[0, 0], [2, 2], [4, 4], [6, 2]]) {
    const rgba = gif.frames[frame].rgba;
    // Each image pixel is a 4×4 block; the block's top-left pixel is the strip's pixel.
    const pixels = Array.from(
      { length: 784 },
      (_, p) => rgba[4 * ((Math.floor(p / 28) * 4) * 112 + (p % 28) * 4)],
    );
    deepEqual(pixels, tile(strip, image), `frame ${frame}`);
  }
});

Deno.test("--help of sample and train documents the walks and the time-lapse", async () => {
  const sample = (await runCli(["sample", "--help"])).stdout;
  for (
    const flag of ["--interpolate A,B", "--from-digit D", "--to-digit E", "--steps N", "FILE.gif"]
  ) {
    ok(sample.includes(flag), flag);
  }
  ok((await runCli(["train", "--help"])).stdout.includes("samples/progress.gif"));
});
