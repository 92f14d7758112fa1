/**
 * The matrix products of a standard-preset training step: our WASM kernel against tf.js-wasm's
 * own, one bench group per shape. `cli.ts bench` prints the same products in GFLOPS.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { presetProducts } from "../src/cli/bench/step.ts";
import { Random } from "../src/random.ts";

const random = new Random(3);

for (const shape of presetProducts("standard")) {
  const { m, k, n, transposeA = false, transposeB = false } = shape;
  const label = `${transposeA ? "(" : ""}${m}×${k}${transposeA ? ")ᵀ" : ""} · ` +
    `${transposeB ? "(" : ""}${k}×${n}${transposeB ? ")ᵀ" : ""}`;
  const a = random.fillNormal(new Float32Array(m * k)),
    b = random.fillNormal(new Float32Array(k * n));
  for (const kernels of ["ours", "stock"] as const) {
    let tensors: [tf.Tensor2D, tf.Tensor2D] | undefined;
    Deno.bench({
      name: `${kernels}: ${label} (${((2 * m * n * k) / 1e6).toFixed(1)} MFLOP)`,
      group: label,
      baseline: kernels === "ours",
      n: 100,
      warmup: 10,
      async fn(bench) {
        if (!tensors) {
          await selectBackend("wasm", { kernels, threads: 1 });
          tensors = [
            tf.tensor2d(a, transposeA ? [k, m] : [m, k]),
            tf.tensor2d(b, transposeB ? [n, k] : [k, n]),
          ];
        }
        bench.start();
        tf.matMul(tensors[0], tensors[1], transposeA, transposeB).dispose();
        bench.end();
        if (tf.getBackend() !== "wasm") throw new Error("backend changed");
      },
    });
  }
}
