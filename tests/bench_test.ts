import { deepEqual, equal, match, ok } from "node:assert/strict";
import { PEER_SCRIPT } from "../src/cli/bench/peer_script.ts";
import { kernelGroup } from "../src/cli/bench/profile.ts";
import { presetProducts } from "../src/cli/bench/step.ts";
import { ORIGINAL_PRESETS, PRESETS } from "../src/models/presets.ts";
import { runCli } from "./helpers.ts";

Deno.test("the embedded PyTorch peer is tools/peer/gan_mnist_torch.py", async () => {
  const source = await Deno.readTextFile(
    new URL("../tools/peer/gan_mnist_torch.py", import.meta.url),
  );
  ok(PEER_SCRIPT === source, "src/cli/bench/peer_script.ts is stale: run deno task build:peer");
});

Deno.test("the peer's presets and its --faithful changes are ours: BatchNorm, G updates, rates", () => {
  // PRESETS = { "name": dict(... g_bn=..., ... g_steps=N), ... }; SEED = { "name": dict(...) }
  const dicts = (name: string) => {
    const block = PEER_SCRIPT.match(new RegExp(`^${name} = \\{([\\s\\S]*?)\\}$`, "m"));
    if (!block) throw new Error(`${name} not found in the peer`);
    return new Map(
      [...block[1].matchAll(/"(\w+)": dict\(([^)]*)\)/g)].map(([, preset, body]) => [
        preset,
        Object.fromEntries([...body.matchAll(/(\w+)=([\w.-]+)/g)].map(([, k, v]) => [k, v])),
      ]),
    );
  };
  const peer = dicts("PRESETS"), seed = dicts("SEED");
  deepEqual([...peer.keys()], ["standard", "lite", "tutorial", "dcgan"]);
  for (const [name, base] of peer) {
    for (const faithful of [false, true]) {
      const ours = (faithful ? ORIGINAL_PRESETS : PRESETS)[name as keyof typeof PRESETS];
      const p = { ...base, ...(faithful ? seed.get(name) : {}) };
      const label = `${name}${faithful ? " --faithful" : ""}`;
      equal(Number(p.g_steps), ours.training.generatorSteps, `${label}: G updates`);
      equal(Number(p.batch), ours.training.batchSize, `${label}: batch`);
      equal(Number(p.lr), ours.training.learningRate, `${label}: learning rate`);
      equal(
        Number(p.g_lr ?? p.lr),
        ours.training.generatorLearningRate ?? ours.training.learningRate,
        `${label}: G's learning rate`,
      );
      // The convolutional generator always has BatchNorm; the MLPs say so.
      if (!base.conv) equal(p.g_bn === "True", ours.generator.batchNorm, `${label}: BatchNorm`);
    }
  }
});

Deno.test("presetProducts lists each distinct product of a training step once", () => {
  const products = presetProducts("standard");
  // 6 Dense layers wider than one unit, 3 products each, 12 distinct shapes.
  equal(products.length, 12);
  ok(
    products.some((p) =>
      p.m === 64 && p.k === 784 && p.n === 256 && !p.transposeA && !p.transposeB
    ),
  );
  ok(products.some((p) => p.m === 784 && p.k === 64 && p.n === 256 && p.transposeA));
  deepEqual(new Set(products.map((p) => JSON.stringify(p))).size, products.length);
});

Deno.test("bench --compare none --json ends with one JSON line: ours timed, no peer", async () => {
  const { code, stdout, stderr } = await runCli(
    [
      "bench",
      "--preset",
      "tutorial",
      "--steps",
      "4",
      "--rounds",
      "2",
      "--compare",
      "none",
      "--no-gflops",
      "--json",
    ],
    ["--allow-read", "--allow-run"],
  );
  equal(code, 0, stderr);
  const last = JSON.parse(stdout.trim().split("\n").pop()!);
  ok(last.ms_per_step > 0 && last.ms_per_step < 10_000);
  equal(last.peer_ms_per_step, null);
  equal(last.ratio, null);
  match(stderr, /ms\/step/);
});

Deno.test("bench --compare tfjs times stock tf.js-wasm and tf.js cpu next to ours", async () => {
  const { code, stdout } = await runCli(
    [
      "bench",
      "--preset",
      "tutorial",
      "--steps",
      "2",
      "--rounds",
      "1",
      "--compare",
      "tfjs",
      "--no-gflops",
    ],
    ["--allow-read", "--allow-run"],
  );
  equal(code, 0);
  match(stdout, /^ours: wasm \(SIMD, our kernels/m);
  match(stdout, /^stock tf\.js wasm +\d+\.\d+ +\d+\.\d+× (slower|faster)/m);
  match(stdout, /^tf\.js cpu +\d+\.\d+/m);
});

Deno.test("kernelGroup puts products, BatchNorm and Adam in their groups", () => {
  deepEqual(
    ["Conv2DBackpropFilter", "GanMatMul", "GanBatchNormTrainGrad", "AdamUpdate", "LeakyRelu"].map(
      kernelGroup,
    ),
    ["products", "products", "normalisation", "optimiser", "elementwise"],
  );
});

Deno.test("bench --profile: dcgan's step by kernel, the groups summing to the kernels' times", async () => {
  const { code, stdout, stderr } = await runCli(
    ["bench", "--preset", "dcgan", "--profile", "--steps", "1", "--json"],
    ["--allow-read", "--allow-run"],
  );
  equal(code, 0, stderr);
  const profile = JSON.parse(stdout.trim().split("\n").pop()!);
  equal(profile.kind, "autograd");
  ok(profile.ms_per_step > 0);
  const names = profile.kernels.map((k: { name: string }) => k.name);
  for (const name of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "AdamUpdate"]) {
    ok(names.includes(name), `${name} not profiled: ${names}`);
  }
  ok(!names.includes("forward"), "a customGrad scope was counted as a kernel");
  const kernelsMs = profile.kernels.reduce((s: number, k: { ms: number }) => s + k.ms, 0);
  const groupsMs = Object.values(profile.groups as Record<string, number>).reduce((s, v) => s + v);
  ok(Math.abs(kernelsMs - groupsMs) < 0.05 * kernelsMs + 0.1, `${kernelsMs} vs ${groupsMs}`);
  ok(profile.groups.products > profile.groups.optimiser, "convolutions cheaper than Adam?");
  match(stderr, /products .* ms/);
  match(stderr, /bookkeeping/);
});

Deno.test("bench --profile of the MLP's direct step says it runs no tf.js kernel", async () => {
  const { code, stdout, stderr } = await runCli(
    ["bench", "--preset", "tutorial", "--profile", "--steps", "2"],
    ["--allow-read", "--allow-run"],
  );
  equal(code, 0, stderr);
  match(stdout, /\(direct step\)/);
  match(stdout, /no tf\.js kernel/);
});
