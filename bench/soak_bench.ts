/**
 * Soak benchmark: a long training run as `train` runs it (models, grids, charts and log every
 * epoch, a checkpoint every 500 steps, weights checked every step), watching memory. After a
 * warm-up, `tf.memory().numTensors` and the WASM heap's size must not move and the resident set
 * must grow by less than 5%.
 *
 * ```sh
 * deno run --allow-read --allow-write --v8-flags=--expose-gc bench/soak_bench.ts   # 10,000 steps
 * deno run --allow-read --allow-write --v8-flags=--expose-gc bench/soak_bench.ts --steps 2000 --json
 * deno run --allow-read --allow-write --v8-flags=--expose-gc bench/soak_bench.ts --preset dcgan --steps 1200 --warmup 200
 * ```
 *
 * Exit code 0 when both hold, 1 otherwise. The run directory is a temporary one, removed after.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { selectBackend } from "../src/backend/select.ts";
import { trainRun } from "../src/train/run/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    steps: { type: "string", default: "10000" },
    warmup: { type: "string", default: "1000" },
    preset: { type: "string", default: "lite" },
    json: { type: "boolean", default: false },
  },
});
const steps = Number(values.steps), warmup = Number(values.warmup);
if (!(Number.isInteger(steps) && Number.isInteger(warmup) && warmup > 0 && steps > warmup)) {
  console.error("error: --steps and --warmup: integers with 0 < warmup < steps");
  Deno.exit(2);
}

const backend = await selectBackend("wasm");
const out = await Deno.makeTempDir({ prefix: "gan-soak-" });
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const samples: { step: number; numTensors: number; rss: number; wasmHeap: number }[] = [];
/** The size of tf.js-wasm's heap (0 on another backend). */
const wasmHeap = () =>
  (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0;
const stop = new AbortController();
const started = performance.now();
console.error(
  `soak: ${steps} steps of ${values.preset} on ${backend.description}, warm-up ${warmup}`,
);
try {
  await trainRun({
    preset: values.preset as "lite",
    epochs: 100_000,
    seed: 1,
    out,
    checkpointEvery: 500,
    signal: stop.signal,
    onStep: (info) => {
      if (info.globalStep % 100 === 0 || info.globalStep === steps) {
        // With --v8-flags=--expose-gc, garbage is collected first, so that what is left is what
        // is held.
        (globalThis as { gc?: () => void }).gc?.();
        const sample = {
          step: info.globalStep,
          numTensors: tf.memory().numTensors,
          rss: Deno.memoryUsage().rss,
          wasmHeap: wasmHeap(),
        };
        samples.push(sample);
        if (info.globalStep % 1000 === 0) {
          const { heapUsed, external } = Deno.memoryUsage();
          console.error(
            `[${info.globalStep}] numTensors ${sample.numTensors}, rss ${mb(sample.rss)} MiB ` +
              `(JS heap ${mb(heapUsed)}, external ${mb(external)}, wasm heap ${
                mb(sample.wasmHeap)
              })`,
          );
        }
      }
      if (info.globalStep >= steps) stop.abort();
    },
  });
} finally {
  await Deno.remove(out, { recursive: true });
}

// Resident memory moves with the collector and the allocators: the peak of the first tenth after
// the warm-up is compared with the peak of the last tenth.
const after = samples.filter((s) => s.step >= warmup);
const first = after[0], last = after[after.length - 1];
const window = (steps - warmup) / 10;
const peakOf = (from: number, to: number) =>
  Math.max(...after.filter((s) => s.step >= from && s.step <= to).map((s) => s.rss));
const early = peakOf(warmup, warmup + window), late = peakOf(steps - window, steps);
const tensors = new Set(after.map((s) => s.numTensors));
const growth = late / early - 1;
const peak = Math.max(...after.map((s) => s.rss));
const heaps = new Set(after.map((s) => s.wasmHeap));
const ok = tensors.size === 1 && heaps.size === 1 && growth < 0.05;
const result = {
  steps: last.step,
  warmup,
  preset: values.preset,
  backend: backend.description,
  seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  num_tensors: { after_warmup: first.numTensors, end: last.numTensors, distinct: [...tensors] },
  wasm_heap_mib: { after_warmup: Number(mb(first.wasmHeap)), end: Number(mb(last.wasmHeap)) },
  rss_mib: {
    after_warmup: Number(mb(first.rss)),
    end: Number(mb(last.rss)),
    first_tenth_peak: Number(mb(early)),
    last_tenth_peak: Number(mb(late)),
    peak: Number(mb(peak)),
  },
  gc: typeof (globalThis as { gc?: unknown }).gc === "function",
  rss_growth: Number(growth.toFixed(4)),
  ok,
};
console.log(
  values.json ? JSON.stringify(result) : [
    `steps ${result.steps} (${result.seconds} s), warm-up ${warmup}`,
    `numTensors after warm-up ${first.numTensors}, at the end ${last.numTensors} ` +
    `(${tensors.size === 1 ? "constant" : `varied: ${[...tensors].join(", ")}`})`,
    `wasm heap after warm-up ${mb(first.wasmHeap)} MiB, at the end ${mb(last.wasmHeap)} MiB`,
    `rss after warm-up ${mb(first.rss)} MiB, at the end ${mb(last.rss)} MiB, peak ${mb(peak)} MiB`,
    `rss peak of the first tenth after warm-up ${mb(early)} MiB, of the last tenth ${
      mb(late)
    } MiB: ` +
    `${(100 * growth).toFixed(2)}% growth (limit 5%)${result.gc ? "" : " (no --expose-gc)"}`,
    ok ? "ok" : "FAILED",
  ].join("\n"),
);
Deno.exit(ok ? 0 : 1);
