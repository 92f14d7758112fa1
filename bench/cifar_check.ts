/**
 * Two plain checks of a colour generator against CIFAR-10, where the built-in evaluator (digits
 * only) cannot judge: the samples' channel means and spreads next to the training set's, and the
 * RMS distance from each of 64 samples to its nearest training image next to that of 64 unseen
 * test images (samples no closer than test images are not copies).
 *
 *   deno run --allow-read bench/cifar_check.ts RUN_OR_MODEL CIFAR_DIR [N]
 *
 * @module
 */
import { loadCifar10, loadModel, sample, selectBackend } from "../mod.ts";

await selectBackend("wasm");
const [modelPath, dir, nArg] = Deno.args;
const n = Number(nArg ?? 1000);
const { model } = await loadModel(modelPath, "generator");
const samples = await sample(model, { n, seed: 3 });
const train = await loadCifar10({ dir });
const test = await loadCifar10({ dir, split: "test", limit: 64 });

/** Per channel: mean ± standard deviation, in [0, 1]. */
function channelStats(pixels: Float32Array): string {
  const sum = [0, 0, 0], squares = [0, 0, 0];
  for (let i = 0; i < pixels.length; i++) {
    const v = (pixels[i] + 1) / 2;
    sum[i % 3] += v;
    squares[i % 3] += v * v;
  }
  const count = pixels.length / 3;
  return sum.map((s, c) => {
    const mean = s / count;
    return `${mean.toFixed(3)} ± ${Math.sqrt(squares[c] / count - mean * mean).toFixed(3)}`;
  }).join(", ");
}

const SIZE = 32 * 32 * 3;
/** RMS distance from image `i` of `pixels` to the nearest training image. */
function nearest(pixels: Float32Array, i: number): number {
  let best = Infinity;
  for (let j = 0; j < train.count; j++) {
    let d = 0;
    for (let k = 0; k < SIZE; k++) {
      const t = pixels[i * SIZE + k] - train.pixels[j * SIZE + k];
      d += t * t;
    }
    best = Math.min(best, d);
  }
  return Math.sqrt(best / SIZE);
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

console.log(`channel mean ± sd (R, G, B): samples ${channelStats(samples.pixels)}`);
console.log(`                      training set ${channelStats(train.pixels)}`);
const fromSamples = Array.from({ length: 64 }, (_, i) => nearest(samples.pixels, i));
const fromTest = Array.from({ length: 64 }, (_, i) => nearest(test.pixels, i));
console.log(
  `median RMS distance to the nearest training image: samples ${
    median(fromSamples).toFixed(3)
  }, test images ${median(fromTest).toFixed(3)}`,
);
