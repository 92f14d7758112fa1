/**
 * Hostile input: every command fed damaged files and bad flags. Each answer must be one line on
 * stderr naming the file or flag and the fault, an exit code other than 0, no stack trace, and no
 * change to anything on disk. The table "Bad input" of docs/cli.md lists these cases.
 *
 * The commands run in this process through `main` (as `cli.ts` runs them, without the process
 * start-up), and a sample of them as real processes with the narrow permissions of docs/cli.md.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { main } from "../src/cli/main.ts";
import { selectBackend } from "../src/backend/select.ts";
import { createGenerator } from "../src/models/create.ts";
import { saveModel } from "../src/io/model_files.ts";
import { crc32 } from "../src/train/run/checkpoint_codec.ts";
import { Random } from "../src/random.ts";
import { fakeIdx, makeMnistDir, oneLine, runCli } from "./helpers.ts";

/** Runs the CLI in this process; returns the exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Every file and directory under `dir`, with its size, time of change and inode (an atomic
 * replacement is a new inode). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const entry of Deno.readDir(d)) {
      const path = join(d, entry.name);
      const info = await Deno.stat(path);
      files.set(path, `${info.size} ${info.mtime?.getTime()} ${info.ino}`);
      if (entry.isDirectory) await walk(path);
    }
  };
  await walk(dir);
  return files;
}

/** Runs a case: one line naming `expected`, exit code 2, and the work tree unchanged. */
async function refuses(work: string, args: string[], expected: string | RegExp): Promise<string> {
  const before = await snapshot(work);
  const { code, stderr } = await cli(args);
  const what = args.join(" ");
  equal(code, 2, `${what}: exit code ${code}\n${stderr}`);
  const line = oneLine(stderr);
  ok(line.startsWith("error: "), `${what}: ${line}`);
  ok(
    typeof expected === "string" ? line.includes(expected) : expected.test(line),
    `${what}:\n  got      ${line}\n  expected ${expected}`,
  );
  deepEqual(await snapshot(work), before, `${what}: changed files on disk`);
  return line;
}

const write = (path: string, bytes: Uint8Array | string) =>
  typeof bytes === "string" ? Deno.writeTextFile(path, bytes) : Deno.writeFile(path, bytes);

/** A copy of the MNIST-format directory `from`, with one file replaced. */
async function dataWith(work: string, from: string, file: string, bytes: Uint8Array) {
  const dir = await Deno.makeTempDir({ dir: work, prefix: "data-" });
  for await (const entry of Deno.readDir(from)) {
    await Deno.copyFile(join(from, entry.name), join(dir, entry.name));
  }
  const plain = file.replace(/\.gz$/, "");
  await Deno.remove(join(dir, plain)).catch(() => {});
  await Deno.remove(join(dir, plain + ".gz")).catch(() => {});
  await write(join(dir, file), bytes);
  return dir;
}

await selectBackend("wasm");
const work = await Deno.makeTempDir({ prefix: "gan-hostile-" });
const data = await makeMnistDir({ train: 64, test: 16 });
const trainArgs = (dir: string, out = join(work, "never")) => [
  "train",
  "--preset",
  "tutorial",
  "--epochs",
  "1",
  "--batch-size",
  "16",
  "--data",
  dir,
  "--out",
  out,
];
const images = await Deno.readFile(join(data, "train-images-idx3-ubyte"));
const labels = await Deno.readFile(join(data, "train-labels-idx1-ubyte"));

Deno.test("hostile IDX files: truncated, bit-flipped headers, billions claimed, bad gzip", async () => {
  const random = new Random(11);
  const cases: [string, Uint8Array, string | RegExp][] = [];
  for (const cut of [0, 2, 3, 10, 15, 16, 100, images.length - 1]) {
    cases.push(["train-images-idx3-ubyte", images.slice(0, cut), /truncated/]);
  }
  for (const cut of [0, 7, labels.length - 1]) {
    cases.push(["train-labels-idx1-ubyte", labels.slice(0, cut), /truncated|holds \d+ labels/]);
  }
  // One bit flipped in each header byte: magic, type, rank, and every dimension.
  for (let at = 0; at < 16; at++) {
    const flipped = images.slice();
    flipped[at] ^= 1 << random.int(8);
    cases.push([
      "train-images-idx3-ubyte",
      flipped,
      /expected magic|not an IDX file|truncated|size mismatch|holds \d+ labels|images of \d+×\d+/,
    ]);
  }
  for (let at = 0; at < 8; at++) {
    const flipped = labels.slice();
    flipped[at] ^= 1 << random.int(8);
    cases.push([
      "train-labels-idx1-ubyte",
      flipped,
      /expected magic|not an IDX file|truncated|size mismatch|holds \d+ labels/,
    ]);
  }
  // Headers that claim billions of images, in 16 bytes: refused by size, nothing allocated.
  for (const dims of [[0xffffffff, 28, 28], [0x7fffffff, 0xffff, 0xffff], [4e9, 1, 1]]) {
    const header = new Uint8Array(16);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x803);
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
    cases.push(["train-images-idx3-ubyte", header, /truncated: header says/]);
    cases.push([
      "train-images-idx3-ubyte.gz",
      new Uint8Array(gzipSync(header)),
      /more than the 1073741824 read here|truncated: header says/,
    ]);
  }
  const gz = new Uint8Array(gzipSync(images));
  cases.push(["train-images-idx3-ubyte.gz", gz.slice(0, gz.length >> 1), /bad gzip data/]);
  const flippedGz = gz.slice();
  flippedGz[gz.length >> 1] ^= 0x10;
  cases.push(["train-images-idx3-ubyte.gz", flippedGz, /bad gzip data|size mismatch/]);
  // A gzip stream far longer than its header says (a "gzip bomb" in miniature).
  const bomb = new Uint8Array(16 + 64 * 28 * 28 + 50_000_000);
  bomb.set(images.subarray(0, 16));
  cases.push([
    "train-images-idx3-ubyte.gz",
    new Uint8Array(gzipSync(bomb)),
    /decompresses to more than the 50192 bytes its header declares/,
  ]);
  const rss = Deno.memoryUsage().rss;
  for (const [file, bytes, expected] of cases) {
    const dir = await dataWith(work, data, file, bytes);
    const line = await refuses(work, trainArgs(dir), expected);
    ok(line.includes(join(dir, file.replace(/\.gz$/, ""))), line);
  }
  ok(Deno.memoryUsage().rss - rss < 300e6, "a header's claim was allocated");

  // eval reads IDX files too.
  const samples = join(work, "eval");
  await Deno.mkdir(samples);
  const evalCases: [string, Uint8Array, string][] = [
    ["truncated.idx", images.slice(0, 500), "truncated"],
    ["labels.idx", labels, "expected magic 0x00000803, got 0x00000801"],
    ["billions.idx", images.slice(0, 16).map((b, i) => (i >= 4 && i < 8 ? 0xff : b)), "truncated"],
    ["small.idx", fakeIdx(4, 32, 1).images, "holds 32×32 images, the evaluator needs 28×28"],
    ["empty.idx", new Uint8Array(0), "truncated"],
  ];
  for (const [name, bytes] of evalCases) await write(join(samples, name), bytes);
  for (const [name, , expected] of evalCases) {
    await refuses(work, ["eval", join(samples, name)], `"${join(samples, name)}": ${expected}`);
  }
});

Deno.test("hostile model files: malformed model.json, missing or short weights, huge layers, wrong shapes", async () => {
  const good = join(work, "good-model");
  await saveModel(createGenerator({ preset: "tutorial", seed: 1 }), good);
  const json = JSON.parse(await Deno.readTextFile(join(good, "model.json")));
  const weightsName: string = json.weightsManifest[0].paths[0];
  const weights = await Deno.readFile(join(good, weightsName));
  const edit = (f: (j: typeof json) => void) => {
    const copy = structuredClone(json);
    f(copy);
    return JSON.stringify(copy);
  };
  const nan = weights.slice();
  new DataView(nan.buffer).setFloat32(8, NaN, true);
  const cases: [string, Record<string, Uint8Array | string>, string][] = [
    ["not JSON", { "model.json": "{ broken" }, "not valid JSON"],
    ["an array", { "model.json": "[]" }, "not a JSON object"],
    ["empty", { "model.json": " " }, "not valid JSON"],
    [
      "no topology",
      { "model.json": edit((j) => delete j.modelTopology) },
      "modelTopology is missing",
    ],
    [
      "no manifest",
      { "model.json": edit((j) => delete j.weightsManifest) },
      "weightsManifest is missing or empty",
    ],
    [
      "a path outside",
      { "model.json": edit((j) => j.weightsManifest[0].paths = ["../../etc/passwd"]) },
      "names a weight file outside the model directory",
    ],
    [
      "a negative shape",
      { "model.json": edit((j) => j.weightsManifest[0].weights[0].shape = [-1, 4]) },
      "is not a valid weight entry",
    ],
    ["weights missing", { [weightsName]: "" }, `weight file "${weightsName}": no such file`],
    [
      "weights short",
      { [weightsName]: weights.slice(0, 1000) },
      "holds 1000 bytes, the manifest needs",
    ],
    ["weights long", { [weightsName]: new Uint8Array(weights.length + 4) }, "the manifest needs"],
    ["NaN weights", { [weightsName]: nan }, "holds NaN or infinite values"],
    [
      "an unknown layer",
      {
        "model.json": edit((j) => j.modelTopology.config.layers[0].class_name = "Teleporter"),
      },
      "tf.js cannot build it",
    ],
    [
      "a layer of 300 million units",
      {
        "model.json": edit((j) =>
          j.modelTopology.config.layers.find((l: { class_name: string }) =>
            l.class_name === "Dense"
          ).config.units = 300_000_000
        ),
      },
      "its layers need more weights than the",
    ],
    [
      "not a layers model",
      { "model.json": edit((j) => j.format = "graph-model") },
      'format is "graph-model"',
    ],
  ];
  const rss = Deno.memoryUsage().rss;
  for (const [what, files, expected] of cases) {
    const dir = await Deno.makeTempDir({ dir: work, prefix: "model-" });
    await Deno.copyFile(join(good, "model.json"), join(dir, "model.json"));
    await Deno.copyFile(join(good, weightsName), join(dir, weightsName));
    for (const [name, bytes] of Object.entries(files)) {
      if (bytes === "") await Deno.remove(join(dir, name));
      else await write(join(dir, name), bytes);
    }
    for (
      const args of [
        ["sample", "--model", dir, "--out", join(work, "never.png")],
        ["eval", "--model", dir, "--n", "100"],
      ]
    ) {
      const line = await refuses(work, args, expected);
      ok(line.includes(`Cannot load model "${join(dir, "model.json")}"`), `${what}: ${line}`);
    }
  }
  ok(Deno.memoryUsage().rss - rss < 300e6, "a layer's claimed size was allocated");

  // Models of the wrong shape for sample and eval.
  const classifier = join(work, "classifier");
  const dense = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [8], units: 10, activation: "softmax" })],
  });
  await saveModel(dense, classifier);
  dense.dispose();
  const colour = join(work, "colour");
  const dcgan32 = createGenerator({ preset: "dcgan32", seed: 1 });
  await saveModel(dcgan32, colour);
  dcgan32.dispose();
  const run = join(work, "shapes-run");
  equal((await cli([...trainArgs(data, run)])).code, 0);
  await refuses(
    work,
    ["sample", "--model", classifier, "--out", join(work, "x.png")],
    "not a generator",
  );
  await refuses(
    work,
    ["sample", "--model", join(run, "discriminator"), "--out", join(work, "x.png")],
    "not a generator",
  );
  await refuses(work, ["eval", "--model", classifier], "not a generator");
  await refuses(
    work,
    ["eval", "--model", run, "--data", work],
    "--data applies to a colour generator",
  );
  await refuses(work, ["eval", "--model", colour, "--data", join(work, "nowhere")], "--data");
  await refuses(
    work,
    ["sample", "--model", run, "--digit", "3", "--out", join(work, "x.png")],
    "is not a conditional generator",
  );
  for (
    const walk of [["--from-digit", "3", "--to-digit", "8"], [
      "--interpolate",
      "1,2",
      "--digit",
      "3",
    ]]
  ) {
    await refuses(
      work,
      ["sample", "--model", run, ...walk, "--out", join(work, "x.png")],
      `--${walk[0] === "--interpolate" ? "digit" : "from-digit"}: ${
        join(run, "generator", "model.json")
      } is not a conditional generator`,
    );
  }
  const cond = join(work, "conditional");
  const cgan = createGenerator({ preset: "cgan", latentDim: 4, hiddenUnits: [8], seed: 1 });
  await saveModel(cgan, cond);
  cgan.dispose();
  for (
    const [walk, expected] of [
      [
        ["--from-digit", "12", "--to-digit", "3"],
        "--from-digit 12: the generator knows classes 0–9",
      ],
      [["--from-digit", "2", "--to-digit", "10"], "--to-digit 10: the generator knows classes 0–9"],
      [["--interpolate", "1,2", "--digit", "10"], "--digit 10: the generator knows classes 0–9"],
    ] as const
  ) {
    await refuses(
      work,
      ["sample", "--model", cond, ...walk, "--out", join(work, "x.gif")],
      expected,
    );
  }
  ok(tf.memory().numTensors < 1e6);
});

Deno.test("hostile checkpoints and run directories for --resume", async () => {
  const run = join(work, "run");
  equal((await cli([...trainArgs(data, run), "--checkpoint-every", "2"])).code, 0);
  const lite = join(work, "lite-run");
  equal(
    (await cli([
      "train",
      "--preset",
      "lite",
      "--epochs",
      "1",
      "--batch-size",
      "32",
      "--data",
      data,
      "--out",
      lite,
    ])).code,
    0,
  );
  const checkpoint = await Deno.readFile(join(run, "checkpoint.ckpt"));
  /** A copy of the run with some files replaced (or removed, for ""). */
  const runWith = async (files: Record<string, Uint8Array | string>) => {
    const dir = await Deno.makeTempDir({ dir: work, prefix: "resume-" });
    for (const name of ["config.json", "log.jsonl", "checkpoint.ckpt"]) {
      await Deno.copyFile(join(run, name), join(dir, name));
    }
    for (const [name, bytes] of Object.entries(files)) {
      if (bytes === "") await Deno.remove(join(dir, name));
      else await write(join(dir, name), bytes);
    }
    return dir;
  };
  const flipped = checkpoint.slice();
  flipped[checkpoint.length >> 1] ^= 4;
  const newer = checkpoint.slice();
  new DataView(newer.buffer).setUint32(8, 2, true);
  new DataView(newer.buffer).setUint32(newer.length - 4, crc32(newer.subarray(0, -4)), true);
  const empty = await Deno.makeTempDir({ dir: work, prefix: "empty-" });
  const file = join(work, "a-file");
  await write(file, "x");
  const cases: [string[], string | RegExp][] = [
    [
      ["--resume", join(work, "no-such-run")],
      `--resume ${join(work, "no-such-run")}: no such directory`,
    ],
    [["--resume", file], `--resume ${file}: not a directory`],
    [["--resume", empty], /cannot resume: no checkpoint\.ckpt, and config\.json: no such file/],
    [
      ["--resume", await runWith({ "checkpoint.ckpt": checkpoint.slice(0, 5000) })],
      /damaged|truncated/,
    ],
    [["--resume", await runWith({ "checkpoint.ckpt": checkpoint.slice(0, 10) })], "truncated"],
    [
      ["--resume", await runWith({ "checkpoint.ckpt": flipped })],
      "damaged: its checksum does not match",
    ],
    [["--resume", await runWith({ "checkpoint.ckpt": newer })], "format version 2"],
    [["--resume", await runWith({ "checkpoint.ckpt": "GANCKPT" })], "truncated"],
    [
      [
        "--resume",
        await runWith({ "checkpoint.ckpt": await Deno.readFile(join(lite, "checkpoint.ckpt")) }),
      ],
      "it is of preset lite, the run's config.json of preset tutorial",
    ],
    [
      ["--resume", run, "--preset", "lite"],
      `--preset lite: the run in ${run} is of preset tutorial`,
    ],
    [["--resume", run, "--lr", "0.1"], "--lr: a resumed run keeps its own settings"],
    [["--resume", run, "--out", join(work, "elsewhere")], "a resumed run stays in its directory"],
    [["--resume", run, "--epochs", "0"], '--epochs: expected an integer from 1 to 100000, got "0"'],
    [
      ["--resume", await runWith({ "checkpoint.ckpt": "", "config.json": "{ not json" })],
      /cannot resume: no checkpoint\.ckpt, and config\.json is not valid JSON/,
    ],
    [
      [
        "--resume",
        await runWith({ "checkpoint.ckpt": "", "config.json": '{"settings": {"preset": "huge"}}' }),
      ],
      /cannot resume: config\.json: settings\.training is missing/,
    ],
  ];
  for (const [args, expected] of cases) await refuses(work, ["train", ...args], expected);
  // The run's data changed since: refused, naming the checkpoint.
  const ownData = await makeMnistDir({ train: 64, test: 16 });
  const changed = join(work, "changed-data-run");
  equal((await cli([...trainArgs(ownData, changed)])).code, 0);
  await write(join(ownData, "train-images-idx3-ubyte"), fakeIdx(64, 28, 99).images);
  await refuses(work, ["train", "--resume", changed], "it was trained on other data");
});

/** `sample` with a PNG strip's flags, before a walk's. */
const WALK = ["sample", "--model", "m", "--out", "x.png"];

const FLAG_CASES: [string[], string][] = [
  [["train", "--preset", "huge"], "--preset: expected one of"],
  [["train", "--faithful=x"], "--faithful takes no value"],
  [["train", "--g-steps", "17"], "--g-steps: expected an integer from 1 to 16"],
  [["train", "--epochs", "-3"], "--epochs: expected an integer from 1 to 100000"],
  [["train", "--epochs", "1e9"], "--epochs: expected an integer"],
  [["train", "--batch-size", "0"], "--batch-size: expected an integer from 1 to 65536"],
  [["train", "--lr", "Infinity"], "--lr: expected a number in (0, 10]"],
  [["train", "--lr", "-1"], "--lr: expected a number in (0, 10]"],
  [["train", "--seed", "4294967296"], "--seed: expected an integer from 0 to 4294967295"],
  [["train", "--data", "no/such/dir"], "--data no/such/dir: no such directory"],
  [["train", "--limit", "0"], "--limit: expected an integer >= 1"],
  [["train", "--average", "1.5"], "--average: expected 0 (off) or a decay in (0, 1)"],
  [["train", "--out", ""], "--out: empty value"],
  [["train", "--force=1"], "--force takes no value"],
  [["train", "--backend", "tpu"], "--backend: expected one of auto, webgpu, wasm, cpu"],
  [["train", "--threads", "0"], "--threads: expected an integer from 1 to 2"],
  [["train", "--log-every", "0"], "--log-every: expected an integer >= 1"],
  [["train", "--eval-every", "x"], "--eval-every: expected an integer from 0 to 100000"],
  [["train", "--eval-samples", "5"], "--eval-samples: expected an integer from 10 to 100000"],
  [["train", "--stop-on-collapse=yes"], "--stop-on-collapse takes no value"],
  [["train", "--dry-run=1"], "--dry-run takes no value"],
  [["train", "--checkpoint-every", "-1"], "--checkpoint-every: expected an integer >= 0"],
  [["train", "--checkpoint-every", "often"], "--checkpoint-every: expected an integer >= 0"],
  [["train", "--on-nan", "ignore"], "--on-nan: expected one of stop, rollback"],
  [["train", "--resume", ""], "--resume: empty value"],
  [["train", "--resume"], "--resume: missing value"],
  [["train", "--wat"], "unknown flag --wat"],
  [["train", "stray"], 'unexpected argument "stray"'],
  [["sample", "--out", "x.png"], "--model is required"],
  [["sample", "--model", "m"], "--out is required"],
  [["sample", "--model", "m", "--out", "x.jpg"], "--out x.jpg: expected a file name ending in"],
  [["sample", "--model", "m", "--out", "x.gif"], "--out x.gif: a GIF shows a walk"],
  [[...WALK, "--interpolate", "3"], "--interpolate: expected two seeds A,B (integers from 0 to"],
  [[...WALK, "--interpolate", "a,b"], "--interpolate: expected two seeds A,B"],
  [[...WALK, "--interpolate", "1,2,3"], "--interpolate: expected two seeds A,B"],
  [[...WALK, "--interpolate", "1,4294967296"], "--interpolate: expected two seeds A,B"],
  [[...WALK, "--interpolate", "2,2"], "--interpolate 2,2: the two seeds are the same"],
  [
    [...WALK, "--interpolate", "1,2", "--steps", "0"],
    "--steps: expected an integer from 2 to 1000",
  ],
  [
    [...WALK, "--interpolate", "1,2", "--steps", "1"],
    "--steps: expected an integer from 2 to 1000",
  ],
  [[...WALK, "--interpolate", "1,2", "--steps", "1001"], "--steps: expected an integer from 2"],
  [[...WALK, "--steps", "5"], "--steps applies to --interpolate or --from-digit"],
  [[...WALK, "--from-digit", "3"], "--from-digit needs --to-digit"],
  [[...WALK, "--to-digit", "8"], "--to-digit needs --from-digit"],
  [[...WALK, "--from-digit", "3", "--to-digit", "3"], "the same digit (use --digit 3)"],
  [[...WALK, "--from-digit", "1000", "--to-digit", "3"], "--from-digit: expected an integer"],
  [[...WALK, "--interpolate", "1,2", "--seed", "4"], "--seed and --interpolate: the seeds are"],
  [[...WALK, "--interpolate", "1,2", "--n", "5"], "--n and --interpolate: --interpolate draws"],
  [[...WALK, "--from-digit", "3", "--to-digit", "8", "--n", "5"], "--n and --from-digit"],
  [[...WALK, "--interpolate", "1,2", "--by-class"], "--by-class and --interpolate: choose one"],
  [[...WALK, "--from-digit", "3", "--to-digit", "8", "--digit", "2"], "--digit and --from-digit"],
  [
    ["sample", "--model", "m", "--out", "x.gif", "--interpolate", "1,2", "--columns", "3"],
    "--columns and --interpolate: a GIF shows one image at a time",
  ],
  [["sample", "--model", "m", "--out", "no/dir/x.png"], "--out no/dir: no such directory"],
  [["sample", "--model", "m", "--out", "x.png", "--n", "0"], "--n: expected an integer"],
  [["sample", "--model", "m", "--out", "x.png", "--n", "20000"], "a PNG grid holds at most"],
  [["sample", "--model", "m", "--out", "x.png", "--seed", "-1"], "--seed: expected an integer"],
  [["sample", "--model", "m", "--out", "x.png", "--columns", "0"], "--columns: expected"],
  [["sample", "--model", "m", "--out", "x.png", "--scale", "65"], "--scale: expected"],
  [["sample", "--model", "m", "--out", "x.png", "--digit", "-1"], "--digit: expected"],
  [["sample", "--model", "m", "--out", "x.png", "--by-class=1"], "--by-class takes no value"],
  [["sample", "--model", "m", "--out", "x.png", "--backend", "gpu"], "--backend: expected one of"],
  [["sample", "--model", "no/such/run", "--out", "x.png"], 'Cannot load model "no/such/run"'],
  [["eval"], "give a FILE.idx or --model DIR"],
  [["eval", "a.idx", "b.idx"], "expected one FILE.idx, got 2 files"],
  [["eval", "a.idx", "--model", "m"], "not both"],
  [["eval", "a.idx", "--seed", "1"], "--seed applies to --model only"],
  [["eval", "--model", "m", "--n", "0"], "--n: expected an integer"],
  [["eval", "--model", "m", "--n", "3"], "--n 3: the evaluator needs at least 4 images"],
  [["eval", "--model", "m", "--k", "0"], "--k: expected an integer from 1 to 100"],
  [["eval", "--model", "m", "--backend", "x"], "--backend: expected one of"],
  [["eval", "--model", "m", "--json=1"], "--json takes no value"],
  [["eval", "no/such.idx"], 'Cannot read IDX file "no/such.idx": no such file'],
  [["bench", "--preset", "x"], "--preset: expected one of"],
  [["bench", "--recipe", "best"], "--recipe: expected one of original, trained"],
  [["bench", "--steps", "0"], "--steps: expected an integer from 1 to 100000"],
  [["bench", "--compare", "torch"], "--compare: expected one of all, pytorch, tfjs, none"],
  [["bench", "--threads", "4"], "--threads: expected an integer from 1 to 2"],
  [["bench", "--rounds", "0"], "--rounds: expected an integer from 1 to 100"],
  [["bench", "--json=1"], "--json takes no value"],
  [["serve", "--port", "70000"], "--port: expected an integer from 0 to 65535"],
  [["serve", "--port", "x"], "--port: expected an integer from 0 to 65535"],
  [["serve", "--host", "a b"], "--host: expected an address"],
  [["serve", "--model", "no/such/run"], "no/such/run"],
  [["serve", "--run", "no/such/run"], "no/such/run"],
  [["serve", "--bogus"], "unknown flag --bogus"],
  [["nope"], 'unknown command "nope"'],
];

Deno.test("every flag with a bad value: one line naming the flag, exit code 2, nothing written", async () => {
  const cwd = Deno.cwd();
  Deno.chdir(work);
  try {
    for (const [args, expected] of FLAG_CASES) await refuses(work, args, expected);
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("as real processes with the documented narrow permissions: one line, exit code 2, no stack trace", async () => {
  const truncated = await dataWith(work, data, "train-images-idx3-ubyte", images.slice(0, 99));
  const huge = await Deno.makeTempDir({ dir: work, prefix: "huge-" });
  await saveModel(createGenerator({ preset: "tutorial", seed: 1 }), huge);
  const json = JSON.parse(await Deno.readTextFile(join(huge, "model.json")));
  json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === "Dense")
    .config.units = 300_000_000;
  await write(join(huge, "model.json"), JSON.stringify(json));
  const damaged = join(work, "damaged-run");
  await Deno.mkdir(damaged);
  await write(join(damaged, "checkpoint.ckpt"), new Uint8Array(100));
  const cases: [string[], string[], RegExp][] = [
    [["--allow-read", `--allow-write=${work}`], trainArgs(truncated), /truncated/],
    [["--allow-read", `--allow-write=${work}`], [
      "sample",
      "--model",
      huge,
      "--out",
      join(work, "x.png"),
    ], /need more weights/],
    [["--allow-read"], ["eval", "--model", huge], /need more weights/],
    [
      ["--allow-read", `--allow-write=${damaged}`],
      ["train", "--resume", damaged],
      /not a checkpoint/,
    ],
    [["--allow-read"], ["bench", "--steps", "-5"], /--steps: expected/],
    [["--allow-read", "--allow-net=127.0.0.1:0"], ["serve", "--port", "99999"], /--port: expected/],
  ];
  for (const [permissions, args, expected] of cases) {
    const before = await snapshot(work);
    const { code, stderr } = await runCli(args, permissions);
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    const line = oneLine(stderr);
    ok(expected.test(line), `${args.join(" ")}: ${line}`);
    deepEqual(await snapshot(work), before);
  }
});
