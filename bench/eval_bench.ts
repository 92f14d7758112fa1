/**
 * Evaluator benchmarks: 10,000 images (the target: under 30 s on 2 CPU cores), 2,000
 * samples from a generator (what training runs every few epochs), and the float64 FID alone.
 *
 * @module
 */

import { selectBackend } from "../src/backend/select.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { evaluate, evaluateGenerator } from "../src/eval/evaluate.ts";
import { featureStatistics, frechetDistance } from "../src/eval/fid.ts";
import { createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";

await selectBackend("wasm");
const digits = await loadMnist({ split: "train", limit: 10_000 });
const test = await loadMnist({ split: "test" });
const generator = createGenerator({ preset: "lite", seed: 1 });
// Builds the classifier and the cached test-set reference once, as the first call of a session does.
const coldStart = performance.now();
await evaluate(digits);
console.log(
  `first evaluate of 10,000 images (classifier built, reference computed): ${
    ((performance.now() - coldStart) / 1000).toFixed(2)
  } s`,
);

Deno.bench({ name: "evaluate: 10,000 images", n: 3, warmup: 1 }, async () => {
  await evaluate(digits);
});

Deno.bench(
  { name: "evaluate: 10,000 images, reference of 10,000 computed afresh", n: 3, warmup: 0 },
  async () => {
    await evaluate(digits, { reference: test });
  },
);

Deno.bench({ name: "evaluateGenerator: 2,000 lite samples", n: 5, warmup: 1 }, async () => {
  await evaluateGenerator(generator, { n: 2000, seed: 1 });
});

const random = new Random(1);
const a = featureStatistics(random.fillNormal(new Float32Array(10_000 * 64)), 64);
const b = featureStatistics(random.fillNormal(new Float32Array(10_000 * 64)), 64);
Deno.bench({ name: "frechetDistance: 64-d statistics, float64", n: 20, warmup: 2 }, () => {
  frechetDistance(a, b);
});
