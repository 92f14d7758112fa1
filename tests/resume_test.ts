/**
 * Training killed at random moments (SIGKILL) or stopped with Ctrl-C, then resumed, ends with the
 * same weights, byte for byte, as training that was never interrupted: on wasm (the direct step on
 * our kernels) and on cpu (tf.js's autograd and our Adam as tf.js operations).
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { decodeGif, makeMnistDir } from "./helpers.ts";
import { Random } from "../src/random.ts";
import { readCheckpoint, writeCheckpoint } from "../src/train/run/checkpoint_file.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** Starts `cli.ts` with the narrow permissions of docs/cli.md. */
function start(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout) + decode(stderr) };
}

async function logLines(run: string): Promise<number> {
  try {
    return (await Deno.readTextFile(join(run, "log.jsonl"))).split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** The bytes of the weights files of the run's models, by model. */
async function weights(run: string): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const role of ["generator", "discriminator"]) {
    const model = JSON.parse(await Deno.readTextFile(join(run, role, "model.json")));
    out[role] = await Deno.readFile(join(run, role, model.weightsManifest[0].paths[0]));
  }
  return out;
}

/** Checks that a resumed run's progress.gif has a frame per epoch and is the reference's. */
async function sameTimeLapse(run: string, reference: string, epochs: number): Promise<void> {
  const gif = await Deno.readFile(join(run, "samples", "progress.gif"));
  equal(decodeGif(gif).frames.length, epochs);
  deepEqual(gif, await Deno.readFile(join(reference, "samples", "progress.gif")));
}

const SETTINGS = {
  // The direct step on our kernels (2 threads where there are 2 cores).
  wasm: ["--preset", "lite", "--limit", "512", "--batch-size", "32"],
  // tf.js's autograd and tf.js-operation Adam: slower, so a smaller preset.
  cpu: ["--preset", "tutorial", "--limit", "256", "--batch-size", "16"],
};

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`[${backend}] killed (SIGKILL) at random moments and resumed, training ends with the same weights, byte for byte`, async () => {
    const data = await makeMnistDir({ train: 512, test: 10 });
    const work = await Deno.makeTempDir();
    const args = (out: string) => [
      "train",
      ...SETTINGS[backend],
      "--epochs",
      "2",
      "--checkpoint-every",
      "3",
      "--log-every",
      "1",
      "--data",
      data,
      "--backend",
      backend,
      "--out",
      out,
    ];
    const reference = join(work, "reference");
    const straight = await finish(start(args(reference)));
    equal(straight.code, 0, straight.out);
    const steps = (await Deno.readTextFile(join(reference, "log.jsonl"))).split("\n").length - 1;

    // Three kills at seeded random moments: when the log has reached a random length, plus a
    // random delay (a kill can land in a step, a checkpoint write, an epoch's saving).
    const random = new Random(backend === "wasm" ? 8 : 9);
    const run = join(work, "run");
    const targets = [0, 1, 2].map(() => 1 + random.int(steps - 2)).sort((a, b) => a - b);
    let child = start(args(run));
    let kills = 0;
    const resumedFrom: number[] = [];
    const resumePoint = (out: string) => {
      const step = out.match(/resuming .* \(step (\d+) of the run\)/)?.[1];
      if (step !== undefined) resumedFrom.push(Number(step));
    };
    for (const target of targets) {
      let exited = false;
      child.status.then(() => exited = true);
      while (!exited && (await logLines(run)) < target) {
        await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, random.int(20)));
      if (!exited) child.kill("SIGKILL");
      const { code, out } = await finish(child);
      ok(code === 0 || code === 137, `exit code ${code}: ${out}`);
      if (code === 137) kills++;
      resumePoint(out);
      child = start(["train", "--resume", run, "--backend", backend]);
    }
    const last = await finish(child);
    equal(last.code, 0, last.out);
    resumePoint(last.out);
    ok(kills >= 2, `${kills} kills landed`);
    // Resumed from checkpoints in the middle of training, not only from its start or end.
    ok(resumedFrom.some((step) => step > 0 && step < 2 * 16), `resumed from ${resumedFrom}`);
    // No temporary file of an interrupted write is left behind.
    for (const sub of ["", "generator", "discriminator", "samples"]) {
      const left = [...Deno.readDirSync(join(run, sub))].filter((e) => e.name.endsWith(".tmp"));
      deepEqual(left, [], `${sub}: ${left.map((e) => e.name)}`);
    }
    const [a, b] = [await weights(reference), await weights(run)];
    deepEqual(b.generator, a.generator, "generator weights differ");
    deepEqual(b.discriminator, a.discriminator, "discriminator weights differ");
    // The final checkpoints hold the same training state too.
    const [x, y] = [
      await readCheckpoint(join(reference, "checkpoint.ckpt")),
      await readCheckpoint(join(run, "checkpoint.ckpt")),
    ];
    deepEqual(y.train, x.train);
    await sameTimeLapse(run, reference, 2);
    await Deno.remove(work, { recursive: true });
    await Deno.remove(data, { recursive: true });
  });
}

Deno.test("Ctrl-C stops after the current step, writes a checkpoint, says how to resume; resuming ends where an uninterrupted run does", async () => {
  const data = await makeMnistDir({ train: 512, test: 10 });
  const work = await Deno.makeTempDir();
  const args = (out: string) => [
    "train",
    ...SETTINGS.wasm,
    "--epochs",
    "2",
    "--log-every",
    "1",
    "--data",
    data,
    "--backend",
    "wasm",
    "--out",
    out,
  ];
  const reference = join(work, "reference");
  equal((await finish(start(args(reference)))).code, 0);
  const run = join(work, "run");
  const child = start(args(run));
  while ((await logLines(run)) < 5) await new Promise((r) => setTimeout(r, 2));
  child.kill("SIGINT");
  const stopped = await finish(child);
  equal(stopped.code, 130, stopped.out);
  const said = stopped.out.match(
    /the last checkpoint \(epoch (\d), step (\d+)\) is in (.*checkpoint\.ckpt); resume with "train --resume (.*)"/,
  );
  if (!said) throw new Error(`no resume hint in:\n${stopped.out}`);
  const checkpoint = await readCheckpoint(join(run, "checkpoint.ckpt"));
  deepEqual([checkpoint.train.epoch, checkpoint.train.step], [Number(said[1]), Number(said[2])]);
  ok(checkpoint.train.step >= 5 && checkpoint.train.step < 16, `step ${checkpoint.train.step}`);
  equal(said[4], run);
  const resumed = await finish(start(["train", "--resume", run]));
  equal(resumed.code, 0, resumed.out);
  match(resumed.out, /resuming .* from epoch 1, step \d+/);
  deepEqual(await weights(run), await weights(reference));
  await sameTimeLapse(run, reference, 2);
  await Deno.remove(work, { recursive: true });
  await Deno.remove(data, { recursive: true });
});

Deno.test("resuming a run whose rollbacks lowered the learning rate says the rate it goes on at", async () => {
  const data = await makeMnistDir({ train: 512, test: 10 });
  const work = await Deno.makeTempDir();
  const run = join(work, "run");
  const first = await finish(start([
    "train",
    ...SETTINGS.wasm,
    "--epochs",
    "1",
    "--lr",
    "0.0002",
    "--g-lr",
    "0.0008",
    "--data",
    data,
    "--out",
    run,
  ]));
  equal(first.code, 0, first.out);
  const resumedAt = async (rate: number, epochs: number) => {
    const path = join(run, "checkpoint.ckpt");
    // Rollbacks are recorded as the checkpoint's own rate (5e-5: halved twice).
    await writeCheckpoint(path, { ...await readCheckpoint(path), learningRate: rate });
    const resumed = await finish(start(["train", "--resume", run, "--epochs", String(epochs)]));
    equal(resumed.code, 0, resumed.out);
    equal((await readCheckpoint(path)).learningRate, rate);
    return resumed.out;
  };
  const lowered = await resumedAt(5e-5, 2);
  match(lowered, /lr 0\.0002 \(G 0\.0008\)/);
  match(
    lowered,
    /notice: rollbacks lowered the learning rate: the run goes on at lr 0\.00005 \(G 0\.0002\)\n/,
  );
  const kept = await resumedAt(2e-4, 3);
  ok(!kept.includes("rollbacks lowered"), kept);
  await Deno.remove(work, { recursive: true });
  await Deno.remove(data, { recursive: true });
});
