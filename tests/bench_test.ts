import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { BENCH_HELP } from "../src/cli/bench.ts";
import {
  CONV_PASSES,
  convGflop,
  type ConvShape,
  convTensors,
  presetConvs,
  runConvPass,
} from "../src/cli/bench/convs.ts";
import { findPeerPython, runPeer } from "../src/cli/bench/peer.ts";
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

/** A Python with torch here, or undefined: the PyTorch parts of the tests below need one. */
const peer = await findPeerPython();
const python = "python" in peer ? peer.python : undefined;

Deno.test("presetConvs reads each distinct convolution from the models: cdcgan's D sees 1 + 10 channels", async () => {
  await selectBackend("cpu");
  const convs = presetConvs();
  const key = (c: ConvShape) => `${c.x.join("×")} * ${c.filter.join("×")} -> ${c.y.join("×")}`;
  deepEqual(convs.map(key), [
    "64×14×14×64 * 4×4×64×128 -> 64×7×7×128",
    "64×28×28×1 * 4×4×1×64 -> 64×14×14×64",
    "64×28×28×11 * 4×4×11×64 -> 64×14×14×64",
    "64×8×8×128 * 4×4×128×256 -> 64×4×4×256",
    "64×16×16×64 * 4×4×64×128 -> 64×8×8×128",
    "64×32×32×3 * 4×4×3×64 -> 64×16×16×64",
  ]);
  for (const c of convs) deepEqual([c.strides, c.padding], [[2, 2], "same"]);
  // G's transposed convolutions run the strided convolution's passes: the same shape.
  deepEqual(convs[0].uses, ["dcgan: g_deconv_1, d_conv_2", "cdcgan: g_deconv_1, d_conv_2"]);
  deepEqual(convs[2].uses, ["cdcgan: d_conv_1"]);
  deepEqual(presetConvs(["dcgan"]).map((c) => c.name), [
    "14×14×64 → 7×7×128",
    "28×28×1 → 14×14×64",
  ]);
  equal(convGflop(convs[0]), (2 * 64 * 7 * 7 * 4 * 4 * 64 * 128) / 1e9);
});

Deno.test("runConvPass's gradients are tf.js autograd's of the forward pass", async () => {
  await selectBackend("cpu");
  const shape: ConvShape = {
    name: "9×8×3 → 5×4×5",
    x: [2, 9, 8, 3],
    filter: [4, 4, 3, 5],
    y: [2, 5, 4, 5],
    strides: [2, 2],
    padding: "same",
    uses: [],
  };
  const t = convTensors(shape, 3);
  const [y, dx, dw] = CONV_PASSES.map((pass) => runConvPass(shape, pass, t));
  deepEqual([y.shape, dx.shape, dw.shape], [shape.y, shape.x, shape.filter]);
  // d/dx and d/dw of sum(conv(x, w) · dy)
  const loss = (x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same"), t.dy));
  const [gx, gw] = tf.grads(loss)([t.x, t.filter]);
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  ok(maxDiff(dx, gx) < 1e-4, `input gradient off by ${maxDiff(dx, gx)}`);
  ok(maxDiff(dw, gw) < 1e-3, `filter gradient off by ${maxDiff(dw, gw)}`);
  ok(maxDiff(y, tf.conv2d(t.x, t.filter, 2, "same")) === 0);
  tf.dispose([y, dx, dw, gx, gw, ...Object.values(t)]);
});

Deno.test("bench --convs --json: dcgan's two shapes, each pass's ms and GFLOPS, PyTorch's where found", async () => {
  const { code, stdout, stderr } = await runCli(
    ["bench", "--convs", "--preset", "dcgan", "--steps", "1", "--rounds", "1", "--json"],
    ["--allow-read", "--allow-run"],
  );
  equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  deepEqual(result.convs.map((c: ConvShape) => c.name), [
    "14×14×64 → 7×7×128",
    "28×28×1 → 14×14×64",
  ]);
  equal(result.runs, 1);
  for (const conv of result.convs) {
    deepEqual(Object.keys(conv.passes), ["forward", "input_gradient", "filter_gradient"]);
    for (const p of Object.values(conv.passes) as Record<string, number>[]) {
      ok(p.ms > 0 && p.ms < 10_000, `ms ${p.ms}`);
      ok(Math.abs(p.gflops - conv.gflop / p.ms * 1e3) < 0.01 * p.gflops, `GFLOPS ${p.gflops}`);
      if (!python) continue;
      ok(p.peer_ms > 0 && p.peer_ms < 10_000, `PyTorch's ms ${p.peer_ms}`);
      ok(Math.abs(p.ratio - p.ms / p.peer_ms) < 0.01 * p.ratio, `ratio ${p.ratio}`);
    }
  }
  match(stderr, /^ {2}pass +ours ms +GFLOPS/m);
  if (python) {
    match(result.peer, /^pytorch \d/);
    match(stderr, /^ {2}filter gradient +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/m);
  } else {
    equal(result.peer, null);
    match(stderr, /PyTorch peer: no Python with torch/);
  }
});

Deno.test({
  name: "the peer's convs mode refuses a shape whose output is not ours",
  ignore: !python,
  async fn() {
    const shape = {
      name: "wrong",
      x: [2, 8, 8, 3],
      filter: [4, 4, 3, 5],
      stride: [2, 2],
      padding: [1, 1],
      y: [2, 5, 5, 5],
    };
    const args = ["convs", "--shapes", JSON.stringify([shape]), "--runs", "1", "--json"];
    await rejects(runPeer(python!, args), /PyTorch's output is \[2, 4, 4, 5\] \(NHWC\)/);
    const right = JSON.parse(
      await runPeer(python!, [
        "convs",
        "--shapes",
        JSON.stringify([{ ...shape, y: [2, 4, 4, 5] }]),
        "--runs",
        "1",
        "--json",
      ]),
    );
    ok(right.convs[0].filter_gradient_ms > 0);
  },
});

Deno.test("bench --help lists --convs; --convs refuses a preset without convolutions", async () => {
  match(BENCH_HELP, /^ {2}--convs +each convolution of dcgan, cdcgan and dcgan32/m);
  const { code, stderr } = await runCli(
    ["bench", "--convs", "--preset", "standard", "--compare", "none"],
    ["--allow-read"],
  );
  equal(code, 2);
  match(stderr, /--preset standard: has no convolutions \(--convs times dcgan, cdcgan, dcgan32\)/);
});
