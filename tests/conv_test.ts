/**
 * Our convolution kernels (src/backend/kernels/conv.ts) against tf.js's cpu backend, on random
 * shapes, strides, paddings and dilations; and UnsortedSegmentSum. Each test prints the largest
 * error it saw.
 */

import { deepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients
import { selectBackend } from "../src/backend/select.ts";
import { setKernelThreads } from "../src/backend/kernels/pool.ts";
import { batchNormTraining } from "../src/backend/kernels/batch_norm.ts";
import { Random } from "../src/random.ts";
import { both, maxError } from "./helpers.ts";

const random = new Random(71);
const randomInt = (lo: number, hi: number) => lo + random.int(hi - lo + 1);
const values = (n: number) => Array.from(random.fillNormal(new Float32Array(n)));

type Pad = "same" | "valid" | number;

/** A random convolution: input (B, H, W, C) and HWIO filter. */
function randomConv() {
  const batch = randomInt(1, 3), height = randomInt(4, 11), width = randomInt(4, 11);
  const inC = randomInt(1, 9), outC = randomInt(1, 9);
  const fh = randomInt(1, 5), fw = randomInt(1, 5);
  const stride: [number, number] = [randomInt(1, 3), randomInt(1, 3)];
  const pads: Pad[] = ["same", "valid", randomInt(0, 2)];
  const pad = pads[random.int(3)];
  return { batch, height, width, inC, outC, fh, fw, stride, pad };
}

Deno.test("Conv2D and both its gradients on our kernels match the cpu backend: random shapes, strides, paddings", async () => {
  let worst = 0;
  for (let trial = 0; trial < 40; trial++) {
    const c = randomConv();
    // "valid" and explicit padding need the filter to fit.
    const pad = c.pad === "same" ? "same" : c.pad;
    const padding = typeof pad === "number" ? pad : 0;
    if (c.pad !== "same" && (c.fh > c.height + 2 * padding || c.fw > c.width + 2 * padding)) {
      continue;
    }
    const x = values(c.batch * c.height * c.width * c.inC);
    const f = values(c.fh * c.fw * c.inC * c.outC);
    const { cpu, ours } = await both(() => {
      const xt = tf.tensor4d(x, [c.batch, c.height, c.width, c.inC]);
      const ft = tf.tensor4d(f, [c.fh, c.fw, c.inC, c.outC]);
      const conv = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, c.stride, pad);
      const y = conv(xt, ft);
      // A random upstream gradient: Σ y·w, differentiated for x (BackpropInput) and f (Filter).
      const w = tf.reshape(tf.sin(tf.mul(tf.range(0, y.size), 0.7)), y.shape); // the same on both backends
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), w))
      )([xt, ft]);
      return [y, dx, df];
    });
    worst = Math.max(worst, maxError(ours, cpu));
  }
  console.log(`max error ${worst.toExponential(2)} (relative to max(1, |value|))`);
  ok(worst < 1e-4, `max error ${worst}`);
});

Deno.test("Conv2D with dilations, and 1×1 convolutions (no im2col), match the cpu backend", async () => {
  let worst = 0;
  for (let trial = 0; trial < 12; trial++) {
    const pointwise = trial % 2 === 0;
    const [fh, fw] = pointwise ? [1, 1] : [randomInt(2, 3), randomInt(2, 3)];
    const dilation: [number, number] = pointwise ? [1, 1] : [randomInt(1, 2), randomInt(1, 2)];
    const [b, h, w, inC, outC] = [2, randomInt(6, 10), randomInt(6, 10), randomInt(1, 6), 5];
    const x = values(b * h * w * inC), f = values(fh * fw * inC * outC);
    const { cpu, ours } = await both(() => {
      const xt = tf.tensor4d(x, [b, h, w, inC]), ft = tf.tensor4d(f, [fh, fw, inC, outC]);
      const conv = (a: tf.Tensor4D, k: tf.Tensor4D) => tf.conv2d(a, k, 1, "same", "NHWC", dilation);
      const y = conv(xt, ft);
      const g = tf.grads((a: tf.Tensor, k: tf.Tensor) =>
        tf.sum(tf.square(conv(a as tf.Tensor4D, k as tf.Tensor4D)))
      );
      // Dilated convolutions have no gradient kernels in tf.js; 1×1 ones do.
      return pointwise ? [y, ...g([xt, ft])] : [y];
    });
    worst = Math.max(worst, maxError(ours, cpu));
  }
  console.log(`max error ${worst.toExponential(2)}`);
  ok(worst < 1e-4, `max error ${worst}`);
});

Deno.test("transposed convolutions (Conv2DBackpropInput forward) and their gradients match the cpu backend", async () => {
  let worst = 0;
  for (let trial = 0; trial < 30; trial++) {
    const batch = randomInt(1, 3), h = randomInt(2, 8), w = randomInt(2, 8);
    const inC = randomInt(1, 8), outC = randomInt(1, 8), k = randomInt(1, 5);
    const stride = randomInt(1, 3);
    const pad = random.int(2) === 0 ? "same" : "valid";
    const outH = pad === "same" ? h * stride : (h - 1) * stride + k;
    const outW = pad === "same" ? w * stride : (w - 1) * stride + k;
    const x = values(batch * h * w * inC), f = values(k * k * outC * inC);
    const { cpu, ours } = await both(() => {
      const xt = tf.tensor4d(x, [batch, h, w, inC]);
      const ft = tf.tensor4d(f, [k, k, outC, inC]); // conv2dTranspose's filter: (k, k, out, in)
      const deconv = (a: tf.Tensor4D, b: tf.Tensor4D) =>
        tf.conv2dTranspose(a, b, [batch, outH, outW, outC], stride, pad);
      const y = deconv(xt, ft);
      const weight = tf.reshape(tf.sin(tf.mul(tf.range(0, y.size), 0.7)), y.shape);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(deconv(a as tf.Tensor4D, b as tf.Tensor4D), weight))
      )([xt, ft]);
      return [y, ...grads];
    });
    worst = Math.max(worst, maxError(ours, cpu));
  }
  console.log(`max error ${worst.toExponential(2)}`);
  ok(worst < 1e-4, `max error ${worst}`);
});

Deno.test("convolutions give bit-identical results on 1 and 2 threads", async () => {
  await selectBackend("wasm");
  const x = tf.tensor4d(values(64 * 14 * 14 * 32), [64, 14, 14, 32]);
  const f = tf.tensor4d(values(4 * 4 * 32 * 48), [4, 4, 32, 48]);
  const run = (threads: 1 | 2) => {
    setKernelThreads(threads);
    return tf.tidy(() => {
      const y = tf.conv2d(x, f, 2, "same");
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")))
      )([x, f]);
      return [y, dx, df].map((t) => Array.from(t.dataSync()));
    });
  };
  const one = run(1);
  const two = run(2);
  setKernelThreads(2);
  deepEqual(two, one);
  tf.dispose([x, f]);
});

Deno.test("UnsortedSegmentSum (missing from tf.js-wasm) and the Gather gradient match the cpu backend", async () => {
  let worst = 0;
  for (let trial = 0; trial < 10; trial++) {
    const rows = randomInt(1, 40), inner = randomInt(1, 13), segments = randomInt(1, 12);
    const x = values(rows * inner);
    // Some ids out of range: tf.js drops those rows.
    const ids = Array.from({ length: rows }, () => randomInt(-1, segments));
    const table = values(segments * inner);
    const picks = Array.from({ length: rows }, () => random.int(segments));
    const { cpu, ours } = await both(() => {
      const sum = tf.unsortedSegmentSum(
        tf.tensor2d(x, [rows, inner]),
        tf.tensor1d(ids, "int32"),
        segments,
      );
      const intSum = tf.unsortedSegmentSum(
        tf.tensor2d(x.map((v) => Math.round(v * 10)), [rows, inner], "int32"),
        tf.tensor1d(ids, "int32"),
        segments,
      );
      // An embedding lookup's gradient is an UnsortedSegmentSum.
      const dTable = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.square(tf.gather(t, tf.tensor1d(picks, "int32"))))
      )(tf.tensor2d(table, [segments, inner]));
      return [sum, tf.cast(intSum, "float32"), dTable];
    });
    worst = Math.max(worst, maxError(ours, cpu));
  }
  console.log(`max error ${worst.toExponential(2)}`);
  ok(worst < 1e-5, `max error ${worst}`);
});

Deno.test("fused Conv2D (bias + linear, relu, leaky ReLU), as tf.js-layers' Conv2D runs, matches the cpu backend", async () => {
  let worst = 0;
  for (const activation of ["linear", "relu", "leakyrelu"] as const) {
    for (let trial = 0; trial < 4; trial++) {
      const [b, h, w, inC, outC, k] = [
        2,
        randomInt(5, 12),
        randomInt(5, 12),
        randomInt(1, 8),
        7,
        4,
      ];
      const x = values(b * h * w * inC), f = values(k * k * inC * outC), bias = values(outC);
      const { cpu, ours } = await both(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, [b, h, w, inC]),
          filter: tf.tensor4d(f, [k, k, inC, outC]),
          strides: 2,
          pad: "same",
          bias: tf.tensor1d(bias),
          activation,
          leakyreluAlpha: 0.2,
        })
      );
      worst = Math.max(worst, maxError(ours, cpu));
    }
  }
  console.log(`max error ${worst.toExponential(2)}`);
  ok(worst < 1e-4, `max error ${worst}`);
});

Deno.test("BatchNorm, activations and their gradients on feature maps give bit-identical results on 1 and 2 threads", async () => {
  await selectBackend("wasm");
  // (B·H·W, C) = (64·7·7, 128): large enough for both threads (the activations and Add split
  // their values; BatchNorm runs on one: split by channels it measured slower).
  const x = tf.tensor2d(values(3136 * 128), [3136, 128]);
  const gamma = tf.tensor1d(values(128)), beta = tf.tensor1d(values(128));
  const run = (threads: 1 | 2) => {
    setKernelThreads(threads);
    return tf.tidy(() => {
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.leakyRelu(
          tf.add(
            batchNormTraining(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5),
            tf.tanh(a),
          ),
          0.2,
        );
      const y = f(x, gamma, beta);
      const grads = tf.grads((a, g, b) => tf.sum(tf.square(f(a, g, b))))([x, gamma, beta]);
      return [y, ...grads].map((t) => Array.from(t.dataSync()));
    });
  };
  const one = run(1);
  const two = run(2);
  setKernelThreads(2);
  deepEqual(two, one);
  ok(one[0].some((v) => v !== 0));
  tf.dispose([x, gamma, beta]);
});
