/**
 * The convolutions of a DCGAN step (batch 64): our kernels (src/backend/kernels/conv.ts) against
 * tf.js-wasm's own, one group per convolution and pass, 1 thread. tf.js-wasm has no filter
 * gradient (Conv2DBackpropFilter), so that row is ours alone.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { Random } from "../src/random.ts";

const random = new Random(5);

/** The DCGAN preset's two large convolutions: D's second, and G's first (transposed). */
const CONVS = [
  { name: "D conv 14×14×64 → 7×7×128", x: [64, 14, 14, 64], filter: [4, 4, 64, 128] },
  { name: "D conv 28×28×1 → 14×14×64", x: [64, 28, 28, 1], filter: [4, 4, 1, 64] },
] as const;

for (const conv of CONVS) {
  const [b, h, w, c] = conv.x;
  const [fh, fw, , out] = conv.filter;
  const xValues = random.fillNormal(new Float32Array(b * h * w * c));
  const fValues = random.fillNormal(new Float32Array(fh * fw * c * out));
  const dyValues = random.fillNormal(new Float32Array(b * (h / 2) * (w / 2) * out));
  const passes = {
    // forward; also G's transposed convolution's input gradient
    forward: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(x, f, 2, "same"),
    // the input gradient; also G's transposed convolution's forward pass
    "input gradient": (_x: tf.Tensor4D, f: tf.Tensor4D, dy: tf.Tensor4D) =>
      tf.conv2dTranspose(dy, f, [b, h, w, c], 2, "same"),
    "filter gradient": (x: tf.Tensor4D, _f: tf.Tensor4D, dy: tf.Tensor4D) =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: 2,
        pad: "same",
        dataFormat: "NHWC",
        filterShape: [fh, fw, c, out],
      }) as tf.Tensor4D,
  };
  for (const [pass, run] of Object.entries(passes)) {
    const group = `${conv.name}, ${pass}`;
    for (const kernels of ["ours", "stock"] as const) {
      if (kernels === "stock" && pass === "filter gradient") continue; // not in tf.js-wasm
      let tensors: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] | undefined;
      Deno.bench({
        name: `${kernels}: ${group}`,
        group,
        baseline: kernels === "ours",
        n: 10,
        warmup: 2,
        async fn(bench) {
          if (!tensors || tf.getBackend() !== "wasm") {
            await selectBackend("wasm", { kernels, threads: 1 });
            tensors = [
              tf.tensor4d(xValues, [b, h, w, c]),
              tf.tensor4d(fValues, [fh, fw, c, out]),
              tf.tensor4d(dyValues, [b, h / 2, w / 2, out]),
            ];
          }
          bench.start();
          run(...tensors).dispose();
          bench.end();
        },
      });
    }
  }
}
