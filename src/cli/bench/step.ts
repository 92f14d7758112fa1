/**
 * Timing training steps and matrix products in this process, for `cli.ts bench` and `deno bench`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { selectBackend, type WasmKernels } from "../../backend/select.ts";
import { createDiscriminator, createGenerator } from "../../models/create.ts";
import { getPreset, type PresetName } from "../../models/presets.ts";
import { Random } from "../../random.ts";
import { createGanStep, type GanStep, type StepStats } from "../../train/step.ts";

/** What to time: a preset's step on a backend, with our kernels or tf.js's. */
export interface StepTimingOptions {
  /** The preset whose models and batch size are used. */
  preset: PresetName;
  /**
   * The original recipe as written (`ORIGINAL_PRESETS`: for standard, no BatchNorm in G and one G
   * update per step), or the preset as `train` runs it.
   * @default {true}
   */
  faithful?: boolean;
  /** Steps to time (after `warmup` untimed ones). */
  steps: number;
  /** "wasm" or "cpu". */
  backend: "wasm" | "cpu";
  /** On wasm: our kernels or tf.js's. */
  kernels?: WasmKernels;
  /** On wasm with our kernels: threads for large products. */
  threads?: 1 | 2;
  /** Run the step as tf.js operations with tf.js's autograd, not as our direct step. */
  autograd?: boolean;
  /**
   * Untimed steps first (compilation, allocation).
   * @default {5}
   */
  warmup?: number;
}

/** A preset's step on random real images, ready to run. */
export interface PresetStep {
  /** The step (its kind says direct or autograd). */
  step: GanStep;
  /** One step on the random batch, with fresh noise (and labels for a conditional preset). */
  run(): Promise<StepStats>;
  /** Frees the step and both models. */
  dispose(): void;
}

/**
 * Builds a preset's models and training step on the current backend, with a random real batch:
 * what {@linkcode timeSteps} and `bench --profile` run.
 *
 * @param name The preset.
 * @param faithful The original recipe, or as `train` runs it.
 * @param autograd Run the autograd step where the direct step would apply.
 * @returns The step and a function that runs it once.
 */
export function presetStep(name: PresetName, faithful: boolean, autograd?: boolean): PresetStep {
  const preset = getPreset(name, faithful);
  const generator = createGenerator({ preset: preset.name, faithful, seed: 1 });
  const discriminator = createDiscriminator({ preset: preset.name, faithful, seed: 1 });
  const step = createGanStep(generator, discriminator, { ...preset.training, autograd });
  const { batchSize, generatorSteps } = preset.training;
  const random = new Random(1);
  const [h, w, c] = preset.generator.imageShape;
  const batch = Float32Array.from(
    { length: batchSize * h * w * c },
    () => random.uniform() * 2 - 1,
  );
  const noise = new Float32Array(generatorSteps * batchSize * preset.generator.latentDim);
  const classes = preset.generator.classes ?? 0;
  const labels = classes ? Array.from({ length: batchSize }, (_, i) => i % classes) : undefined;
  return {
    step,
    run: () => step.run(batch, random.fillNormal(noise), labels),
    dispose() {
      step.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}

/**
 * Times training steps: one D update on a real and a fake batch and the G update(s), exactly what
 * `trainGAN` runs per batch, on random real images and fresh noise each step.
 *
 * @param options What to time.
 * @returns Milliseconds per step (mean over the timed steps).
 */
export async function timeSteps(options: StepTimingOptions): Promise<number> {
  await selectBackend(options.backend, { kernels: options.kernels, threads: options.threads });
  const ready = presetStep(options.preset, options.faithful ?? true, options.autograd);
  try {
    for (let i = 0; i < (options.warmup ?? 5); i++) await ready.run();
    const started = performance.now();
    for (let i = 0; i < options.steps; i++) await ready.run();
    return (performance.now() - started) / options.steps;
  } finally {
    ready.dispose();
  }
}

/** A product's shape: (m × k) · (k × n), with its transposes. */
export interface ProductShape {
  /** Rows of the result. */
  m: number;
  /** Depth. */
  k: number;
  /** Columns of the result. */
  n: number;
  /** A is stored k × m. */
  transposeA?: boolean;
  /** B is stored n × k. */
  transposeB?: boolean;
}

/**
 * The products of one training step of a preset (batch B). For an MLP: forward
 * (B × in · in × out), input gradients (B × out · (in × out)ᵀ) and weight gradients
 * ((B × in)ᵀ · B × out); for a DCGAN, those of its convolutions.
 *
 * @param preset The preset.
 * @returns One entry per distinct shape.
 */
export function presetProducts(preset: PresetName): ProductShape[] {
  const p = getPreset(preset, true);
  const b = p.training.batchSize;
  if (p.generator.architecture === "dcgan") return convProducts(p);
  // ProGAN's and StyleGAN's layers are not listed product by product (`bench --profile` times them).
  if ((p.generator.architecture ?? "mlp") !== "mlp") return [];
  const pixels = p.generator.imageShape.reduce((x, y) => x * y, 1);
  const layers = [
    ...[p.generator.latentDim, ...p.generator.hiddenUnits, pixels].map((u, i, a) => [a[i - 1], u])
      .slice(1),
    ...[pixels, ...p.discriminator.hiddenUnits, 1].map((u, i, a) => [a[i - 1], u]).slice(1),
  ].filter(([, out]) => out > 1);
  const seen = new Set<string>();
  const shapes: ProductShape[] = [];
  for (const [fanIn, fanOut] of layers) {
    for (
      const s of [
        { m: b, k: fanIn, n: fanOut },
        { m: b, k: fanOut, n: fanIn, transposeB: true },
        { m: fanIn, k: b, n: fanOut, transposeA: true },
      ]
    ) {
      const key = JSON.stringify(s);
      if (!seen.has(key)) (seen.add(key), shapes.push(s));
    }
  }
  return shapes;
}

/**
 * The products of a DCGAN step's convolutions, as src/backend/kernels/conv.ts runs them: a
 * convolution from (h, w, cin) to (h', w', cout) with 4×4 filters is, with M = B·h'·w' output
 * positions and K = 16·cin, the forward product M × K · K × cout, the filter gradient
 * (M × K)ᵀ · M × cout and the input gradient M × cout · (K × cout)ᵀ. A transposed convolution is
 * the same three products of the convolution it transposes.
 */
function convProducts(p: ReturnType<typeof getPreset>): ProductShape[] {
  const b = p.training.batchSize;
  const [height, , channels] = p.generator.imageShape;
  const convs: [number, number, number][] = []; // [M, K, N]
  // Generator: feature maps doubling up to the image; each transposed conv from c to next.
  const g = p.generator.hiddenUnits;
  let side = height / 2 ** g.length;
  g.forEach((c, i) => {
    const next = i === g.length - 1 ? channels : g[i + 1];
    convs.push([b * side * side, 16 * next, c]); // the convolution (2s, 2s, next) → (s, s, c)
    side *= 2;
  });
  // Discriminator: halving from the image.
  let cin = channels;
  side = height;
  for (const c of p.discriminator.hiddenUnits) {
    side = Math.ceil(side / 2);
    convs.push([b * side * side, 16 * cin, c]);
    cin = c;
  }
  const shapes: ProductShape[] = [];
  const seen = new Set<string>();
  for (const [m, k, n] of convs) {
    for (
      const s of [
        { m, k, n },
        { m: k, k: m, n, transposeA: true },
        { m, k: n, n: k, transposeB: true },
      ]
    ) {
      const key = JSON.stringify(s);
      if (!seen.has(key)) (seen.add(key), shapes.push(s));
    }
  }
  return shapes;
}

/**
 * Times one product on the current backend and returns its speed.
 *
 * @param shape The product.
 * @param repeats How many times to run it (after a few untimed runs).
 * @returns GFLOPS (2·m·n·k floating-point operations per product).
 */
export function productGflops(shape: ProductShape, repeats = 50): number {
  const { m, k, n, transposeA = false, transposeB = false } = shape;
  const random = new Random(2);
  const a = tf.tensor2d(random.fillNormal(new Float32Array(m * k)), transposeA ? [k, m] : [m, k]);
  const b = tf.tensor2d(random.fillNormal(new Float32Array(k * n)), transposeB ? [n, k] : [k, n]);
  const run = () => tf.matMul(a, b, transposeA, transposeB).dispose();
  for (let i = 0; i < 5; i++) run();
  const started = performance.now();
  for (let i = 0; i < repeats; i++) run();
  const ms = (performance.now() - started) / repeats;
  tf.dispose([a, b]);
  return (2 * m * n * k) / ms / 1e6;
}
