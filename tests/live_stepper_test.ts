/**
 * GAN Lab's stepper in the live hub, without training: the gate releases exactly one step per
 * request with the part asked for, slow motion releases steps no faster than its rate, the hub
 * reports a step taken by hand and its grid (throttled in slow motion), and `POST /api/control`
 * checks step and slow-motion messages (400 for a bad one, 409 for a run that cannot take it, 403
 * without the token beyond loopback).
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { type LiveEvent, LiveTraining } from "../src/serve/live.ts";
import { createHandler } from "../src/serve/server.ts";
import { MAX_QUEUED_STEPS, StepGate } from "../src/serve/step_gate.ts";
import type { StepInfo, StepPart } from "../src/train/options.ts";

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` has settled within `ms`, and its value if so. */
async function settled<T>(promise: Promise<T>, ms = 30): Promise<{ done: boolean; value?: T }> {
  const pending = Symbol("pending");
  const value = await Promise.race([promise, tick(ms).then(() => pending)]);
  return value === pending ? { done: false } : { done: true, value: value as T };
}

function stepInfo(globalStep: number): StepInfo {
  return {
    epoch: 1,
    epochs: 1,
    step: globalStep,
    stepsPerEpoch: 100,
    globalStep,
    lossD: 1 + globalStep / 100,
    lossG: 2,
    dReal: 0.6,
    dFake: 0.4,
    part: "both",
    augmentProbability: 0,
    ms: 1,
  };
}

Deno.test("StepGate: held, it lets exactly one step through per request, with its part, in order", async () => {
  const gate = new StepGate();
  await gate.wait();
  equal(gate.take(), undefined, "an open gate lets steps through with the schedule's part");
  gate.hold();
  const first = gate.wait();
  equal((await settled(first)).done, false, "a held gate let a step through unasked");
  equal(gate.take(), undefined);
  gate.stepOnce("discriminator");
  await first;
  deepEqual(gate.take(), { part: "discriminator", slow: false });
  const second = gate.wait();
  equal((await settled(second)).done, false, "one request let two steps through");
  gate.stepOnce("generator");
  gate.stepOnce("both");
  await second;
  deepEqual(gate.take(), { part: "generator", slow: false });
  equal(gate.queued, 1);
  await gate.wait();
  deepEqual(gate.take(), { part: "both", slow: false });
  equal(gate.queued, 0);
  const third = gate.wait();
  equal((await settled(third)).done, false);
  gate.open();
  await third;
  equal(gate.take(), undefined, "opening lets the run go on with the schedule's parts");
});

Deno.test("StepGate: slow motion releases steps of its part no faster than its rate, until held", async () => {
  const gate = new StepGate();
  gate.slowMotion({ part: "generator", rate: 10 });
  const started = performance.now();
  const parts = [];
  for (let i = 0; i < 5; i++) {
    await gate.wait();
    parts.push(gate.take());
  }
  const elapsed = performance.now() - started;
  deepEqual(parts, Array(5).fill({ part: "generator", slow: true }));
  // The first at once, then one every 100 ms: at least 400 ms for five (timers never fire early;
  // the upper bound only catches a gate that waits far too long, on a busy machine).
  ok(elapsed >= 395, `5 steps at 10/s in ${elapsed.toFixed(0)} ms`);
  ok(elapsed < 3000, `5 steps at 10/s in ${elapsed.toFixed(0)} ms`);
  deepEqual(gate.slow, { part: "generator", rate: 10 });
  const waiting = gate.wait();
  gate.hold();
  equal(gate.slow, null);
  equal((await settled(waiting, 250)).done, false, "a held gate went on in slow motion");
  gate.stepOnce("both");
  await waiting;
  deepEqual(gate.take(), { part: "both", slow: false });
  gate.open();
});

/** One step of a loop that calls the hub as trainGAN does: nextStep, the step, onStep. */
async function loopStep(live: LiveTraining, globalStep: number): Promise<string> {
  const part: StepPart = live.nextStep() ?? "both";
  await live.step({ ...stepInfo(globalStep), part });
  return part;
}

Deno.test("LiveTraining: a paused hub releases one step per request with the requested part and stays paused", async () => {
  const live = new LiveTraining({ flushMs: 5 });
  const events: LiveEvent[] = [];
  live.subscribe((e) => events.push(e));
  live.start({ preset: "tutorial", epochs: 1, stepsPerEpoch: 100 });
  equal(live.nextStep(), undefined, "a running hub must not choose parts");
  equal(live.step(stepInfo(1)), undefined, "a running hub must not make the loop wait");
  equal(live.pause(), "paused");
  // The loop's next step: the schedule's (pause comes after the step in flight), then it waits.
  let loop = loopStep(live, 2);
  equal((await settled(loop)).done, false, "a paused hub let the loop go on unasked");
  const parts = [];
  for (const [i, part] of (["discriminator", "generator", "both"] as const).entries()) {
    equal(live.stepOnce(part), "paused");
    await loop;
    loop = loopStep(live, 3 + i);
    equal((await settled(loop)).done, false, "one request let two steps through");
    parts.push(events.findLast((e) => e.type === "stepped")?.data);
    equal(live.state, "paused");
  }
  deepEqual(parts.map((s) => (s as { part: string }).part), ["discriminator", "generator", "both"]);
  deepEqual(parts.map((s) => (s as { globalStep: number }).globalStep), [3, 4, 5]);
  deepEqual(parts[0], {
    epoch: 1,
    step: 3,
    globalStep: 3,
    part: "discriminator",
    slow: false,
    lossD: 1.03,
    lossG: 2,
    dReal: 0.6,
    dFake: 0.4,
  });
  equal(events.filter((e) => e.type === "stepped").length, 3);
  // The stepped step's point went out before its own event, not flushMs later.
  const order = events.map((e) => e.type);
  ok(order.indexOf("steps") < order.indexOf("stepped"));
  equal(live.snapshot().stepped?.globalStep, 5);
  equal(live.snapshot().steppable, true);
  // Resume lets the waiting loop go on with the schedule's parts; stop does too, aborting.
  equal(live.resume(), "running");
  await loop;
  equal(await loopStep(live, 6), "both");
  live.pause();
  loop = loopStep(live, 7);
  equal(live.stop(), "stopping");
  await loop;
  ok(live.signal.aborted);
  live.finish();
  live.close();
});

Deno.test("LiveTraining: slow motion is a state of its own; the grid after a step is sent, throttled in slow motion", async () => {
  const live = new LiveTraining({ flushMs: 5, stepGridMs: 60_000 });
  const events: LiveEvent[] = [];
  live.subscribe((e) => events.push(e));
  live.start({ preset: "tutorial", epochs: 1, stepsPerEpoch: 100 });
  live.nextStep();
  live.pause();
  let waiting = live.step(stepInfo(1))!;
  const png = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
  let drawn = 0;
  const draw = () => Promise.resolve((drawn++, png));
  // Slow motion: a state of its own, with its part and rate; a grid at most every stepGridMs.
  equal(live.slowMotion({ part: "discriminator", rate: 10 }), "slow");
  const state = events.findLast((e) => e.type === "state")!.data as Record<string, unknown>;
  equal(state.state, "slow");
  deepEqual(state.slow, { part: "discriminator", rate: 10 });
  for (let step = 2; step <= 4; step++) {
    await waiting;
    equal(live.nextStep(), "discriminator");
    // trainRun's session draws the grid before it reports the step.
    await live.manualStep(stepInfo(step), draw);
    waiting = live.step(stepInfo(step))!;
  }
  equal(drawn, 1, "slow motion drew a grid within stepGridMs of the last");
  const grid = events.find((e) => e.type === "stepGrid")!.data as {
    globalStep: number;
    image: string;
  };
  equal(grid.globalStep, 2);
  match(grid.image, /^data:image\/png;base64,/);
  const decoded = Uint8Array.from(atob(grid.image.split(",")[1]), (c) => c.charCodeAt(0));
  deepEqual(decoded, png);
  deepEqual(live.snapshot().slow, { part: "discriminator", rate: 10 });
  equal(live.snapshot().stepped?.slow, true);
  // Changing the rate while slow tells pages.
  const before = events.length;
  equal(live.slowMotion({ part: "both", rate: 2 }), "slow");
  equal(events.slice(before).filter((e) => e.type === "state").length, 1);
  // A step asked for by itself (here in slow motion, which it pauses) always gets its grid.
  equal(live.stepOnce("generator"), "paused");
  await waiting;
  equal(live.nextStep(), "generator");
  await live.manualStep(stepInfo(5), draw);
  waiting = live.step(stepInfo(5))!;
  equal(drawn, 2);
  equal(live.snapshot().stepGrid?.globalStep, 5);
  equal(live.snapshot().slow, null);
  live.resume();
  await waiting;
  live.finish();
  live.close();
});

Deno.test("a loop without nextStep still pauses in onStep, and is not offered the stepper", async () => {
  const live = new LiveTraining({ flushMs: 5 });
  live.start({ preset: "tutorial", epochs: 1 });
  equal(live.steppable, true, "assumed steppable before its first step");
  live.step(stepInfo(1));
  equal(live.steppable, false);
  live.pause();
  const waiting = live.step(stepInfo(2));
  ok(waiting instanceof Promise);
  equal((await settled(waiting)).done, false);
  live.resume();
  await waiting;
  live.finish();
  live.close();
});

/** Posts a control message to a handler and returns the status and JSON answer. */
async function post(
  handler: (request: Request) => Promise<Response>,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; answer: { state?: string; error?: string } }> {
  const response = await handler(
    new Request("http://127.0.0.1:8000/api/control", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: response.status, answer: await response.json() };
}

Deno.test("POST /api/control checks step and slow messages: 400 says what is wrong", async () => {
  const live = new LiveTraining();
  const { handler } = createHandler({ hostname: "127.0.0.1", port: 8000, live });
  live.start({ preset: "tutorial", epochs: 1 });
  live.pause();
  const bad: [unknown, RegExp][] = [
    [
      { action: "step" },
      /"step" needs "part": "discriminator", "generator" or "both", got undefined/,
    ],
    [{ action: "step", part: "d" }, /needs "part".*got "d"/],
    [{ action: "step", part: ["both"] }, /needs "part"/],
    [{ action: "slow", part: "both" }, /"slow" needs "rate": steps per second from 0\.1 to 10/],
    [{ action: "slow", part: "both", rate: 0 }, /got 0$/],
    [{ action: "slow", part: "both", rate: 0.05 }, /from 0\.1 to 10, got 0\.05/],
    [{ action: "slow", part: "both", rate: 11 }, /got 11/],
    [{ action: "slow", part: "both", rate: "2" }, /got "2"/],
    [{ action: "slow", part: "both", rate: null }, /got null/],
    [{ action: "slow", rate: 2 }, /"slow" needs "part"/],
    [{ action: "pause", part: "both" }, /"pause" takes no "part"/],
    [{ action: "step", part: "both", rate: 2 }, /"step" takes no "rate"/],
    [
      { action: "jump" },
      /"action" must be "pause", "resume", "stop", "step" or "slow", got "jump"/,
    ],
    [{ action: "toString" }, /"action" must be/],
    [{}, /"action" must be/],
    [["step"], /must be a JSON object/],
    ["3", /must be a JSON object/],
  ];
  for (const [body, pattern] of bad) {
    const { status, answer } = await post(handler, body);
    equal(status, 400, JSON.stringify(body));
    match(answer.error!, pattern, JSON.stringify(body));
  }
  equal(live.queuedSteps, 0);
  equal(live.state, "paused");
  // Good messages.
  deepEqual(await post(handler, { action: "step", part: "discriminator" }), {
    status: 200,
    answer: { state: "paused" },
  });
  equal(live.queuedSteps, 1);
  for (const rate of [0.1, 2, 10]) {
    deepEqual(await post(handler, { action: "slow", part: "generator", rate }), {
      status: 200,
      answer: { state: "slow" },
    });
    deepEqual(live.snapshot().slow, { part: "generator", rate });
  }
  live.stop();
  live.finish();
  live.close();
});

Deno.test("POST /api/control refuses a step the run cannot take (409), and without the token beyond loopback (403)", async () => {
  const live = new LiveTraining();
  const { handler } = createHandler({ hostname: "127.0.0.1", port: 8000, live });
  const step = { action: "step", part: "both" };
  live.start({ preset: "tutorial", epochs: 1 });
  let refused = await post(handler, step);
  equal(refused.status, 409);
  equal(refused.answer.error, "pause the run before stepping it (it is running)");
  live.pause();
  for (let i = 0; i < MAX_QUEUED_STEPS; i++) equal((await post(handler, step)).status, 200);
  refused = await post(handler, step);
  equal(refused.status, 409);
  equal(refused.answer.error, `${MAX_QUEUED_STEPS} steps are waiting already`);
  live.stop();
  refused = await post(handler, { action: "slow", part: "both", rate: 1 });
  equal(refused.status, 409);
  match(refused.answer.error!, /slow motion needs a running or paused run \(it is stopping\)/);
  live.finish();
  live.close();

  // A loop that does not call nextStep cannot be stepped.
  const old = new LiveTraining();
  const oldServer = createHandler({ hostname: "127.0.0.1", port: 8000, live: old });
  old.start({ preset: "tutorial", epochs: 1 });
  old.step(stepInfo(1));
  old.pause();
  refused = await post(oldServer.handler, step);
  equal(refused.status, 409);
  match(refused.answer.error!, /cannot be stepped: .*nextStep/);
  old.resume();
  old.close();

  // Beyond loopback the stepper's messages need the token like the others.
  const open = new LiveTraining();
  const remote = createHandler({ hostname: "0.0.0.0", port: 8000, live: open });
  open.start({ preset: "tutorial", epochs: 1 });
  open.pause();
  for (const body of [step, { action: "slow", part: "both", rate: 1 }]) {
    equal((await post(remote.handler, body)).status, 403);
    equal((await post(remote.handler, body, { authorization: "Bearer nope" })).status, 403);
  }
  equal(open.state, "paused");
  equal(open.queuedSteps, 0);
  const auth = { authorization: `Bearer ${remote.token}` };
  equal((await post(remote.handler, step, auth)).status, 200);
  equal(open.queuedSteps, 1);
  open.stop();
  open.close();
});
