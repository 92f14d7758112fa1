/**
 * Training-step benchmarks, `deno bench`: ours (the direct step on our kernels, 2 and 1 threads,
 * and the same step as tf.js operations with tf.js's autograd) next to stock tf.js-wasm and tf.js
 * cpu, for the standard and lite presets. Each group's summary gives the
 * ratios against ours. The PyTorch peer is in `cli.ts bench` (it needs a subprocess).
 *
 * One bench iteration is one training step: a D update on a real and a fake batch, a G update.
 *
 * @module
 */

import { selectBackend, type WasmKernels } from "../src/backend/select.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import type { PresetName } from "../src/models/presets.ts";
import { Random } from "../src/random.ts";
import { createGanStep, type GanStep } from "../src/train/step.ts";

interface Variant {
  name: string;
  backend: "wasm" | "cpu";
  kernels?: WasmKernels;
  threads?: 1 | 2;
  autograd?: boolean;
  n: number;
}

const VARIANTS: Variant[] = [
  { name: "ours, 2 threads", backend: "wasm", threads: 2, n: 60 },
  { name: "ours, 1 thread", backend: "wasm", threads: 1, n: 60 },
  {
    name: "ours as tf.js ops + autograd, 2 threads",
    backend: "wasm",
    threads: 2,
    autograd: true,
    n: 40,
  },
  { name: "stock tf.js wasm", backend: "wasm", kernels: "stock", n: 15 },
  { name: "tf.js cpu", backend: "cpu", n: 5 },
];

async function setUp(variant: Variant, preset: PresetName) {
  await selectBackend(variant.backend, { kernels: variant.kernels, threads: variant.threads });
  const generator = createGenerator({ preset, seed: 1 });
  const discriminator = createDiscriminator({ preset, seed: 1 });
  const latentDim = generator.inputs[0].shape[1] as number;
  const random = new Random(1);
  const batch = Float32Array.from({ length: 64 * 784 }, () => random.uniform() * 2 - 1);
  const noise = random.fillNormal(new Float32Array(64 * latentDim));
  const step: GanStep = createGanStep(generator, discriminator, {
    batchSize: 64,
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    autograd: variant.autograd,
  });
  return { step, batch, noise, variant };
}

for (const preset of ["standard", "lite"] as const) {
  for (const variant of VARIANTS) {
    let state: Awaited<ReturnType<typeof setUp>> | undefined;
    Deno.bench({
      name: `${variant.name}: ${preset} train step, batch 64`,
      group: `${preset} train step`,
      baseline: variant === VARIANTS[0],
      n: variant.n,
      warmup: 3,
      async fn(b) {
        // Benches run one after another; each sets its backend up on its first iteration.
        if (state?.variant !== variant) state = await setUp(variant, preset);
        b.start();
        await state.step.run(state.batch, state.noise);
        b.end();
      },
    });
  }
}
