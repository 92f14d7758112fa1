/**
 * The GAN training loop, {@linkcode trainGAN}: per batch, one discriminator update on real and
 * fake images, then one generator update (or more) with the non-saturating loss, each a call of
 * a {@linkcode GanStep} (src/train/step.ts). Plain tf.js, no file access: it runs in Deno and in
 * a browser alike. Its options are in options.ts, its resumable state in state.ts.
 *
 * @module
 */

import { type ImageSet, imageSize } from "../data/images.ts";
import { checkInteger } from "../errors.ts";
import type { LayersModel } from "../tf_types.ts";
import { Random } from "../random.ts";
import { latentMixtureOf, latentNoise } from "../models/prior.ts";
import { prepareModels } from "../models/style/growth.ts";
import { checkModels } from "./check_models.ts";
import { resolveTrainOptions, type TrainOptions } from "./options.ts";
import { checkTrainState, type TrainState } from "./state.ts";
import { createGanStep, type GanStep, type StepStats } from "./step.ts";

/** What {@linkcode trainGAN} returns. */
export interface TrainResult {
  /** Epochs finished completely. */
  epochs: number;
  /** Steps taken. */
  steps: number;
  /** Whether the signal stopped training early. */
  aborted: boolean;
  /** Wall time in seconds. */
  seconds: number;
}

/** Yields to the event loop (so that signals and timers run) at most every 100 ms. */
function makeYielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 100) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}

/** The real batch at position `s` of the epoch's data order, and its classes (conditional GANs). */
function batchAt(
  data: ImageSet,
  order: Uint32Array,
  s: number,
  batchSize: number,
  conditional: boolean,
): { batch: Float32Array; labels: Uint8Array | undefined } {
  const size = imageSize(data);
  // (B, height, width, channels)
  const batch = new Float32Array(batchSize * size);
  for (let i = 0; i < batchSize; i++) {
    const index = order[s * batchSize + i];
    batch.set(data.pixels.subarray(index * size, (index + 1) * size), i * size);
  }
  const labels = conditional
    ? Uint8Array.from({ length: batchSize }, (_, i) => data.labels![order[s * batchSize + i]])
    : undefined;
  return { batch, labels };
}

/** Progressive growing's phase and blend, per-step noise: set from the step alone. */
function prepareStep(models: LayersModel[], globalStep: number, batchSize: number): void {
  prepareModels(models, { globalStep, imagesSeen: globalStep * batchSize });
}

/** Adds a step's numbers to the epoch's sums of loss_d, loss_g, D(x) and D(G(z)). */
function addStats(sums: number[], { lossD, lossG, dReal, dFake }: StepStats): void {
  sums[0] += lossD;
  sums[1] += lossG;
  sums[2] += dReal;
  sums[3] += dFake;
}

/**
 * Trains a GAN. Per batch: one discriminator step on a real batch and a generated batch, then
 * (on every `discriminatorSteps`-th batch) one generator step on the same noise (and, with
 * `generatorSteps` above 1, more generator steps on fresh noise), each network with its own Adam
 * optimiser, with the objective of `loss` (non-saturating cross-entropy by default), its
 * penalties and D's augmentations. Both models are trained in place.
 *
 * @param generator Maps `(B, latentDim)` noise to `(B, height, width, channels)` images in [-1, 1].
 * @param discriminator Maps such images to `(B, 1)` logits.
 * @param data The real images, in [-1, 1], of the generator's output shape.
 * @param options Epochs, batch size, optimiser, seed, callbacks, abort signal.
 * @returns How far training got.
 * @throws {RangeError} On an option out of range, data smaller than one batch, or models whose
 * shapes do not fit the data.
 *
 * @example Train the tutorial GAN for one epoch on 3,200 digits
 * ```ts
 * import { createDiscriminator, createGenerator, loadMnist, selectBackend, trainGAN } from "@gan/mnist";
 *
 * await selectBackend("wasm");
 * const data = await loadMnist({ limit: 3200 });
 * const generator = createGenerator({ preset: "tutorial", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "tutorial", seed: 1 });
 * await trainGAN(generator, discriminator, data, {
 *   epochs: 1,
 *   batchSize: 32,
 *   onEpoch: (e) => console.log(`epoch ${e.epoch}: loss_d ${e.lossD.toFixed(3)}`),
 * });
 * ```
 */
export async function trainGAN(
  generator: LayersModel,
  discriminator: LayersModel,
  data: ImageSet,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const o = resolveTrainOptions(options);
  const latentDim = checkModels(generator, discriminator, data);
  const mixture = latentMixtureOf(generator);
  const conditional = generator.inputs.length === 2;
  const stepsPerEpoch = Math.floor(data.count / o.batchSize);
  if (stepsPerEpoch === 0) {
    throw new RangeError(
      `trainGAN: the data holds ${data.count} images, fewer than one batch of ${o.batchSize}`,
    );
  }
  const checkpointEvery = checkInteger(
    "trainGAN",
    "checkpointEvery",
    options.checkpointEvery ?? 0,
    0,
  );
  const resume = options.resume;
  if (resume) checkTrainState(resume, data.count, stepsPerEpoch);
  const random = resume ? Random.fromState(resume.random) : new Random(o.seed);
  // Penalties and augmentations draw from the run's random numbers: a resumed run goes on as it was.
  const ganStep: GanStep = createGanStep(generator, discriminator, { ...o, random });
  const order = resume
    ? Uint32Array.from(resume.order)
    : Uint32Array.from({ length: data.count }, (_, i) => i);
  const yieldNow = makeYielder();
  const started = performance.now();
  let globalStep = resume?.globalStep ?? 0;
  // A resumed epoch that had finished counts as done; one in progress goes on without a shuffle.
  const finished = resume !== undefined && resume.step === stepsPerEpoch;
  let epochsDone = resume ? resume.epoch - (finished ? 0 : 1) : 0;
  const firstEpoch = epochsDone + 1;

  try {
    if (resume) ganStep.importState(resume.optimizers);
    const checkpoint = (epoch: number, step: number, sums: number[]) =>
      options.onCheckpoint?.({
        epoch,
        step,
        stepsPerEpoch,
        globalStep,
        random: random.state,
        order: order.slice(),
        sums: sums.slice() as TrainState["sums"],
        optimizers: ganStep.exportState(),
      });
    for (let epoch = firstEpoch; epoch <= o.epochs && !options.signal?.aborted; epoch++) {
      const continuing = resume !== undefined && !finished && epoch === resume.epoch;
      if (!continuing) random.shuffle(order);
      const epochStart = performance.now();
      const sums = continuing ? [...resume.sums] : [0, 0, 0, 0];
      let steps = continuing ? resume.step : 0;
      for (let s = steps; s < stepsPerEpoch; s++) {
        await yieldNow();
        if (options.signal?.aborted) break;
        const t0 = performance.now();
        const { batch, labels } = batchAt(data, order, s, o.batchSize, conditional);
        const noise = latentNoise(random, o.generatorSteps * o.batchSize, latentDim, mixture);
        // With discriminatorSteps N, every N-th step updates G too.
        const part = (await options.nextStep?.()) ??
          ((globalStep + 1) % o.discriminatorSteps === 0 ? "both" : "discriminator");
        if (options.signal?.aborted) break;
        prepareStep([generator, discriminator], globalStep, o.batchSize);
        const stats = await ganStep.run(batch, noise, labels, part);
        globalStep++;
        steps++;
        addStats(sums, stats);
        await options.onStep?.({
          epoch,
          epochs: o.epochs,
          step: s + 1,
          stepsPerEpoch,
          globalStep,
          lossD: stats.lossD,
          lossG: stats.lossG,
          dReal: stats.dReal,
          dFake: stats.dFake,
          part,
          augmentProbability: stats.augmentProbability ?? 0,
          ms: performance.now() - t0,
        });
        // The epoch's last step is followed by the epoch's own checkpoint.
        if (checkpointEvery > 0 && globalStep % checkpointEvery === 0 && steps < stepsPerEpoch) {
          await checkpoint(epoch, steps, sums);
        }
      }
      if (steps < stepsPerEpoch) {
        await checkpoint(epoch, steps, sums);
        break;
      }
      epochsDone = epoch;
      await options.onEpoch?.({
        epoch,
        epochs: o.epochs,
        steps,
        lossD: sums[0] / steps,
        lossG: sums[1] / steps,
        dReal: sums[2] / steps,
        dFake: sums[3] / steps,
        seconds: (performance.now() - epochStart) / 1000,
      });
      await checkpoint(epoch, steps, sums);
    }
  } finally {
    ganStep.dispose();
  }
  return {
    epochs: epochsDone,
    steps: globalStep,
    aborted: options.signal?.aborted ?? false,
    seconds: (performance.now() - started) / 1000,
  };
}
