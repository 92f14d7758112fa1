/**
 * The whole training step of an MLP GAN as direct calls of our WASM kernels: no tf.js operations,
 * no tape, no tensors made or freed per step.
 *
 * With tf.js's autograd, the healthy standard step (one discriminator update, two generator
 * updates) is about 300 kernel calls, each with its own bookkeeping, allocation and tape record;
 * on the 2-core test machine that bookkeeping is about a third of the step. An MLP's backward pass
 * is short enough to write out: each Dense layer's gradient is two products and a column sum,
 * BatchNorm's is one kernel, an activation's one elementwise kernel. This module does that, on
 * buffers allocated once on tf.js's WASM heap, reading and updating the models' own weight
 * variables where they lie, so everything else (sampling, saving, evaluation) sees the models as
 * usual.
 *
 * The arithmetic is the autograd step's: the same products on the same kernel with the same
 * operands, the same BatchNorm and Adam kernels, the losses and their gradients as tf.js computes
 * them (in float32), the moving averages as tf.js's BatchNormalization layer updates them.
 * tests/direct_step_test.ts compares the two paths on every preset.
 *
 * It applies to Sequential models made of Dense (linear or ReLU), BatchNormalization,
 * ReLU/LeakyReLU/Tanh activations, Flatten and Reshape, and to conditional MLPs (`cgan`: the
 * one-hot label joined to z and to the flattened image, then such a chain; each input row is then
 * the input ‖ the label), with a discriminator that has no BatchNorm, on the wasm backend with our
 * kernels; WGAN-GP's and R1's penalties too, for a discriminator without Tanh. `createGanStep`
 * (src/train/step.ts) uses it there and the autograd step everywhere else. The layer plan is in
 * plan.ts, a network's passes in network.ts, its Adam in heap_adam.ts, the penalties' double
 * backward pass in penalties.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE } from "../../backend/kernels/adam.ts";
import { type HeapKernels, heapKernels } from "../../backend/kernels/module.ts";
import type { LayersModel } from "../../tf_types.ts";
import type { AdamSettings } from "../adam.ts";
import type { GanStep } from "../step.ts";
import { refuseSpectralState } from "../spectral.ts";
import { HeapAdam } from "./heap_adam.ts";
import { f32, Network } from "./network.ts";
import { type Op, planOf } from "./plan.ts";
import type { LossName } from "../losses.ts";
import { Random } from "../../random.ts";
import { DirectPenalties, penaltiesApply } from "./penalties.ts";

/** log(1 + eˣ) as tf.js's Softplus computes it, in float32. */
function softplus(x: number): number {
  // tf.js: x > -log(ε) + 2 → x; x < log(ε) → eˣ; else log(1 + eˣ) (ε = 1.19e-7)
  const threshold = f32(Math.log(1.1920928955078125e-7) + 2);
  if (x > -threshold) return x;
  if (x < threshold) return f32(Math.exp(x));
  return f32(Math.log(f32(1 + f32(Math.exp(x)))));
}

/** 1 / (1 + e⁻ˣ) in float32. */
const sigmoid = (x: number): number => f32(1 / f32(1 + f32(Math.exp(-x))));

/** Settings of {@linkcode createDirectStep}. */
export type DirectStepOptions = AdamSettings & {
  batchSize: number;
  generatorSteps: number;
  generatorLearningRate?: number;
  loss?: LossName;
  /** λ of WGAN-GP's penalty (with `loss` "wgan-gp"; default 10). */
  gradientPenalty?: number;
  /** γ of R1 (default 0: none). */
  r1?: number;
  /** D updates per R1 penalty (default 1). */
  r1Every?: number;
  /** The penalties' random numbers (WGAN-GP's α; default: seed 0). */
  random?: Random;
};

/** The two models' plans and the widths of their input rows. */
interface Plans {
  planG: Op[];
  planD: Op[];
  /** Noise values per row. */
  latent: number;
  /** Pixels per image. */
  pixels: number;
  /** Classes of a conditional GAN (0: unconditional). */
  classes: number;
  /** A row of G's input (z ‖ label) and of D's (image ‖ label). */
  rowG: number;
  rowD: number;
}

/** The direct step's buffers on the heap, its networks and their optimisers. */
interface Direct extends Plans {
  kernels: HeapKernels;
  /** Batch size. */
  B: number;
  /** D's input: B real rows, then B generated ones (from `fake`). */
  images: number;
  fake: number;
  /** G's input rows. */
  z: number;
  G: Network;
  D: Network;
  adamG: HeapAdam;
  adamD: HeapAdam;
  /** Two gradient buffers that take turns. */
  gradA: number;
  gradB: number;
  /** 1 / B in float32. */
  inv: number;
  /** The objective. */
  loss: LossName;
  /** The gradient penalties, if any. */
  penalties: DirectPenalties | undefined;
  /** Discriminator updates so far (lazy R1 counts them). */
  updates: number;
}

/** Both models' plans where the direct step applies to them, or undefined. */
function plansOf(generator: LayersModel, discriminator: LayersModel): Plans | undefined {
  const backend = tf.getBackend();
  if (backend !== "wasm" || !tf.getKernel(ADAM_UPDATE, backend)) return undefined;
  const latent = generator.inputs[0].shape[1] as number;
  const pixels = (generator.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  // Conditional models: each row of a network's input is its input ‖ the one-hot label.
  const classes = generator.inputs.length === 2 ? generator.inputs[1].shape[1] as number : 0;
  const classesD = discriminator.inputs.length === 2
    ? discriminator.inputs[1].shape[1] as number
    : 0;
  if (classesD !== classes) return undefined;
  const rowG = latent + classes, rowD = pixels + classes;
  const planG = planOf(generator, rowG);
  const planD = planOf(discriminator, rowD);
  if (!planG || !planD || planD.some((op) => op.kind === "batchNorm")) return undefined;
  if (planG.at(-1)?.units !== pixels || planD.at(-1)?.units !== 1) return undefined;
  return { planG, planD, latent, pixels, classes, rowG, rowD };
}

/** Allocates the step's buffers, networks and optimisers, or undefined where a weight is not covered. */
function allocate(
  generator: LayersModel,
  discriminator: LayersModel,
  plans: Plans,
  options: DirectStepOptions,
): Direct | undefined {
  const { planG, planD, classes, rowG, rowD } = plans;
  const B = options.batchSize;
  const kernels = heapKernels(tf.backend());
  // The discriminator's input: B real rows, then B generated ones. Unconditional, G writes its
  // images there itself; conditional, they are copied in beside the labels.
  const images = kernels.alloc(2 * B * rowD);
  const fake = images + B * rowD * 4;
  const z = kernels.alloc(B * rowG);
  const G = new Network(kernels, generator, planG, rowG, B, classes ? undefined : fake);
  const D = new Network(kernels, discriminator, planD, rowD, 2 * B);
  if (!G.covers(generator) || !D.covers(discriminator)) {
    G.free(), D.free(), kernels.free(images), kernels.free(z);
    return undefined;
  }
  const adamG = new HeapAdam(kernels, G, generator, {
    ...options,
    learningRate: options.generatorLearningRate ?? options.learningRate,
  });
  const adamD = new HeapAdam(kernels, D, discriminator, options);
  const widest = Math.max(
    rowD,
    rowG,
    ...planG.map((o) => o.units),
    ...planD.map((o) => o.units),
  );
  const gradA = kernels.alloc(2 * B * widest);
  const gradB = kernels.alloc(2 * B * widest);
  const inv = f32(1 / B);
  const loss = options.loss ?? "ns";
  const penalties = penalised(options)
    ? new DirectPenalties(kernels, D, {
      batchSize: B,
      row: rowD,
      pixels: plans.pixels,
      gradientPenalty: loss === "wgan-gp" ? options.gradientPenalty ?? 10 : 0,
      r1: options.r1 ?? 0,
      r1Every: options.r1Every ?? 1,
      random: options.random ?? new Random(0),
    })
    : undefined;
  return {
    ...plans,
    ...{ kernels, B, images, fake, z, G, D, adamG, adamD, gradA, gradB, inv, loss, penalties },
    updates: 0,
  };
}

/** The whole WASM heap as floats. */
const heapOf = (s: Direct): Float32Array => new Float32Array(s.kernels.memory.buffer);

/** Writes `B` rows of `width` values from `values` at `offset`, each row followed by a label. */
function setRows(
  s: Direct,
  offset: number,
  values: Float32Array,
  width: number,
  labels?: ArrayLike<number>,
): void {
  const { B, classes } = s;
  const h = heapOf(s);
  if (!classes) return h.set(values.subarray(0, B * width), offset / 4);
  const row = width + classes;
  for (let i = 0; i < B; i++) {
    const at = offset / 4 + i * row;
    h.set(values.subarray(i * width, (i + 1) * width), at);
    h.fill(0, at + width, at + row);
    h[at + width + labels![i]] = 1;
  }
}

/** G's forward pass on the noise and labels in `z`; conditional: its images into D's rows. */
function generate(s: Direct): void {
  const { B, G, classes, fake, rowD, pixels } = s;
  G.forward(s.z, B);
  if (classes) {
    const h = heapOf(s), out = G.output / 4;
    for (let i = 0; i < B; i++) {
      h.copyWithin(fake / 4 + i * rowD, out + i * pixels, out + (i + 1) * pixels);
    }
  }
}

/** Which term of an objective a logit enters: D's on a real or a generated image, or G's. */
type Term = "real" | "fake" | "generator";

/**
 * One logit's term of an objective and its derivative, in float32 as tf.js computes them (the
 * module table of src/train/losses.ts): the term's value before the batch mean (and, for `ls`,
 * before the ½), and the derivative of the batch's loss, `inv = 1/B` included.
 */
function logitTerm(loss: LossName, term: Term, x: number, inv: number): [number, number] {
  switch (loss) {
    case "ns": // -log σ(x) = softplus(-x) towards real, softplus(x) towards fake
      return term === "fake"
        ? [softplus(x), f32(inv * sigmoid(x))]
        : [softplus(-x), -f32(inv * sigmoid(-x))];
    case "hinge":
      if (term === "generator") return [-x, -inv];
      if (term === "real") return 1 - x > 0 ? [f32(1 - x), -inv] : [0, 0];
      return 1 + x > 0 ? [f32(1 + x), inv] : [0, 0];
    case "ls": { // ½(x - 1)² towards real, ½x² towards fake: Square's gradient is dy·2x
      const d = term === "fake" ? x : f32(x - 1);
      return [f32(d * d), f32(f32(0.5 * inv) * f32(d * 2))];
    }
    case "wgan-gp":
      return term === "fake" ? [x, inv] : [-x, -inv];
  }
}

/** A batch's loss from the sum of its terms: their mean, halved for `ls`. */
const batchLoss = (loss: LossName, sum: number, B: number): number =>
  loss === "ls" ? f32(0.5 * f32(sum / B)) : f32(sum / B);

/** What a step reports as D(x) for one output: σ(x) for `ns`, the output itself otherwise. */
const score = (loss: LossName, x: number): number => (loss === "ns" ? sigmoid(x) : x);

/** D's stats on the 2B logits at D's output: its loss, D(x), D(G(z)) and G's loss against them. */
function judged(s: Direct, withGradient: boolean) {
  const { B, D, gradA, inv, loss } = s;
  const logits = heapOf(s).subarray(D.output / 4, D.output / 4 + 2 * B);
  const d = heapOf(s).subarray(gradA / 4, gradA / 4 + 2 * B);
  let lossReal = 0, lossFake = 0, lossG = 0, dReal = 0, dFake = 0;
  for (let i = 0; i < B; i++) {
    const real = logits[i], generated = logits[B + i];
    const [r, dr] = logitTerm(loss, "real", real, inv);
    const [f, df] = logitTerm(loss, "fake", generated, inv);
    lossReal += r;
    lossFake += f;
    lossG += logitTerm(loss, "generator", generated, inv)[0];
    dReal += score(loss, real);
    dFake += score(loss, generated);
    if (withGradient) d[i] = dr, d[B + i] = df;
  }
  return {
    lossD: f32(batchLoss(loss, lossReal, B) + batchLoss(loss, lossFake, B)),
    dReal: f32(dReal / B),
    dFake: f32(dFake / B),
    lossG: batchLoss(loss, lossG, B),
  };
}

/** Whether a step has a gradient penalty (as the autograd step decides). */
const penalised = (o: DirectStepOptions): boolean =>
  (o.loss === "wgan-gp" && (o.gradientPenalty ?? 10) > 0) || (o.r1 ?? 0) > 0;

/**
 * The discriminator's update on real and generated images, its penalties in the same Adam step;
 * its stats, D's loss with the penalties.
 */
function discriminatorUpdate(s: Direct): ReturnType<typeof judged> {
  const { B, D, gradA } = s;
  // WGAN-GP's α first, as the autograd step draws them.
  const alpha = s.penalties?.draw();
  D.forward(s.images, 2 * B);
  const stats = judged(s, true);
  D.backward(gradA, s.gradB, 2 * B, true, false);
  if (s.penalties) stats.lossD = s.penalties.add(stats.lossD, s.updates, alpha, s.images);
  s.adamD.apply();
  s.updates++;
  return stats;
}

/** Generator update on the batch G last generated; returns its loss. */
function generatorUpdate(s: Direct): number {
  const { B, D, gradA, inv, classes, pixels, rowD, loss } = s;
  D.forward(s.fake, B);
  const logits = heapOf(s).subarray(D.output / 4, D.output / 4 + B);
  const d = heapOf(s).subarray(gradA / 4, gradA / 4 + B);
  let sum = 0;
  for (let i = 0; i < B; i++) {
    const [value, derivative] = logitTerm(loss, "generator", logits[i], inv);
    sum += value;
    d[i] = derivative;
  }
  const [dFake, other] = D.backward(gradA, s.gradB, B, false, true);
  if (classes) {
    // (B, pixels + classes) -> (B, pixels): the images' part of each row, packed in place
    const h = heapOf(s), at = dFake / 4;
    for (let i = 1; i < B; i++) {
      h.copyWithin(at + i * pixels, at + i * rowD, at + i * rowD + pixels);
    }
  }
  s.G.backward(dFake, other, B, true, false);
  s.adamG.apply();
  return batchLoss(loss, sum, B);
}

/** Checks one step's inputs against the step's sizes. */
function checkInputs(
  s: Direct,
  generatorSteps: number,
  batch: Float32Array,
  noise: Float32Array,
  labels?: ArrayLike<number>,
): void {
  const { B, pixels, latent, classes } = s;
  if (batch.length !== B * pixels) {
    throw new RangeError(`GanStep: the batch holds ${batch.length} values, not ${B * pixels}`);
  }
  if (noise.length < generatorSteps * B * latent) {
    throw new RangeError(
      `GanStep: the noise holds ${noise.length} values, fewer than ${generatorSteps * B * latent}`,
    );
  }
  if (
    classes &&
    (labels?.length !== B ||
      !Array.from(labels).every((c) => c >= 0 && c < classes && Number.isInteger(c)))
  ) {
    throw new RangeError(
      `GanStep: a conditional GAN needs ${B} labels a batch, each in 0–${classes - 1}`,
    );
  }
}

/**
 * The training step on our kernels, or undefined where it does not apply (another backend, our
 * kernels off, a layer it does not cover): then the caller uses the autograd step.
 *
 * @param generator The generator (Sequential, or a conditional MLP).
 * @param discriminator The discriminator (the same, no BatchNorm).
 * @param options Batch size, Adam settings (`learningRate` the discriminator's, and the
 * generator's unless `generatorLearningRate` is given), generator updates per step, the
 * objective and its penalties.
 * @returns The step, or undefined.
 */
export function createDirectStep(
  generator: LayersModel,
  discriminator: LayersModel,
  options: DirectStepOptions,
): GanStep | undefined {
  const plans = plansOf(generator, discriminator);
  if (plans && penalised(options) && !penaltiesApply(plans.planD)) return undefined;
  const s = plans && allocate(generator, discriminator, plans, options);
  if (!s) return undefined;
  const { B, latent, pixels, classes, z, images, fake } = s;
  const { generatorSteps } = options;
  let disposed = false;
  return {
    kind: "direct",
    run(batch, noise, labels, part = "both") {
      if (disposed) throw new Error("GanStep: used after dispose()");
      checkInputs(s, generatorSteps, batch, noise, labels);
      // Real rows, then the generated batch asked for the same classes.
      setRows(s, images, batch, pixels, labels);
      if (classes) setRows(s, fake, batch, pixels, labels); // the labels now; the images below
      setRows(s, z, noise, latent, labels);
      generate(s);
      if (part === "discriminator") return Promise.resolve(discriminatorUpdate(s));
      let stats;
      if (part === "generator") {
        s.D.forward(images, 2 * B);
        stats = judged(s, false);
      } else stats = discriminatorUpdate(s);
      const { lossD, dReal, dFake } = stats;
      // The generator's updates: the first on the batch above, further ones on fresh noise.
      const lossG = generatorUpdate(s);
      for (let k = 1; k < generatorSteps; k++) {
        setRows(s, z, noise.subarray(k * B * latent, (k + 1) * B * latent), latent, labels);
        generate(s);
        generatorUpdate(s);
      }
      return Promise.resolve({ lossD, lossG, dReal, dFake });
    },
    exportState() {
      return {
        generator: s.adamG.exportState(),
        discriminator: s.adamD.exportState(),
        discriminatorUpdates: s.updates,
      };
    },
    importState(state) {
      refuseSpectralState(state);
      s.adamG.importState(state.generator);
      s.adamD.importState(state.discriminator);
      s.updates = state.discriminatorUpdates ?? 0;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      s.G.free(), s.D.free(), s.adamG.free(), s.adamD.free(), s.penalties?.free();
      for (const offset of [images, z, s.gradA, s.gradB]) s.kernels.free(offset);
    },
  };
}
