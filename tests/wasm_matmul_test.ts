import { deepEqual, ok } from "std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { Random } from "../src/random.ts";

const random = new Random(21);
const randomArray = (n: number) => random.fillNormal(new Float32Array(n));

/** Reference product in float64, written out: C[i][j] = Σ_k A[i][k] B[k][j]. */
function reference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

Deno.test("the wasm matMul with transposed operands agrees with a float64 reference and the cpu backend", async () => {
  let maxError = 0;
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [64, 784, 256], [64, 256, 1], [17, 33, 65]]) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = randomArray(m * k), b = randomArray(k * n);
        const want = reference(a, b, m, k, n, ta, tb);
        const results: Float32Array[] = [];
        for (const backend of ["wasm", "cpu"] as const) {
          await selectBackend(backend);
          results.push(
            tf.tidy(() =>
              tf.matMul(
                tf.tensor2d(a, ta ? [k, m] : [m, k]),
                tf.tensor2d(b, tb ? [n, k] : [k, n]),
                ta,
                tb,
              ).dataSync() as Float32Array
            ),
          );
        }
        for (const got of results) {
          for (let i = 0; i < want.length; i++) {
            const error = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
            maxError = Math.max(maxError, error);
          }
        }
      }
    }
  }
  console.log(`max error (relative, or absolute below 1): ${maxError.toExponential(2)}`);
  ok(maxError < 1e-4, `max error ${maxError}`);
});

Deno.test("the wasm batched matMul with transposes handles a batch dimension and leaks nothing", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const a = randomArray(3 * 4 * 5), b = randomArray(3 * 6 * 5);
  const wasm = tf.tidy(() =>
    Array.from(
      tf.matMul(tf.tensor3d(a, [3, 4, 5]), tf.tensor3d(b, [3, 6, 5]), false, true).dataSync(),
    )
  );
  deepEqual(tf.memory().numTensors, before);
  await selectBackend("cpu");
  const cpu = tf.tidy(() =>
    Array.from(
      tf.matMul(tf.tensor3d(a, [3, 4, 5]), tf.tensor3d(b, [3, 6, 5]), false, true).dataSync(),
    )
  );
  ok(wasm.every((v, i) => Math.abs(v - cpu[i]) < 1e-4));
});
