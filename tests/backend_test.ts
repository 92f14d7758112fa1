import { equal, match, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { BackendUnavailableError, selectBackend } from "../src/backend/select.ts";
import { assertRejects, trainingTrace } from "./helpers.ts";

Deno.test("selectBackend('wasm') runs tf.js's WASM backend with SIMD", async () => {
  const selection = await selectBackend("wasm");
  equal(selection.name, "wasm");
  equal(tf.getBackend(), "wasm");
  match(selection.description, /^wasm \(SIMD, our kernels( with FMA)?, [12] threads?\)$/);
  const stock = await selectBackend("wasm", { kernels: "stock" });
  equal(stock.description, "wasm (SIMD, tf.js's kernels)");
  const one = await selectBackend("wasm", { threads: 1 });
  match(one.description, /^wasm \(SIMD, our kernels( with FMA)?, 1 thread\)$/);
  equal(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]), 5);
});

Deno.test("selectBackend('cpu') runs the plain JavaScript backend", async () => {
  const selection = await selectBackend("cpu");
  equal(selection.name, "cpu");
  equal(tf.getBackend(), "cpu");
  equal(selection.notices.length, 0);
});

Deno.test("selectBackend('auto') never lands on a software WebGPU adapter, and says why it passed one", async () => {
  const selection = await selectBackend("auto");
  equal(tf.getBackend(), selection.name);
  const gpu = (navigator as {
    gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean } } | null> };
  }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (adapter && !adapter.info?.isFallbackAdapter) {
    equal(selection.name, "webgpu");
  } else {
    equal(selection.name, "wasm");
    equal(selection.notices.length, 1);
    match(
      selection.notices[0],
      /^webgpu skipped: (navigator\.gpu is missing|no WebGPU adapter found|only a software \(fallback\) adapter)/,
    );
  }
});

Deno.test("selectBackend('webgpu') starts WebGPU where an adapter exists, else fails with a clear error", async () => {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (adapter) {
    // Even a software adapter runs tf.js's kernels: the Deno feature-list workaround works.
    const selection = await selectBackend("webgpu");
    equal(selection.name, "webgpu");
    const sum = await tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]))).data();
    equal([...sum].join(","), "3,3,3,3");
  } else {
    await assertRejects(
      () => selectBackend("webgpu"),
      BackendUnavailableError,
      'Backend "webgpu" is not available',
    );
  }
  await selectBackend("wasm");
  ok(tf.getBackend() === "wasm");
});

Deno.test("selectBackend rejects an unknown backend name", async () => {
  await assertRejects(
    () => selectBackend("tpu" as "cpu"),
    RangeError,
    "backend must be one of auto, webgpu, wasm, cpu",
  );
});

Deno.test("training gives the same losses on wasm, cpu and (where an adapter exists) webgpu", async () => {
  const { loadMnist } = await import("../src/data/mnist.ts");
  const data = await loadMnist({ limit: 128 });
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const backends = [
    "wasm",
    "cpu",
    ...((await gpu?.requestAdapter()) ? ["webgpu" as const] : []),
  ] as const;
  const losses: Record<string, number[]> = {};
  for (const backend of backends) {
    await selectBackend(backend);
    losses[backend] = await trainingTrace("lite", data, { epochs: 1, seed: 1 });
  }
  for (const backend of backends) {
    equal(losses[backend].length, 8);
    losses[backend].forEach((v, i) =>
      ok(Math.abs(v - losses.wasm[i]) < 1e-3, `${backend} [${i}]: ${v} vs ${losses.wasm[i]}`)
    );
  }
  await selectBackend("wasm");
});
