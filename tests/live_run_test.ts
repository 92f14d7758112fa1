/**
 * The stepper end to end, on tiny real runs of the tutorial preset (256 MNIST digits): a page's
 * control messages over HTTP pause the run, step D only, G only and both, and stop it. Each step
 * taken by hand updates only the networks asked for (the other's weights are bit for bit those
 * before it; the reported `part` says so too), the grid after it is drawn from G's weights then
 * (the same after a D-only step, another after a G step), no step runs after a stop while paused,
 * and no tensor is left behind.
 *
 * @module
 */

import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { type LiveEvent, LiveTraining } from "../src/serve/live.ts";
import { startServer } from "../src/serve/server.ts";
import type { StepInfo } from "../src/train/options.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { trainGAN } from "../src/train/train.ts";
import type { LayersModel } from "../src/tf_types.ts";

/** The model's weights, copied out. */
const weightsOf = (model: LayersModel): number[][] =>
  model.getWeights().map((w) => Array.from(w.dataSync()));

/** Posts a control message and returns the state the server answers. */
async function control(url: string, message: unknown): Promise<string> {
  const response = await fetch(new URL("/api/control", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(message),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${response.status} ${answer.error}`);
  return answer.state;
}

/**
 * A step hook that records each step and knows when training waits in it: `waiting()` resolves
 * once the loop sits in the hook of a step after `after`.
 */
function watchedSteps(hook: (info: StepInfo) => Promise<void> | void) {
  const infos: StepInfo[] = [];
  let inHook: number | null = null;
  return {
    infos,
    onStep: async (info: StepInfo) => {
      infos.push(info);
      inHook = info.globalStep;
      try {
        await hook(info);
      } finally {
        inHook = null;
      }
    },
    async waiting(after: number): Promise<StepInfo> {
      const deadline = Date.now() + 60_000;
      while (inHook === null || inHook <= after) {
        if (Date.now() > deadline) throw new Error(`training never waited after step ${after}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return infos.at(-1)!;
    },
  };
}

Deno.test({
  name:
    "a page pauses a real run, steps D only, G only and both, and stops it: only the part asked for changes",
  sanitizeResources: false,
  async fn() {
    await selectBackend("wasm", { threads: 1 });
    const data = await loadMnist({ limit: 256 });
    const generator = createGenerator({ preset: "tutorial", seed: 1 });
    const discriminator = createDiscriminator({ preset: "tutorial", seed: 2 });
    const live = new LiveTraining({ flushMs: 5 });
    const server = await startServer({ port: 0, live });
    try {
      const hooks = live.hooks();
      const watched = watchedSteps(hooks.onStep);
      live.start({ preset: "tutorial", epochs: 1 });
      // Paused before training starts: the run takes its first step and waits after it.
      equal(await control(server.url, { action: "pause" }), "paused");
      const training = trainGAN(generator, discriminator, data, {
        epochs: 1,
        batchSize: 32,
        seed: 3,
        signal: hooks.signal,
        nextStep: hooks.nextStep,
        onStep: watched.onStep,
      });
      let at = await watched.waiting(0);
      equal(at.globalStep, 1);
      const tensors = tf.memory().numTensors;
      const taken: { part: string; g: boolean; d: boolean }[] = [];
      for (const part of ["discriminator", "generator", "both", "discriminator"] as const) {
        const g = weightsOf(generator), d = weightsOf(discriminator);
        equal(await control(server.url, { action: "step", part }), "paused");
        const info = await watched.waiting(at.globalStep);
        equal(info.globalStep, at.globalStep + 1, "one request, one step");
        equal(info.part, part);
        equal(live.state, "paused");
        taken.push({
          part: info.part,
          g: JSON.stringify(weightsOf(generator)) !== JSON.stringify(g),
          d: JSON.stringify(weightsOf(discriminator)) !== JSON.stringify(d),
        });
        at = info;
      }
      deepEqual(taken, [
        { part: "discriminator", g: false, d: true },
        { part: "generator", g: true, d: false },
        { part: "both", g: true, d: true },
        { part: "discriminator", g: false, d: true },
      ]);
      equal(tf.memory().numTensors, tensors, "stepping by hand leaks tensors");
      // The page's view of the last step: its part and its numbers.
      const stepped = live.snapshot().stepped!;
      equal(stepped.globalStep, at.globalStep);
      equal(stepped.part, "discriminator");
      equal(stepped.lossD, at.lossD);
      // Still paused: the loop takes no step on its own.
      await new Promise((r) => setTimeout(r, 150));
      equal(watched.infos.length, at.globalStep);
      equal(await control(server.url, { action: "stop" }), "stopping");
      const result = await training;
      live.finish(result.aborted);
      ok(result.aborted);
      equal(result.steps, at.globalStep, "a step ran after the stop");
    } finally {
      await server.shutdown();
      live.close();
      generator.dispose();
      discriminator.dispose();
    }
  },
});

Deno.test({
  name:
    "trainRun with the page's hub: each step by hand sends its grid, unchanged by a D-only step",
  sanitizeResources: false,
  async fn() {
    await selectBackend("wasm", { threads: 1 });
    const out = join(await Deno.makeTempDir(), "run");
    const live = new LiveTraining({ flushMs: 5 });
    const events: LiveEvent[] = [];
    live.subscribe((e) => events.push(e));
    const server = await startServer({ port: 0, root: out, live });
    try {
      const hooks = live.hooks();
      const watched = watchedSteps(hooks.onStep);
      live.start({ preset: "tutorial", epochs: 1, out });
      equal(await control(server.url, { action: "pause" }), "paused");
      const training = trainRun({
        preset: "tutorial",
        epochs: 1,
        dataLimit: 256,
        seed: 1,
        out,
        ...hooks,
        onStep: watched.onStep,
      });
      let at = await watched.waiting(0);
      const grids: { step: number; image: string }[] = [];
      for (const part of ["generator", "discriminator", "both"] as const) {
        await control(server.url, { action: "step", part });
        at = await watched.waiting(at.globalStep);
        const grid = events.findLast((e) => e.type === "stepGrid")?.data as {
          globalStep: number;
          image: string;
        };
        equal(grid?.globalStep, at.globalStep, `no grid after the ${part} step`);
        grids.push({ step: grid.globalStep, image: grid.image });
      }
      // Drawn from G's weights: a D-only step leaves the grid as it was, a step of both changes it.
      equal(grids[1].image, grids[0].image);
      notDeepEqual(grids[2].image, grids[1].image);
      ok(grids[0].image.startsWith("data:image/png;base64,iVBORw0KGgo"));
      // The run's log and curves go on as usual for steps taken by hand.
      equal(live.snapshot().progress.globalStep, at.globalStep);
      equal(await control(server.url, { action: "resume" }), "running");
      const run = await training;
      live.finish(run.result.aborted);
      equal(run.result.steps, 8);
      equal(events.filter((e) => e.type === "stepGrid").length, 3);
      equal(events.filter((e) => e.type === "stepped").length, 3);
    } finally {
      await server.shutdown();
      live.close();
    }
  },
});
