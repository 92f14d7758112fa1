/**
 * Our WASM kernels against tf.js's cpu backend (an independent implementation), on random shapes.
 * Each test prints the largest error it saw.
 */

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { kernelThreads, setKernelThreads } from "../src/backend/kernels/pool.ts";
import {
  fmaSupport,
  heapKernels,
  setKernelFlavour,
  type WasmBackendInternals,
} from "../src/backend/kernels/module.ts";
import { isShared, withSharedMemory } from "../src/backend/kernels/shared_heap.ts";
import { fusedBatchNormCall } from "../src/backend/kernels/batch_norm.ts";
import {
  KERNELS_FMA_MT_WASM_BASE64,
  KERNELS_FMA_WASM_BASE64,
  KERNELS_MT_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "../src/backend/kernels/kernels_wasm.ts";
import { KERNELS } from "../src/backend/kernels/abi.ts";
import { abiHeader } from "../tools/kernels/abi_header.ts";
import { Random } from "../src/random.ts";
import { TensorAdam } from "../src/train/adam.ts";
import { both, maxError, trainingTrace } from "./helpers.ts";

const random = new Random(33);
const randomValues = (n: number, scale = 1) =>
  Array.from(random.fillNormal(new Float32Array(n)), (v) => v * scale);
const randomInt = (lo: number, hi: number) => lo + random.int(hi - lo + 1);

Deno.test("matMul on our kernel matches the cpu backend: every transpose case, batches, random shapes", async () => {
  let worst = 0;
  const shapes = [[1, 1, 1], [64, 784, 256], [128, 256, 1], [784, 64, 256], [3, 600, 5]];
  for (let i = 0; i < 12; i++) shapes.push([randomInt(1, 70), randomInt(1, 300), randomInt(1, 70)]);
  for (const [m, k, n] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const batch = m * n * k > 1e6 ? 1 : randomInt(1, 3);
        const a = randomValues(batch * m * k), b = randomValues(batch * k * n);
        const { cpu, ours } = await both(() =>
          tf.matMul(
            tf.tensor3d(a, ta ? [batch, k, m] : [batch, m, k]),
            tf.tensor3d(b, tb ? [batch, n, k] : [batch, k, n]),
            ta,
            tb,
          )
        );
        worst = Math.max(worst, maxError(ours, cpu));
      }
    }
  }
  console.log(`matMul: max error ${worst.toExponential(2)} (relative, absolute below 1)`);
  ok(worst < 1e-4);
});

Deno.test("fused matMul (bias + linear, relu, relu6, leaky ReLU) on our kernel matches the cpu backend", async () => {
  let worst = 0;
  for (const activation of ["linear", "relu", "relu6", "leakyrelu"] as const) {
    for (let i = 0; i < 4; i++) {
      const [m, k, n] = [randomInt(1, 70), randomInt(1, 200), randomInt(1, 70)];
      const ta = random.uniform() < 0.5, tb = random.uniform() < 0.5;
      const a = randomValues(m * k), b = randomValues(k * n, 0.3), bias = randomValues(n);
      const { cpu, ours } = await both(() =>
        tf.fused.matMul({
          a: tf.tensor2d(a, ta ? [k, m] : [m, k]),
          b: tf.tensor2d(b, tb ? [n, k] : [k, n]),
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(bias),
          activation,
          leakyreluAlpha: 0.2,
        })
      );
      worst = Math.max(worst, maxError(ours, cpu));
    }
  }
  console.log(`fused matMul: max error ${worst.toExponential(2)}`);
  ok(worst < 1e-4);
});

Deno.test("two threads give bit-identical products to one", async () => {
  await selectBackend("wasm", { threads: 1 });
  const a = tf.tensor2d(randomValues(96 * 500), [96, 500]),
    b = tf.tensor2d(randomValues(500 * 300), [500, 300]);
  const bias = tf.tensor1d(randomValues(300));
  const run = () => [
    tf.matMul(a, b).dataSync(),
    tf.matMul(b, a, true, true).dataSync(),
    tf.fused.matMul({ a, b, bias, activation: "relu" }).dataSync(),
  ];
  const one = run();
  await setKernelThreads(2);
  // In Deno, tf.js's heap is shared and the worker computes on it.
  const threads = kernelThreads(heapKernels(tf.backend()));
  const two = run();
  await setKernelThreads(1);
  console.log(`threads in use: ${threads}`);
  equal(threads, 2);
  deepEqual(two, one);
  tf.dispose([a, b, bias]);
});

Deno.test("fused BatchNorm in training mode matches tf.js's layer on the cpu backend: output, moving statistics, gradients", async () => {
  let worst = 0;
  for (const [rows, cols] of [[64, 256], [7, 13], [2, 1], [128, 3]]) {
    // Per-column offsets and scales, as pre-activations have.
    const x = randomValues(rows * cols).map((v, i) => v * (1 + (i % 5)) + 0.1 * (i % cols));
    const gamma = randomValues(cols), beta = randomValues(cols), dy = randomValues(rows * cols);
    const layerRun = (fused: boolean) => {
      const layer = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
      layer.build([null, cols]);
      layer.setWeights([
        tf.tensor1d(gamma),
        tf.tensor1d(beta),
        tf.zeros([cols]),
        tf.ones([cols]),
      ]);
      const call = fused
        ? fusedBatchNormCall(layer)!
        : (t: tf.Tensor) => layer.call(t, { training: true }) as tf.Tensor;
      const input = tf.tensor2d(x, [rows, cols]);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(call(input), tf.tensor2d(dy, [rows, cols]))),
        vars,
      );
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(call(t), tf.tensor2d(dy, [rows, cols]))))(
        input,
      );
      const y = call(input);
      const [, , movingMean, movingVariance] = layer.getWeights();
      return [y, dx, ...vars.map((v) => grads[v.name]), movingMean, movingVariance, value];
    };
    const { cpu } = await both(() => layerRun(false));
    const { ours } = await both(() => layerRun(true));
    worst = Math.max(worst, maxError(ours, cpu));
  }
  console.log(`fused batchNorm: max error ${worst.toExponential(2)}`);
  ok(worst < 1e-4, `${worst}`); // float32 rounding: two summation orders of 64 rows
  ok(tf.getKernel("GanBatchNormTrain", "wasm") !== undefined);
});

Deno.test("withSharedMemory declares a module's memory shared and leaves the rest alone", () => {
  // (module (memory 1 5) (export "memory" (memory 0)))
  const module = new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    5,
    4,
    1,
    1,
    1,
    5,
    7,
    10,
    1,
    6,
    109,
    101,
    109,
    111,
    114,
    121,
    2,
    0,
  ]);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(module)).exports;
  ok(!((plain.memory as WebAssembly.Memory).buffer instanceof SharedArrayBuffer));
  const shared = withSharedMemory(module)!;
  const memory = new WebAssembly.Instance(new WebAssembly.Module(shared as BufferSource)).exports
    .memory as WebAssembly.Memory;
  ok(memory.buffer instanceof SharedArrayBuffer);
  equal(memory.buffer.byteLength, 65536);
  memory.grow(4);
  throws(() => memory.grow(1)); // the maximum (5 pages) is kept
  equal(withSharedMemory(shared), undefined); // already shared
  equal(withSharedMemory(module.subarray(0, 8)), undefined); // no memory
  ok(isShared((tf.backend() as unknown as WasmBackendInternals).wasm.asm.memory));
});

Deno.test("Add, leading-axis Sum, Tanh and Identity on our kernels match the cpu backend", async () => {
  const x = randomValues(4 * 5 * 6 * 7, 3), y = randomValues(4 * 5 * 6 * 7);
  const cases: [string, () => tf.Tensor, number][] = [
    ["add", () => tf.add(tf.tensor4d(x, [4, 5, 6, 7]), tf.tensor4d(y, [4, 5, 6, 7])), 0],
    ["sum over leading axes", () => tf.sum(tf.tensor4d(x, [4, 5, 6, 7]), [0, 1, 2]), 1e-5],
    ["sum, keepDims", () => tf.sum(tf.tensor3d(x, [20, 6, 7]), [0, 1], true), 1e-5],
    ["sum over axis 0 of 2D", () => tf.sum(tf.tensor2d(x, [120, 7]), 0), 1e-5],
    ["sum over the last axis (tf.js's kernel)", () => tf.sum(tf.tensor2d(x, [120, 7]), 1), 1e-5],
    [
      "tanh",
      () =>
        tf.tanh(tf.tensor1d([...x, 0, -0, 1e-30, 0.5, -0.5, 9, -9, 20, Infinity, -Infinity, NaN])),
      3e-7,
    ],
    ["identity", () => tf.clone(tf.tensor1d(x)), 0],
    [
      "leakyRelu",
      () => tf.leakyRelu(tf.tensor1d([...x, 0, -0, NaN, Infinity, -Infinity]), 0.2),
      2e-7,
    ], // the cpu backend multiplies by α in float64
  ];
  for (const [name, f, tolerance] of cases) {
    const { cpu, ours } = await both(f);
    const error = maxError(ours, cpu);
    console.log(`${name}: max error ${error.toExponential(2)}`);
    ok(error <= tolerance, `${name}: ${error}`);
  }
});

Deno.test("tanh is within 2 ulp of the exact value over its whole range", async () => {
  await selectBackend("wasm", { threads: 1 });
  const xs = Float32Array.from({ length: 200_001 }, (_, i) => (i - 100_000) / 5000);
  const got = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync());
  let worst = 0;
  const ulp = (v: number) => {
    const f = new Float32Array([Math.abs(v)]);
    new Int32Array(f.buffer)[0]++;
    return f[0] - Math.abs(v) || 1e-45;
  };
  xs.forEach((
    x,
    i,
  ) => (worst = Math.max(worst, Math.abs(got[i] - Math.tanh(x)) / ulp(Math.fround(Math.tanh(x))))));
  console.log(`tanh: max error ${worst.toFixed(2)} ulp`);
  ok(worst <= 2);
});

Deno.test("activation and BatchNorm gradients on our kernels match the cpu backend", async () => {
  const x = randomValues(8 * 12), dy = randomValues(8 * 12);
  const mean = randomValues(12, 0.1), variance = randomValues(12).map((a) => 1 + Math.abs(a));
  const scale = randomValues(12), offset = randomValues(12);
  const gradOf = (f: (t: tf.Tensor) => tf.Tensor) => () =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.tensor2d(dy, [8, 12]))))(
      tf.tensor2d(x, [8, 12]),
    );
  const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ["leakyRelu", gradOf((t) => tf.leakyRelu(t, 0.2))],
    ["relu", gradOf((t) => tf.relu(t))],
    ["tanh", gradOf((t) => tf.tanh(t))],
    [
      "batchNorm (x, mean, variance, scale, offset)",
      () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNorm(a, b, c, e, d, 1e-3), tf.tensor2d(dy, [8, 12])))
        )([
          tf.tensor2d(x, [8, 12]),
          tf.tensor1d(mean),
          tf.tensor1d(variance),
          tf.tensor1d(scale),
          tf.tensor1d(offset),
        ]),
    ],
  ];
  for (const [name, f] of cases) {
    const { cpu, ours } = await both(f);
    const error = maxError(ours, cpu);
    console.log(`${name} gradient: max error ${error.toExponential(2)}`);
    ok(error < 1e-5, `${name}: ${error}`);
  }
});

Deno.test("Dense gradients are computed only for what the tape needs", async () => {
  const count = async (kernels: "ours" | "stock") => {
    await selectBackend("wasm", { kernels, threads: 1 });
    const x = tf.randomNormal([64, 50]),
      w = tf.variable(tf.randomNormal([50, 30])),
      b = tf.variable(tf.zeros([30]));
    const profile = await tf.profile(() => {
      // Gradients for the weights only, as in a discriminator step: x needs none.
      const { grads } = tf.variableGrads(() => tf.sum(tf.fused.matMul({ a: x, b: w, bias: b })), [
        w,
        b,
      ]);
      tf.dispose(Object.values(grads));
    });
    tf.dispose([x, w, b]);
    return profile.kernels.filter((k) => k.name === "BatchMatMul").length;
  };
  equal(await count("stock"), 2);
  equal(await count("ours"), 1);
});

Deno.test("TensorAdam's fused kernel gives tf.js's AdamOptimizer's numbers, bit for bit, on 1 and 2 threads", async () => {
  // Large enough that two threads share each update.
  const start = randomValues(70_001), goal = randomValues(70_001);
  const run = async (kernels: "ours" | "stock", threads: 1 | 2 = 1) => {
    await selectBackend("wasm", { kernels, threads });
    const x = tf.variable(tf.tensor1d(start));
    const target = tf.tensor1d(goal);
    const optimizer = new TensorAdam([x], {
      learningRate: 0.01,
      beta1: 0.5,
      beta2: 0.999,
      epsilon: 1e-8,
    });
    for (let step = 0; step < 25; step++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, target))), [x]);
      value.dispose();
      optimizer.apply(grads);
    }
    const values = x.dataSync().slice();
    optimizer.dispose();
    tf.dispose([x, target]);
    return values;
  };
  const stock = await run("stock");
  const ours = await run("ours");
  const two = await run("ours", 2);
  equal(kernelThreads(heapKernels(tf.backend())), 2);
  deepEqual(ours, stock);
  deepEqual(two, stock);
  await selectBackend("wasm");
});

/** The four builds kernels_wasm.ts holds: name, bytes, and whether it imports a shared memory. */
const BUILDS = [
  ["kernels.wasm", KERNELS_WASM_BASE64, false],
  ["kernels_mt.wasm", KERNELS_MT_WASM_BASE64, true],
  ["kernels_fma.wasm", KERNELS_FMA_WASM_BASE64, false],
  ["kernels_fma_mt.wasm", KERNELS_FMA_MT_WASM_BASE64, true],
].map(([file, base64, shared]) => ({
  file: file as string,
  bytes: Uint8Array.from(atob(base64 as string), (c) => c.charCodeAt(0)),
  shared: shared as boolean,
}));

Deno.test("every build exports exactly abi.ts's kernels, each with its number of arguments", () => {
  for (const { file, bytes, shared } of BUILDS) {
    if (file.includes("fma") && !WebAssembly.validate(bytes)) continue;
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    // The fma builds also export their hand-written micro-kernel (micro_kernel.wat exports it
    // for the linker); nothing calls it from outside.
    const exported = WebAssembly.Module.exports(module).filter((e) =>
      e.name !== "micro_kernel_fma"
    );
    deepEqual(
      exported.map(({ name, kind }) => `${kind} ${name}`),
      Object.keys(KERNELS).map((name) => `function ${name}`),
      `${file} and abi.ts's KERNELS differ: run deno task build:kernels`,
    );
    for (const [name, { args }] of Object.entries(KERNELS)) {
      equal(
        (exports[name] as (...args: number[]) => unknown).length,
        args.length,
        `${file} ${name}`,
      );
    }
  }
});

Deno.test("the kernels' C header is the one abi.ts generates", async () => {
  const header = new URL("../src/backend/kernels/wasm/abi.h", import.meta.url);
  equal(
    await Deno.readTextFile(header),
    abiHeader(),
    "abi.h is stale: run deno task build:kernels",
  );
});

Deno.test("kernels_wasm.ts holds the four builds, which write nothing but the buffers they are given", () => {
  for (const { file, bytes, shared } of BUILDS) {
    if (file.includes("fma") && !WebAssembly.validate(bytes)) continue;
    // On tf.js's heap everything outside the given buffers belongs to tf.js: poison the whole
    // memory, multiply, and check that only C and the scratch changed.
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared });
    const module = new WebAssembly.Module(bytes);
    const e = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as {
      gemm: (...args: number[]) => void;
      gemm_scratch_floats: (rows: number, cols: number) => number;
    };
    const heap = new Uint8Array(memory.buffer);
    const f32 = new Float32Array(memory.buffer);
    // One block of rows (B packed per column block), and several (B packed once for all).
    for (const [m, k, n, transB] of [[37, 300, 29, 1], [150, 300, 29, 1], [150, 70, 45, 0]]) {
      heap.fill(0xa5);
      const a = 1 << 20, b = a + m * k * 4, c = b + k * n * 4, scratch = c + m * n * 4 + 64;
      f32.set(randomValues(m * k), a / 4);
      f32.set(randomValues(k * n), b / 4);
      const before = heap.slice();
      e.gemm(a, b, c, m, n, k, 0, transB, 0, 0, 0, 0, m, 0, n, scratch);
      const end = scratch + e.gemm_scratch_floats(m, n) * 4;
      let outside = 0;
      for (let i = 0; i < heap.length; i++) {
        if ((i < c || i >= c + m * n * 4) && (i < scratch || i >= end) && heap[i] !== before[i]) {
          outside++;
        }
      }
      equal(outside, 0, `${file} wrote ${outside} bytes outside its buffers (${m}×${k}×${n})`);
      // And the product is right.
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let q = 0; q < k; q++) {
            const bq = transB ? f32[b / 4 + j * k + q] : f32[b / 4 + q * n + j];
            sum += f32[a / 4 + i * k + q] * bq;
          }
          worst = Math.max(worst, Math.abs(f32[c / 4 + i * n + j] - sum));
        }
      }
      ok(worst < 1e-4, `${file}: ${m}×${k}×${n} off by ${worst}`);
    }
    // The plain-memory builds do not instantiate on shared memory, and the reverse.
    const other = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: !shared });
    let instantiates = true;
    try {
      new WebAssembly.Instance(module, { env: { memory: other } });
    } catch {
      instantiates = false;
    }
    equal(instantiates, false, file);
  }
});

Deno.test("training gives the same losses with our kernels as with tf.js's (float tolerance)", async () => {
  const { loadMnist } = await import("../src/data/mnist.ts");
  const data = await loadMnist({ limit: 320 });
  const losses: Record<string, number[]> = {};
  for (const kernels of ["stock", "ours"] as const) {
    for (const preset of ["lite", "standard"] as const) {
      await selectBackend("wasm", { kernels });
      losses[`${kernels} ${preset}`] = await trainingTrace(preset, data, { epochs: 2, seed: 2 });
    }
  }
  for (const preset of ["lite", "standard"]) {
    const ours = losses[`ours ${preset}`], stock = losses[`stock ${preset}`];
    equal(ours.length, 40);
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - stock[i])));
    console.log(`${preset}: max loss difference over 10 steps ${worst.toExponential(2)}`);
    ok(worst < 1e-4, `${preset}: ${worst}`);
  }
  await selectBackend("wasm");
});

Deno.test("the plain build (no relaxed SIMD) matches the cpu backend too", async () => {
  setKernelFlavour("plain");
  try {
    let worst = 0;
    for (const [m, k, n] of [[64, 784, 256], [5, 33, 9]]) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true]]) {
        const a = randomValues(m * k), b = randomValues(k * n);
        const { cpu, ours } = await both(() =>
          tf.matMul(
            tf.tensor2d(a, ta ? [k, m] : [m, k]),
            tf.tensor2d(b, tb ? [n, k] : [k, n]),
            ta,
            tb,
          )
        );
        worst = Math.max(worst, maxError(ours, cpu));
      }
    }
    console.log(
      `plain build matMul: max error ${
        worst.toExponential(2)
      }; fma build in use elsewhere: ${fmaSupport()}`,
    );
    ok(worst < 1e-4);
  } finally {
    setKernelFlavour("fma");
  }
});

Deno.test("a work buffer the heap has no room for is one RangeError, not a write at offset 0", async () => {
  await selectBackend("wasm");
  const kernels = heapKernels(tf.backend() as unknown as WasmBackendInternals);
  // 4 GB: past what a 32-bit heap can address
  throws(() => kernels.buffer("too-big", 2 ** 30), /no room for a 4096 MB work buffer/);
  // 2 GB more once 2.4 GB are taken (a scratch buffer, not touched): _malloc answers 0
  ok(kernels.scratch(0.6 * 2 ** 30) > 0);
  throws(() => kernels.buffer("too-big", 2 ** 29), /no room for a 2048 MB work buffer/);
  throws(() => kernels.alloc(2 ** 29), /no room for a 2048 MB work buffer/);
  // nothing was broken on the way: a convolution (which uses the work buffers) still matches
  const xs = randomValues(2 * 6 * 6 * 3), ws = randomValues(4 * 4 * 3 * 5);
  const { cpu, ours } = await both(() =>
    tf.conv2d(tf.tensor4d(xs, [2, 6, 6, 3]), tf.tensor4d(ws, [4, 4, 3, 5]), 2, "same")
  );
  ok(maxError(ours, cpu) < 1e-4);
});
