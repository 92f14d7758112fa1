/**
 * Data and sampling benchmarks: loading MNIST, drawing 10,000 samples, encoding a PNG grid.
 *
 * @module
 */

import { selectBackend } from "../src/backend/select.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { createGenerator } from "../src/models/create.ts";
import { encodePngGrid } from "../src/sample/grid.ts";
import { sample } from "../src/sample/sample.ts";

await selectBackend("wasm");
const generator = createGenerator({ preset: "lite", seed: 1 });
const hundred = await sample(generator, { n: 100, seed: 1 });

Deno.bench({ name: "loadMnist: 60,000 training digits to [-1, 1]", n: 5, warmup: 1 }, async () => {
  await loadMnist();
});

Deno.bench({ name: "sample: 10,000 lite generator images", n: 5, warmup: 1 }, async () => {
  await sample(generator, { n: 10_000, seed: 2 });
});

Deno.bench({ name: "encodePngGrid: 10×10 grid, scale 2", n: 20, warmup: 2 }, () => {
  encodePngGrid(hundred, { scale: 2 });
});
