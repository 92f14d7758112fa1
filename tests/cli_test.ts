import { deepEqual, equal, match, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { readIdx } from "../src/data/idx_file.ts";
import { loadModel } from "../src/io/model_files.ts";
import { selectBackend } from "../src/backend/select.ts";
import { makeMnistDir, oneLine, runCli } from "./helpers.ts";
import { type Preset, PRESET_NAMES, PRESETS } from "../src/models/presets.ts";
import { TRAIN_HELP } from "../src/cli/train_flags.ts";

Deno.test("--help works for the tool and each command", async () => {
  for (
    const args of [["--help"], ["help"], ["train", "--help"], ["sample", "-h"], [
      "cifar10",
      "--help",
    ]]
  ) {
    const { code, stdout } = await runCli(args);
    equal(code, 0, args.join(" "));
    match(stdout, /Usage: cli\.ts/);
  }
  const version = await runCli(["--version"]);
  equal(version.code, 0);
  equal(
    version.stdout.trim(),
    JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).version,
  );
  const bare = await runCli([]);
  equal(bare.code, 2);
  match(bare.stdout, /Commands:/);
});

Deno.test("bad flags and values get one line naming the flag, exit code 2, no stack trace", async () => {
  const cases: [string[], string][] = [
    [["dance"], 'unknown command "dance"'],
    [["constructor"], 'unknown command "constructor"'],
    [["train", "--bogus"], "unknown flag --bogus"],
    [["train", "--epochs", "-3"], '--epochs: expected an integer from 1 to 100000, got "-3"'],
    [["train", "--epochs=abc"], '--epochs: expected an integer from 1 to 100000, got "abc"'],
    [["train", "--epochs"], "--epochs: missing value"],
    [["train", "--batch-size", "0"], '--batch-size: expected an integer from 1 to 65536, got "0"'],
    [["train", "--lr", "0"], '--lr: expected a number in (0, 10], got "0"'],
    [["train", "--lr", "fast"], '--lr: expected a number in (0, 10], got "fast"'],
    [["train", "--seed", "1.5"], "--seed: expected an integer"],
    [
      ["train", "--preset", "huge"],
      '--preset: expected one of quick, standard, lite, tutorial, dcgan, cgan, cdcgan, dcgan32, progan, progan32, stylegan, cstylegan, got "huge"',
    ],
    [
      ["train", "--backend", "tpu"],
      '--backend: expected one of auto, webgpu, wasm, cpu, got "tpu"',
    ],
    [["train", "--force=yes"], "--force takes no value"],
    [["train", "--spectral-norm=1"], "--spectral-norm takes no value"],
    [["train", "--threads", "3"], '--threads: expected an integer from 1 to 2, got "3"'],
    [["train", "--average", "1"], '--average: expected 0 (off) or a decay in (0, 1), got "1"'],
    [
      ["sample", "--model", "m", "--out", "x.png", "--digit", "2", "--by-class"],
      "--digit and --by-class: choose one",
    ],
    [["train", "--g-steps", "0"], '--g-steps: expected an integer from 1 to 16, got "0"'],
    [["train", "--g-lr", "fast"], '--g-lr: expected a number in (0, 10], got "fast"'],
    [
      ["train", "--loss", "wasserstein"],
      '--loss: expected one of ns, hinge, ls, wgan-gp, got "wasserstein"',
    ],
    [["train", "--gp", "-1"], '--gp: expected a number in (0, 1000000], got "-1"'],
    [["train", "--d-steps", "0"], '--d-steps: expected an integer from 1 to 100, got "0"'],
    [["train", "--r1", "much"], '--r1: expected a number in [0, 1000000] (0: none), got "much"'],
    [["train", "--r1-every", "1.5"], '--r1-every: expected an integer from 1 to 1000, got "1.5"'],
    [
      ["train", "--augment", "translation,flip"],
      '--augment: "flip" is not one of color, translation, cutout (comma-separated)',
    ],
    [
      ["train", "--augment", "cutout,cutout"],
      '--augment: "cutout,cutout" names an augmentation twice',
    ],
    [["train", "--ada"], "--ada: give the augmentations with --augment"],
    [
      ["train", "--preset", "dcgan", "--loss", "wgan-gp"],
      "GanStep: gradient penalties (wgan-gp, r1) need a discriminator without BatchNorm, which judges each image on its own",
    ],
    [["train", "--mixture", "10"], "--mixture 10: expected COMPONENTS,SCALE (e.g. 10,4) or none"],
    [["train", "--mixture", "1,4"], "--mixture 1,4: components must be an integer of at least 2"],
    [["train", "--mixture", "10,-1"], "--mixture 10,-1: scale must be a number above 0"],
    [
      ["train", "--preset", "lite", "--mixture", "65,4"],
      "--mixture 65,4: components must be an integer of at least 2 and at most the latent size 64",
    ],
    [
      ["train", "--eval-every", "-1"],
      '--eval-every: expected an integer from 0 to 100000, got "-1"',
    ],
    [
      ["train", "--eval-samples", "5"],
      '--eval-samples: expected an integer from 10 to 100000, got "5"',
    ],
    [["train", "--faithful=no"], "--faithful takes no value"],
    [["bench", "--recipe", "best"], '--recipe: expected one of original, trained, got "best"'],
    [
      ["bench", "--compare", "torch"],
      '--compare: expected one of all, pytorch, tfjs, none, got "torch"',
    ],
    [["bench", "--steps", "0"], '--steps: expected an integer from 1 to 100000, got "0"'],
    [["train", "extra"], 'unexpected argument "extra"'],
    [["train", "--data", "no/such/dir"], "--data no/such/dir: no such directory"],
    [
      ["sample", "--n", "abc", "--model", "m", "--out", "x.png"],
      '--n: expected an integer from 1 to 100000, got "abc"',
    ],
    [
      ["sample", "--n", "20000", "--model", "m", "--out", "x.png"],
      "--n 20000: a PNG grid holds at most 10000 images",
    ],
    [
      ["sample", "--n", "0", "--model", "m", "--out", "x.idx"],
      '--n: expected an integer from 1 to 100000, got "0"',
    ],
    [
      ["sample", "--model", "m", "--out", "x.png", "--columns", "-1"],
      '--columns: expected an integer from 1 to 10000, got "-1"',
    ],
    [["train", "--limit", "0"], '--limit: expected an integer >= 1, got "0"'],
    [["train", "--log-every", "x"], '--log-every: expected an integer >= 1, got "x"'],
    [["sample", "--out", "x.png"], "--model is required"],
    [["sample", "--model", "m"], "--out is required"],
    [
      ["sample", "--model", "m", "--out", "x.jpg"],
      "--out x.jpg: expected a file name ending in .png, .gif, .idx or .idx.gz",
    ],
    [
      ["sample", "--model", "m", "--out", "no/such/dir/x.png"],
      "--out no/such/dir: no such directory",
    ],
    [
      ["sample", "--model", "no/such/run", "--out", "x.png"],
      'Cannot load model "no/such/run": no such file or directory',
    ],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runCli(args);
    equal(code, 2, `${args.join(" ")}: ${stderr}`);
    const line = oneLine(stderr);
    ok(line.startsWith("error: ") && line.includes(message), `${args.join(" ")}: ${line}`);
  }
});

Deno.test("train then sample from the command line, with the narrow permissions", async () => {
  const data = await makeMnistDir({ train: 64 });
  const work = await Deno.makeTempDir();
  const run = join(work, "run");
  const train = await runCli([
    "train",
    "--preset",
    "tutorial",
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--seed",
    "1",
    "--data",
    data,
    "--out",
    run,
    "--backend",
    "wasm",
    "--log-every",
    "2",
  ]);
  equal(train.code, 0, train.stderr);
  match(train.stdout, /backend: wasm \(SIMD, our kernels( with FMA)?, [12] threads?\)/);
  // Not a terminal: one plain line per epoch.
  equal(train.stdout.match(/^\[\d\/2\]\[4\/4\] loss_d \d+\.\d+ loss_g/mg)?.length, 2);
  match(train.stdout, /done: 2 epochs, 8 steps/);
  for (
    const file of [
      "config.json",
      "log.jsonl",
      "loss.svg",
      "samples/epoch-002.png",
      "samples/progress.gif",
      "generator/model.json",
      "discriminator/model.json",
    ]
  ) {
    ok((await Deno.stat(join(run, file))).isFile, file);
  }

  const png = await runCli([
    "sample",
    "--model",
    run,
    "--n",
    "10",
    "--seed",
    "2",
    "--columns",
    "5",
    "--out",
    join(work, "s.png"),
  ]);
  equal(png.code, 0, png.stderr);
  const image = decode(await Deno.readFile(join(work, "s.png")));
  deepEqual([image.width, image.height], [2 + 5 * 30, 2 + 2 * 30]);

  const idx = await runCli([
    "sample",
    "--model",
    join(run, "generator"),
    "--n",
    "10",
    "--seed",
    "2",
    "--out",
    join(work, "s.idx"),
  ]);
  equal(idx.code, 0, idx.stderr);
  const samples = await readIdx(join(work, "s.idx"), { magic: 0x803 });
  deepEqual(samples.shape, [10, 28, 28]);
  // The PNG grid and the IDX file hold the same images: the first tile equals the first sample.
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      equal(image.data[(2 + y) * image.width + 2 + x], samples.data[y * 28 + x]);
    }
  }

  // A second run into the same directory is refused, and nothing there changes.
  const before = await Deno.readFile(join(run, "generator", "model.json"));
  const again = await runCli(["train", "--preset", "tutorial", "--data", data, "--out", run]);
  equal(again.code, 2);
  match(oneLine(again.stderr), /exists and is not empty/);
  deepEqual(await Deno.readFile(join(run, "generator", "model.json")), before);
});

Deno.test("train --eval-every evaluates, logs the metrics and keeps the best generator", async () => {
  const data = await makeMnistDir({ train: 64 });
  const run = join(await Deno.makeTempDir(), "run");
  const train = await runCli([
    "train",
    "--preset",
    "standard",
    "--faithful",
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--data",
    data,
    "--out",
    run,
    "--eval-every",
    "1",
    "--eval-samples",
    "200",
  ]);
  equal(train.code, 0, train.stderr);
  match(train.stdout, /the original recipe as written/);
  equal(
    train.stdout.match(
      /^\[\d\] eval: FID \d+\.\d+ \(floor \d+\.\d+\) KID -?\d+\.\d+ IS \d+\.\d+ coverage \d+\/10/mg,
    )?.length,
    2,
  );
  match(train.stdout, /the best generator \(epoch [12], FID \d+\.\d+\) is in /);
  ok((await Deno.stat(join(run, "best", "model.json"))).isFile);
  const evals = (await Deno.readTextFile(join(run, "log.jsonl"))).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((l) => l.kind === "eval");
  deepEqual(evals.map((e) => e.epoch), [1, 2]);
  for (const e of evals) {
    ok(e.fid > 0 && e.samples === 200 && e.class_share.length === 10, JSON.stringify(e));
  }
  const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
  equal(config.settings.faithful, true);
  equal(config.settings.generator.batchNorm, false);
  equal(config.settings.training.generatorSteps, 1);
});

Deno.test("train --mixture gives the generator its prior: recorded, saved, shown, sampled from", async () => {
  const data = await makeMnistDir({ train: 32 });
  const work = await Deno.makeTempDir();
  const trained = async (name: string, mixture: string) => {
    const run = join(work, name);
    const args = ["--preset", "tutorial", "--epochs", "1", "--batch-size", "16", "--seed", "1"];
    const train = await runCli([
      "train",
      ...args,
      "--mixture",
      mixture,
      "--data",
      data,
      "--out",
      run,
    ]);
    equal(train.code, 0, train.stderr);
    const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
    const model = JSON.parse(await Deno.readTextFile(join(run, "generator", "model.json")));
    const png = join(work, `${name}.png`);
    const sampled = await runCli([
      "sample",
      "--model",
      run,
      "--n",
      "16",
      "--seed",
      "3",
      "--out",
      png,
    ]);
    equal(sampled.code, 0, sampled.stderr);
    return {
      stdout: train.stdout,
      recorded: config.settings.generator.latentMixture,
      saved: model.userDefinedMetadata.latentMixture,
      grid: await Deno.readFile(png),
    };
  };
  const mixed = await trained("mixed", "8,3");
  match(mixed.stdout, /z from 8 Gaussians 3 from the origin/);
  deepEqual(mixed.recorded, { components: 8, scale: 3 });
  deepEqual(mixed.saved, { components: 8, scale: 3 });
  const plain = await trained("plain", "none");
  equal(plain.recorded, undefined);
  equal(plain.saved, undefined);
  ok(!/Gaussians/.test(plain.stdout));
  // The same training seed: only the prior differs, and the samples show it.
  notDeepEqual(mixed.grid, plain.grid);
});

Deno.test("train --spectral-norm: shown, recorded, kept by --resume; the saved discriminator is normalised", async () => {
  const data = await makeMnistDir({ train: 32 });
  const run = join(await Deno.makeTempDir(), "run");
  const args = ["--preset", "dcgan", "--batch-size", "16", "--seed", "1", "--data", data];
  const train = await runCli(["train", ...args, "--epochs", "1", "--spectral-norm", "--out", run]);
  equal(train.code, 0, train.stderr);
  match(train.stdout, /spectral norm in D/);
  const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
  equal(config.settings.training.spectralNorm, true);
  const resumed = await runCli(["train", "--resume", run, "--epochs", "2"]);
  equal(resumed.code, 0, resumed.stderr);
  match(resumed.stdout, /spectral norm in D/);
  // The saved discriminator's last kernel (one unit: σ is its length) is normalised.
  await selectBackend("cpu");
  const { model } = await loadModel(run, "discriminator");
  const logit = model.getLayer("d_logit").getWeights()[0];
  ok(Math.abs(Math.hypot(...logit.dataSync()) - 1) < 1e-4);
  model.dispose();
  const plain = await runCli(["train", ...args, "--epochs", "1", "--out", `${run}-plain`]);
  equal(plain.code, 0, plain.stderr);
  ok(!/spectral/.test(plain.stdout));
  equal(
    JSON.parse(await Deno.readTextFile(join(`${run}-plain`, "config.json"))).settings.training
      .spectralNorm,
    false,
  );
});

Deno.test("train --loss, --r1, --augment, --ada: shown, recorded, kept by --resume, logged", async () => {
  const data = await makeMnistDir({ train: 64 });
  const run = join(await Deno.makeTempDir(), "run");
  const args = ["--preset", "tutorial", "--batch-size", "16", "--seed", "1", "--data", data];
  const train = await runCli([
    "train",
    ...args,
    "--epochs",
    "1",
    "--loss",
    "hinge",
    "--r1",
    "2",
    "--r1-every",
    "4",
    "--augment",
    "translation,cutout",
    "--ada",
    "--log-every",
    "1",
    "--out",
    run,
  ]);
  equal(train.code, 0, train.stderr);
  match(train.stdout, /loss hinge \(R1 γ 2 every 4, adaptive augment translation\+cutout\)/);
  const { training } = JSON.parse(await Deno.readTextFile(join(run, "config.json"))).settings;
  deepEqual(
    [training.loss, training.r1, training.r1Every, training.augment, training.ada],
    ["hinge", 2, 4, ["translation", "cutout"], true],
  );
  const steps = (await Deno.readTextFile(join(run, "log.jsonl"))).trim().split("\n")
    .map((line) => JSON.parse(line)).filter((r) => r.kind === "step");
  ok(steps.length === 4 && steps.every((r) => typeof r.augment_p === "number"));
  const resumed = await runCli(["train", "--resume", run, "--epochs", "2"]);
  equal(resumed.code, 0, resumed.stderr);
  match(resumed.stdout, /loss hinge \(R1 γ 2 every 4, adaptive augment translation\+cutout\)/);
  const wgan = await runCli([
    "train",
    ...args,
    "--epochs",
    "1",
    "--loss",
    "wgan-gp",
    "--out",
    `${run}-w`,
  ]);
  equal(wgan.code, 0, wgan.stderr);
  match(wgan.stdout, /lr 0\.0001, loss wgan-gp \(λ 10, 5 D updates a G update\)/);
});

Deno.test("damaged inputs get one line naming the file, exit code 2, and nothing on disk changes", async () => {
  const data = await makeMnistDir({ train: 32 });
  const images = join(data, "train-images-idx3-ubyte");
  const bytes = await Deno.readFile(images);
  await Deno.writeFile(images, bytes.slice(0, 1000));
  const work = await Deno.makeTempDir();
  const truncated = await runCli(["train", "--data", data, "--out", join(work, "r1")]);
  equal(truncated.code, 2);
  match(
    oneLine(truncated.stderr),
    new RegExp(`Cannot read IDX file ".*train-images-idx3-ubyte": truncated`),
  );

  await Deno.writeFile(images, bytes);
  const run = join(work, "r2");
  equal(
    (await runCli([
      "train",
      "--preset",
      "tutorial",
      "--epochs",
      "1",
      "--batch-size",
      "16",
      "--data",
      data,
      "--out",
      run,
    ])).code,
    0,
  );
  const modelJson = join(run, "generator", "model.json");
  await Deno.writeTextFile(modelJson, "{ broken");
  const corrupt = await runCli(["sample", "--model", run, "--out", join(work, "s.png")]);
  equal(corrupt.code, 2);
  match(oneLine(corrupt.stderr), /Cannot load model ".*model\.json": not valid JSON/);
  equal(await Deno.readTextFile(modelJson), "{ broken");
  ok(!(await exists(join(work, "s.png"))));

  const notGenerator = await runCli([
    "sample",
    "--model",
    join(run, "discriminator"),
    "--out",
    join(work, "s.png"),
  ]);
  equal(notGenerator.code, 2);
  match(oneLine(notGenerator.stderr), /not a generator/);
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("a missing permission is one line naming the flag, before any work", async () => {
  const none = await runCli(["train", "--dry-run"], []);
  equal(none.code, 2);
  match(oneLine(none.stderr), /needs read access: run Deno with --allow-read/);
  const readOnly = await runCli(["sample", "--model", "m", "--out", "x.png"], ["--allow-read"]);
  equal(readOnly.code, 2);
  match(oneLine(readOnly.stderr), /needs write access to x\.png/);
});

Deno.test("train --help gives every preset's own defaults, read from its data", () => {
  // Each flag's "(default: a, b X; c Y; the others Z)" as printed, against the preset's data.
  const fromPreset: Record<string, (preset: Preset) => string | number> = {
    epochs: (p) => p.training.epochs,
    "batch-size": (p) => p.training.batchSize,
    lr: (p) => p.training.learningRate,
    "g-steps": (p) => p.training.generatorSteps,
    limit: (p) => p.training.dataLimit ?? "all",
    average: (p) => p.training.average ?? 0,
    mixture: (p) =>
      p.generator.latentMixture
        ? `${p.generator.latentMixture.components},${p.generator.latentMixture.scale}`
        : "none",
  };
  for (const [flag, value] of Object.entries(fromPreset)) {
    const block = TRAIN_HELP.split(/\n(?= {2}--)/).find((b) => b.startsWith(`  --${flag} `));
    ok(block, `--${flag} is in train --help`);
    const text = block.replace(/\s+/g, " ").match(/\(default: ([^)]*)\)/)?.[1];
    ok(text, `--${flag} has a default in train --help: ${block}`);
    const printed = new Map<string, string>();
    let others: string | undefined;
    for (const part of text.split("; ")) {
      // One value for all reads "(default: 64)".
      const [, names, shown] = part.match(/^(.*) (\S+)$/) ?? [part, "the others", part];
      if (names === "the others") others = shown;
      else for (const name of names.split(", ")) printed.set(name, shown);
    }
    for (const name of PRESET_NAMES) {
      const shown = printed.get(name) ?? others;
      equal(shown, String(value(PRESETS[name])), `train --help's --${flag} default for ${name}`);
    }
  }
});
