/**
 * Where a training step's time goes, for `cli.ts bench --profile`: each tf.js kernel's time
 * (tf.js's profiler times every kernel it runs), grouped as products, normalisation, the
 * optimiser and the rest, and what is left of the step's wall time for tf.js's bookkeeping (the
 * tape, tensor allocation and disposal, gradient functions) and JavaScript around the kernels.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../../backend/select.ts";
import { ADAM_UPDATE } from "../../backend/kernels/adam.ts";
import { GAN_CONV2D } from "../../backend/kernels/conv_layers.ts";
import { GAN_MATMUL } from "../../backend/kernels/dense.ts";
import type { PresetName } from "../../models/presets.ts";
import { presetStep } from "./step.ts";

/** The groups a kernel's time is counted in. */
export type KernelGroup = "products" | "normalisation" | "optimiser" | "elementwise";

/** Kernels that are a matrix product or a convolution (with our kernels: im2col and a GEMM). */
const PRODUCTS = new Set([
  GAN_MATMUL,
  GAN_CONV2D,
  "BatchMatMul",
  "_FusedMatMul",
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
]);

/**
 * The group a kernel belongs to.
 *
 * @param name The kernel's name as tf.js registers it.
 * @returns Its group.
 */
export function kernelGroup(name: string): KernelGroup {
  if (PRODUCTS.has(name)) return "products";
  if (/BatchNorm|Moments/i.test(name)) return "normalisation";
  if (name === ADAM_UPDATE || /Adam/.test(name)) return "optimiser";
  return "elementwise";
}

/** One kernel's share of a profiled step. */
export interface KernelTime {
  /** The kernel's name. */
  name: string;
  /** Its group. */
  group: KernelGroup;
  /** Calls per step. */
  calls: number;
  /** Milliseconds per step. */
  ms: number;
}

/** Where one step's time goes. */
export interface StepProfile {
  /** The step's kind: "direct" runs no tf.js kernel, so only its wall time is known. */
  kind: "direct" | "autograd";
  /** Wall milliseconds per step, not profiled (the mean over the timed steps). */
  stepMs: number;
  /** Milliseconds per step in each group of kernels. */
  groups: Record<KernelGroup, number>;
  /** The step's wall time less all its kernels' time: tf.js's bookkeeping and JavaScript. */
  bookkeepingMs: number;
  /** Each kernel, the slowest first. */
  kernels: KernelTime[];
}

/** What to profile. */
export interface ProfileOptions {
  /** The preset whose models, batch and recipe are used. */
  preset: PresetName;
  /** The original recipe (`--recipe original`) or as `train` runs it. */
  faithful: boolean;
  /** Steps timed without the profiler, for the wall time. */
  steps: number;
  /** Threads of our kernels. */
  threads?: 1 | 2;
}

/**
 * Profiles a preset's training step on wasm with our kernels.
 *
 * @param options What to profile.
 * @returns The step's wall time and its kernels' times.
 * @example
 * ```ts ignore
 * const profile = await profileStep({ preset: "dcgan", faithful: true, steps: 5 });
 * console.log(profile.groups.products, profile.bookkeepingMs);
 * ```
 */
export async function profileStep(options: ProfileOptions): Promise<StepProfile> {
  await selectBackend("wasm", { threads: options.threads });
  const ready = presetStep(options.preset, options.faithful);
  try {
    for (let i = 0; i < 3; i++) await ready.run();
    const started = performance.now();
    for (let i = 0; i < options.steps; i++) await ready.run();
    const stepMs = (performance.now() - started) / options.steps;
    const profiled = await tf.profile(async () => {
      await ready.run();
      return [];
    });
    return summarise(ready.step.kind, stepMs, profiled.kernels);
  } finally {
    ready.dispose();
  }
}

function summarise(
  kind: "direct" | "autograd",
  stepMs: number,
  kernels: { name: string; kernelTimeMs: number | { error: string } | Promise<unknown> }[],
): StepProfile {
  const byName = new Map<string, KernelTime>();
  for (const kernel of kernels) {
    // A name with no kernel registered is a scope around kernels (a customGrad's function): its
    // time is its kernels', counted once, where they are.
    if (!tf.getKernel(kernel.name, "wasm")) continue;
    const ms = typeof kernel.kernelTimeMs === "number" ? kernel.kernelTimeMs : 0;
    const entry = byName.get(kernel.name) ??
      { name: kernel.name, group: kernelGroup(kernel.name), calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += ms;
    byName.set(kernel.name, entry);
  }
  const list = [...byName.values()].sort((a, b) => b.ms - a.ms);
  const groups: Record<KernelGroup, number> = {
    products: 0,
    normalisation: 0,
    optimiser: 0,
    elementwise: 0,
  };
  for (const k of list) groups[k.group] += k.ms;
  const total = list.reduce((sum, k) => sum + k.ms, 0);
  return { kind, stepMs, groups, bookkeepingMs: Math.max(0, stepMs - total), kernels: list };
}

/**
 * The profile as the lines `bench --profile` prints.
 *
 * @param profile A profiled step.
 * @param top How many kernels to list.
 * @returns The lines.
 */
export function profileLines(profile: StepProfile, top = 12): string[] {
  const pct = (ms: number) => `${(100 * ms / profile.stepMs).toFixed(0).padStart(3)}%`;
  const row = (label: string, ms: number) =>
    `  ${label.padEnd(42)} ${ms.toFixed(1).padStart(8)} ms ${pct(ms)}`;
  const lines = [`step: ${profile.stepMs.toFixed(1)} ms (${profile.kind} step)`];
  if (profile.kind === "direct") {
    lines.push("  the direct step calls our kernels itself: no tf.js kernel to time one by one");
    return lines;
  }
  for (const group of Object.keys(profile.groups) as KernelGroup[]) {
    lines.push(row(group, profile.groups[group]));
  }
  lines.push(row("bookkeeping (tape, tensors, JS)", profile.bookkeepingMs));
  lines.push(
    "  (each kernel timed with tf.js's profiler on, a little slower than without: bookkeeping is the",
    "  wall time left over, a lower bound)",
  );
  lines.push(`kernels, slowest first (calls per step):`);
  for (const k of profile.kernels.slice(0, top)) {
    lines.push(row(`${k.name} ×${k.calls} (${k.group})`, k.ms));
  }
  return lines;
}
