/**
 * Training-step benchmarks: ours (tf.js WASM + our matMul fix) next to stock tf.js WASM and tf.js
 * cpu, in one run, for the standard and lite presets at batch 64. `deno task bench` prints each
 * group's ratio against ours ("baseline").
 *
 * One bench iteration is one training step: a D update on a real and a fake batch, then a G update.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { patchWasmMatMul, unpatchWasmMatMul } from "../src/backend/wasm.ts";
import { createDiscriminator, createGenerator } from "../src/models/mlp.ts";
import type { PresetName } from "../src/models/presets.ts";
import { Random } from "../src/random.ts";
import { createGanStep, type GanStep } from "../src/train/train.ts";

type Variant = "ours (wasm)" | "stock tf.js wasm" | "tf.js cpu";

async function setUp(
  variant: Variant,
  preset: PresetName,
): Promise<{ step: GanStep; batch: Float32Array; noise: Float32Array }> {
  await selectBackend(variant === "tf.js cpu" ? "cpu" : "wasm");
  if (variant === "stock tf.js wasm") unpatchWasmMatMul();
  else patchWasmMatMul();
  const generator = createGenerator({ preset, seed: 1 });
  const discriminator = createDiscriminator({ preset, seed: 1 });
  const latentDim = generator.inputs[0].shape[1] as number;
  const random = new Random(1);
  const batch = new Float32Array(64 * 784).map(() => random.uniform() * 2 - 1);
  const noise = random.fillNormal(new Float32Array(64 * latentDim));
  const step = createGanStep(generator, discriminator, {
    batchSize: 64,
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
  });
  return { step, batch, noise };
}

for (const preset of ["standard", "lite"] as const) {
  for (const variant of ["ours (wasm)", "stock tf.js wasm", "tf.js cpu"] as const) {
    let state: Awaited<ReturnType<typeof setUp>> | undefined;
    Deno.bench({
      name: `${variant}: ${preset} train step, batch 64`,
      group: `${preset} train step`,
      baseline: variant === "ours (wasm)",
      n: variant === "tf.js cpu" ? 10 : 40,
      warmup: 3,
      async fn(b) {
        state ??= await setUp(variant, preset);
        if (tf.getBackend() !== (variant === "tf.js cpu" ? "cpu" : "wasm")) {
          state = await setUp(variant, preset);
        }
        b.start();
        await state.step.run(state.batch, state.noise);
        b.end();
      },
    });
  }
}
