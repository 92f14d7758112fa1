/**
 * Every distinct convolution of the convolutional presets (`dcgan`, `cdcgan`, `dcgan32`; batch
 * 64, read from their models by `presetConvs`): G's transposed convolutions and D's strided ones
 * are listed once per shape, as the strided convolution (a transposed convolution's forward pass
 * is its input gradient and the other way round). One group per shape and pass, its work in
 * GFLOP in the name (2·B·outH·outW·fh·fw·inC·outC): our kernels (src/backend/kernels/conv.ts)
 * on 2 threads and on 1 against tf.js-wasm's own, which has no filter gradient
 * (Conv2DBackpropFilter), so that group is ours alone. After the run, a table of each row's
 * GFLOPS. PyTorch's per-op times for the same shapes: `cli.ts bench --convs`.
 *
 * @module
 */

import { selectBackend, type WasmKernels } from "../src/backend/select.ts";
import {
  CONV_PASSES,
  convGflop,
  type ConvTensors,
  convTensors,
  presetConvs,
  runConvPass,
} from "../src/cli/bench/convs.ts";

await selectBackend("wasm", { threads: 1 });
const SHAPES = presetConvs();

const VARIANTS: { name: string; kernels: WasmKernels; threads: 1 | 2 }[] = [
  { name: "ours, 2 threads", kernels: "ours", threads: 2 },
  { name: "ours, 1 thread", kernels: "ours", threads: 1 },
  { name: "stock tf.js-wasm", kernels: "stock", threads: 1 },
];

/** Each bench's run times in ms (warm-up runs too: the table takes the median). */
const runs = new Map<string, number[]>();

for (const [i, shape] of SHAPES.entries()) {
  const gflop = convGflop(shape);
  // One set of operands per shape, made on first use: the kernels change, the heap stays.
  let tensors: ConvTensors | undefined;
  for (const pass of CONV_PASSES) {
    const group = `${shape.name} ${pass} (${gflop.toFixed(3)} GFLOP)`;
    for (const variant of VARIANTS) {
      if (variant.kernels === "stock" && pass === "filter gradient") continue; // not in tf.js-wasm
      const name = `${variant.name}: ${group}`;
      const times: number[] = [];
      runs.set(name, times);
      let ready = false;
      Deno.bench({
        name,
        group,
        baseline: variant === VARIANTS[0],
        // about 20–40 ms a run at 1 GFLOP on our kernels, 10× that for stock input gradients
        n: gflop > 0.5 ? 5 : 10,
        warmup: 1,
        async fn(bench) {
          if (!ready) {
            await selectBackend("wasm", { kernels: variant.kernels, threads: variant.threads });
            tensors ??= convTensors(shape, i + 1);
            ready = true;
          }
          bench.start();
          const started = performance.now();
          runConvPass(shape, pass, tensors!).dispose();
          times.push(performance.now() - started);
          bench.end();
        },
      });
    }
  }
}

/** The GFLOPS table: a row per shape and pass, a column per variant (median run). */
function gflopsTable(): string[] {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const width = Math.max(...SHAPES.map((s) => s.name.length)) + 17;
  const lines = [
    "",
    "GFLOPS (2·B·outH·outW·fh·fw·inC·outC a pass, median run):",
    `${"".padEnd(width)}${VARIANTS.map((v) => v.name.padStart(18)).join("")}`,
  ];
  for (const shape of SHAPES) {
    for (const pass of CONV_PASSES) {
      const group = `${shape.name} ${pass} (${convGflop(shape).toFixed(3)} GFLOP)`;
      const cells = VARIANTS.map((v) => {
        const times = runs.get(`${v.name}: ${group}`);
        return (times?.length ? (convGflop(shape) / median(times) * 1e3).toFixed(1) : "–")
          .padStart(18);
      });
      lines.push(`${`${shape.name} ${pass}`.padEnd(width)}${cells.join("")}`);
    }
  }
  return lines;
}

globalThis.addEventListener("unload", () => {
  if ([...runs.values()].some((times) => times.length)) console.log(gflopsTable().join("\n"));
});
