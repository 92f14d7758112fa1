import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { CheckpointError } from "../src/errors.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { TensorAdam } from "../src/train/adam.ts";
import { crc32, decodeCheckpoint, encodeCheckpoint } from "../src/train/run/checkpoint_codec.ts";
import { readCheckpoint } from "../src/train/run/checkpoint_file.ts";
import { findNonFiniteWeight } from "../src/train/finite.ts";
import { createGenerator } from "../src/models/create.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { Random } from "../src/random.ts";
import { assertRejects, makeMnistDir } from "./helpers.ts";

await selectBackend("wasm");

const small = { hiddenUnits: [16] };

/** A short run of a small tutorial GAN into `out`; returns its result. */
async function smallRun(out: string, options: Parameters<typeof trainRun>[0] = {}) {
  const data = options.data ?? await loadMnist({ dir: await makeMnistDir({ train: 64 }) });
  return await trainRun({
    preset: "tutorial",
    generator: small,
    discriminator: small,
    epochs: 2,
    batchSize: 16,
    checkpointEvery: 2,
    // No averaged twin of G: the checks below read the one generator the run saves.
    average: 0,
    data,
    out,
    ...options,
  });
}

Deno.test("crc32 is the standard CRC-32", () => {
  equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("a checkpoint round-trips through bytes; every truncation and 200 random bit flips are refused, naming the file", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  await smallRun(out);
  const path = join(out, "checkpoint.ckpt");
  const bytes = await Deno.readFile(path);
  const checkpoint = decodeCheckpoint(bytes);
  deepEqual(encodeCheckpoint(checkpoint), bytes);
  equal(checkpoint.train.globalStep, 8);
  equal(checkpoint.train.step, 4);
  equal(checkpoint.settings.preset, "tutorial");
  equal(checkpoint.train.order.length, 64);

  const damaged = join(out, "damaged.ckpt");
  const random = new Random(3);
  const cuts = [0, 3, 8, 19, 20, 100, bytes.length >> 1, bytes.length - 4, bytes.length - 1];
  for (const cut of cuts) {
    await Deno.writeFile(damaged, bytes.slice(0, cut));
    const error = await assertRejects(() => readCheckpoint(damaged), CheckpointError, damaged);
    match(error.message, /truncated|not a checkpoint|damaged/, `cut at ${cut}`);
  }
  for (let i = 0; i < 200; i++) {
    const flipped = bytes.slice();
    const at = random.int(bytes.length);
    flipped[at] ^= 1 << random.int(8);
    await Deno.writeFile(damaged, flipped);
    const error = await assertRejects(() => readCheckpoint(damaged), CheckpointError, damaged);
    match(error.message, /damaged|not a checkpoint|format version|truncated/, `flip at ${at}`);
  }
  await assertRejects(
    () => readCheckpoint(join(out, "none.ckpt")),
    CheckpointError,
    "no such file",
  );
});

Deno.test("a checkpoint whose table claims huge arrays is refused before anything is allocated", () => {
  const header = new TextEncoder().encode(
    JSON.stringify({ arrays: [["f32", 0, 2 ** 40]], checkpoint: { $f32: 0 } }),
  );
  const bytes = new Uint8Array(Math.ceil((16 + header.length) / 8) * 8 + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("GANCKPT\0"));
  view.setUint32(8, 1, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, 16);
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  const before = Deno.memoryUsage().rss;
  let message = "";
  try {
    decodeCheckpoint(bytes);
  } catch (error) {
    message = (error as Error).message;
  }
  equal(message, "array 0 of its table lies outside the file");
  ok(Deno.memoryUsage().rss - before < 64e6);
});

Deno.test("TensorAdam without our kernel is tf.train.adam, bit for bit; its state exported and imported goes on identically", async () => {
  await selectBackend("cpu");
  const start = new Random(1), goal = new Random(2);
  const x0 = Float32Array.from({ length: 1001 }, () => start.uniform() - 0.5);
  const target = tf.tensor1d(Float32Array.from({ length: 1001 }, () => goal.uniform() - 0.5));
  const settings = { learningRate: 0.01, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 };
  const grads = (x: tf.Variable) =>
    tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, target))), [x]);
  // tf.js's own optimiser
  const xs = tf.variable(tf.tensor1d(x0));
  const stock = tf.train.adam(settings.learningRate, settings.beta1, settings.beta2, 1e-8);
  for (let i = 0; i < 20; i++) {
    const { value, grads: g } = grads(xs);
    stock.applyGradients(Object.entries(g).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose([value, ...Object.values(g)]);
  }
  // ours: 10 steps, its state into a new optimiser, 10 more
  const xo = tf.variable(tf.tensor1d(x0));
  let ours = new TensorAdam([xo], settings);
  for (let i = 0; i < 20; i++) {
    if (i === 10) {
      const state = ours.exportState();
      equal(state.steps, 10);
      ours.dispose();
      ours = new TensorAdam([xo], settings);
      ours.importState(state);
    }
    const { value, grads: g } = grads(xo);
    value.dispose();
    ours.apply(g);
  }
  deepEqual(xo.dataSync(), xs.dataSync());
  ours.dispose();
  stock.dispose();
  tf.dispose([xs, xo, target]);
  await selectBackend("wasm");
});

/** Puts NaN into a weight of the run in progress: the first variable made after `known` whose
 * name ends in `kind`. */
function poisonWeight(known: Set<string>, kind = "kernel"): string {
  const variables = tf.engine().registeredVariables;
  const pattern = new RegExp(`/${kind}(_\\d+)?$`);
  const name = Object.keys(variables).find((n) => !known.has(n) && pattern.test(n))!;
  const variable = variables[name];
  variable.assign(tf.fill(variable.shape, NaN));
  return name;
}

Deno.test("a NaN put into a weight is found at the next step: training stops naming the step and the weight; the last good checkpoint stays", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await selectBackend(backend);
    const out = join(await Deno.makeTempDir(), "run");
    const known = new Set(Object.keys(tf.engine().registeredVariables));
    let poisoned = "";
    // BatchNorm's moving mean: not used by a training step, so no loss shows the NaN.
    const { stoppedBy, warnings, checkpoint, result } = await smallRun(out, {
      preset: "standard",
      generator: { hiddenUnits: [16, 16] },
      discriminator: { hiddenUnits: [16, 16] },
      onStep: (info) => {
        if (info.globalStep === 5) poisoned = tf.tidy(() => poisonWeight(known, "moving_mean"));
      },
    });
    equal(stoppedBy, "non-finite", backend);
    equal(warnings.length, 1);
    equal(warnings[0].globalStep, 6, backend);
    equal(warnings[0].message, `non-finite weight ${poisoned} at step 6 (NaN)`);
    equal(result.steps, 6);
    // The last checkpoint is the one before the NaN (every 2 steps: step 4), and it is on disk.
    deepEqual(checkpoint, { epoch: 1, step: 4, globalStep: 4 });
    const saved = await readCheckpoint(join(out, "checkpoint.ckpt"));
    equal(saved.train.globalStep, 4);
    ok(saved.generator.every((w) => w.values.every(Number.isFinite)));
    ok(saved.discriminator.every((w) => w.values.every(Number.isFinite)));
  }
  await selectBackend("wasm");
});

Deno.test("a weight poisoned between a step and a checkpoint is refused at the checkpoint", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const { stoppedBy, warnings, checkpoint } = await smallRun(out, {
    evalEvery: 1,
    evaluator: (generator) => {
      generator.weights[0].write(tf.fill(generator.weights[0].shape as number[], Infinity));
      return Promise.resolve({
        fid: 1,
        is: 1,
        coverage: 10,
        precision: 1,
        recall: 1,
        confidence: 1,
        classShare: new Array(10).fill(0.1),
      });
    },
  });
  equal(stoppedBy, "non-finite");
  match(warnings[0].message, /non-finite weight .* at step 4 \(Infinity\)/);
  deepEqual(checkpoint, { epoch: 1, step: 2, globalStep: 2 });
  equal((await readCheckpoint(join(out, "checkpoint.ckpt"))).train.globalStep, 2);
});

Deno.test("onNan rollback: back to the last good checkpoint with half the learning rate, and on", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const known = new Set(Object.keys(tf.engine().registeredVariables));
  let done = false;
  const rollbacks: unknown[] = [];
  const run = await smallRun(out, {
    epochs: 3,
    onNan: "rollback",
    learningRate: 4e-4,
    onStep: (info) => {
      if (info.globalStep === 7 && !done) {
        done = true;
        tf.tidy(() => poisonWeight(known));
      }
    },
    onRollback: (r) => void rollbacks.push(r),
  });
  equal(run.stoppedBy, null);
  equal(run.rollbacks, 1);
  deepEqual(rollbacks, [{ fromStep: 8, toStep: 6, learningRate: 2e-4, rollbacks: 1 }]);
  equal(run.result.steps, 12);
  equal(run.result.epochs, 3);
  ok(
    run.generator.getWeights().every((w) => (w.dataSync() as Float32Array).every(Number.isFinite)),
  );
  const saved = await readCheckpoint(join(out, "checkpoint.ckpt"));
  equal(saved.learningRate, 2e-4);
  equal(saved.rollbacks, 1);
  const log = (await Deno.readTextFile(join(out, "log.jsonl"))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  deepEqual(log.filter((l) => l.kind === "rollback"), [
    { kind: "rollback", from_step: 8, to_step: 6, learning_rate: 2e-4, rollbacks: 1 },
  ]);
  // Without rollback the same poison stops the run.
  notEqual(run.result.steps, 8);
});

Deno.test("findNonFiniteWeight finds NaN and Infinity in any weight, on wasm and cpu", async () => {
  for (const backend of ["wasm", "cpu"] as const) {
    await selectBackend(backend);
    const generator = createGenerator({ preset: "tutorial", seed: 1 });
    equal(await findNonFiniteWeight([generator]), undefined);
    const last = generator.weights.at(-1)!;
    const shape = last.shape as number[];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    values[values.length - 1] = -Infinity;
    last.write(tf.tensor(values, shape));
    deepEqual(await findNonFiniteWeight([generator]), {
      name: last.name,
      value: -Infinity,
      index: values.length - 1,
    });
    generator.dispose();
  }
  await selectBackend("wasm");
});

/** Runs `mount`/`umount` (root only); whether it worked. */
async function run(command: string, ...args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stderr: "null", stdout: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** A small tmpfs at a new directory, where the machine lets us mount one (as root). */
async function smallDisk(kilobytes: number): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "gan-disk-" });
  if (await run("mount", "-t", "tmpfs", "-o", `size=${kilobytes}k`, "tmpfs", dir)) return dir;
  await Deno.remove(dir);
  return undefined;
}

const canMount = await (async () => {
  const dir = await smallDisk(64);
  if (dir) await run("umount", dir), await Deno.remove(dir);
  return dir !== undefined;
})();

Deno.test({
  name: "a full disk: a clear error naming the checkpoint, and the previous checkpoint intact",
  ignore: !canMount,
  fn: async () => {
    const disk = (await smallDisk(4096))!;
    try {
      const out = join(disk, "run");
      const error = await assertRejects(
        () =>
          smallRun(out, {
            onEpoch: async () => {
              // Fill the disk after epoch 1's models: its checkpoint finds no room.
              const filler = await Deno.open(join(disk, "filler"), { write: true, create: true });
              try {
                for (;;) await filler.write(new Uint8Array(65536));
              } catch {
                // full
              } finally {
                filler.close();
              }
            },
          }),
        CheckpointError,
        `Cannot write checkpoint "${join(out, "checkpoint.ckpt")}": no space left on device`,
      );
      match(error.message, /the previous checkpoint, if any, is intact/);
      const kept = await readCheckpoint(join(out, "checkpoint.ckpt"));
      equal(kept.train.globalStep, 2);
      deepEqual(
        [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.endsWith(".tmp")),
        [],
      );
    } finally {
      await run("umount", disk);
      await Deno.remove(disk, { recursive: true });
    }
  },
});

Deno.test({
  name: "a read-only run directory: resuming says so in one line, and the checkpoint stays intact",
  ignore: !canMount,
  fn: async () => {
    const disk = (await smallDisk(4096))!;
    try {
      const out = join(disk, "run");
      const data = await loadMnist({ dir: await makeMnistDir({ train: 64 }) });
      await smallRun(out, { data, epochs: 1 });
      const before = await Deno.readFile(join(out, "checkpoint.ckpt"));
      ok(await run("mount", "-o", "remount,ro", disk));
      const error = await assertRejects(
        () => trainRun({ out, resume: true, epochs: 2, data }),
        Error,
      );
      match(
        error.message,
        /Cannot use run directory ".*run": cannot write in it: read-only file system/,
      );
      deepEqual(await Deno.readFile(join(out, "checkpoint.ckpt")), before);
    } finally {
      await run("umount", disk);
      await Deno.remove(disk, { recursive: true });
    }
  },
});
