import { deepEqual, equal, ok } from "std/assert";
import { join } from "std/path";
import {
  CIFAR_RECORD_BYTES,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  decodeCifar,
  isCifarDir,
  loadCifar10,
} from "../src/data/cifar.ts";
import { DataFileError } from "../src/errors.ts";
import { assertRejects, assertThrows, oneLine, runCli } from "./helpers.ts";

/** A record whose planes encode (label, channel, position) so that the layout can be checked. */
function record(label: number, salt: number): Uint8Array {
  const r = new Uint8Array(CIFAR_RECORD_BYTES);
  r[0] = label;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (salt * 7 + c * 80 + p) % 256;
  }
  return r;
}

/** A CIFAR-10 directory of `perFile` records in each of the six files. */
async function cifarDir(perFile: number): Promise<string> {
  const dir = await Deno.makeTempDir();
  let salt = 0;
  for (const file of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]) {
    const bytes = new Uint8Array(perFile * CIFAR_RECORD_BYTES);
    for (let i = 0; i < perFile; i++) {
      bytes.set(record((salt + i) % 10, salt + i), i * CIFAR_RECORD_BYTES);
    }
    salt += perFile;
    await Deno.writeFile(join(dir, file), bytes);
  }
  return dir;
}

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

Deno.test("train --preset dcgan32 on a CIFAR-10 directory writes colour grids; without --data it says what it needs", async () => {
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
  const missing = await runCli(["train", "--preset", "dcgan32", "--out", join(dir, "x")]);
  equal(missing.code, 2);
  ok(oneLine(missing.stderr).includes("CIFAR-10's binary files"), missing.stderr);
  const evalOn = await runCli([
    "train",
    "--preset",
    "dcgan32",
    "--data",
    dir,
    "--eval-every",
    "1",
    "--out",
    join(dir, "y"),
  ]);
  ok(evalOn.code !== 0);
  ok(oneLine(evalOn.stderr).includes("28×28 grey digits"), evalOn.stderr);
  await Deno.remove(dir, { recursive: true });
});
