/**
 * The training step as tf.js operations, differentiated by tf.js's autograd: any models, any
 * backend, spectral normalisation too. `createGanStep` (src/train/step.ts) uses it wherever the
 * direct step (src/train/direct/) does not apply.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { TensorAdam } from "./adam.ts";
import { discriminatorLoss, discriminatorScore, generatorLoss, type LossName } from "./losses.ts";
import type { StepPart } from "./options.ts";
import { createAugmenter } from "./augment_step.ts";
import {
  checkPenaltyDiscriminator,
  interpolationWeights,
  r1Penalty,
  wganGradientPenalty,
} from "./penalties.ts";
import { Random } from "../random.ts";
import { refuseSpectralState, SpectralNorm } from "./spectral.ts";
import type { GanStep, GanStepOptions } from "./step.ts";
import { type StepSettings, stepSettings } from "./step_settings.ts";
import { runner } from "./runner.ts";
import { groupSizeOf } from "../models/style/ops.ts";

type Pass = (x: tf.Tensor | tf.Tensor[]) => tf.Tensor;

/** The tf.js variables behind a model's trainable weights. */
function trainableVariables(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** A discriminator's logits for a real and a generated batch, `(B, 1)` each. */
type Judge = (real: tf.Tensor, fake: tf.Tensor, y: tf.Tensor | undefined) => [tf.Tensor, tf.Tensor];

/**
 * Whether a discriminator judges a batch rather than each image, so that a real and a fake batch
 * must go through it apart: BatchNormalization; ProGAN's minibatch standard deviation where its
 * groups of a joined 2B batch would straddle the two halves (B not a multiple of the group).
 */
const batchDependent = (model: LayersModel, batchSize: number): boolean =>
  model.layers.some((l) =>
    l.getClassName() === "BatchNormalization" ||
    (l.getClassName() === "ProGANDiscriminator" &&
      batchSize % groupSizeOf(2 * batchSize, minibatchGroup(l)) !== 0)
  );

/** The minibatch standard deviation's wanted group size of a ProGAN discriminator layer. */
const minibatchGroup = (layer: { getConfig(): Record<string, unknown> }): number =>
  Number(layer.getConfig().groupSize ?? 4);

/** Conditional models take [input, one-hot label]. */
const withLabel = (x: tf.Tensor, y: tf.Tensor | undefined) => (y ? [x, y] : x);

/**
 * How the discriminator judges a real and a generated batch. Without BatchNorm, it judges each
 * image on its own, so the real and the fake batch can go through it as one batch of 2B: the
 * same numbers, in half the products.
 */
function judgeOf(
  discriminator: LayersModel,
  D: Pass,
  batchSize: number,
): Judge {
  const apart = batchDependent(discriminator, batchSize);
  return (real, fake, y) => {
    if (apart) {
      return [
        D(withLabel(real, y)),
        D(withLabel(fake, y)),
      ];
    }
    // (2B, height, width, channels) -> (2B, 1)
    const logits = D(withLabel(tf.concat([real, fake]), y && tf.concat([y, y])));
    return [
      tf.slice(logits, [0, 0], [batchSize, 1]),
      tf.slice(logits, [batchSize, 0], [batchSize, 1]),
    ];
  };
}

/** What one update works with: both models' passes, variables and optimisers, and the sizes. */
interface Parts {
  G: Pass;
  D: Pass;
  judge: Judge;
  varsG: tf.Variable[];
  varsD: tf.Variable[];
  optimizerG: TensorAdam;
  optimizerD: TensorAdam;
  spectral: SpectralNorm | undefined;
  settings: StepSettings;
  latentDim: number;
  imageShape: [number, number, number];
  /** Classes of a conditional GAN (0: unconditional). */
  classes: number;
  /** Augments a batch that D is about to see (the identity without augmentation). */
  augment: (x: tf.Tensor) => tf.Tensor;
  /** Random numbers of the penalties (WGAN-GP's α). */
  random: Random;
  /** Discriminator updates so far (lazy R1 counts them). */
  discriminatorUpdates: number;
}

/** D's loss on a real and a generated batch, with its penalties, and what the step reports. */
function discriminatorObjective(
  p: Parts,
  real: tf.Tensor,
  fake: tf.Tensor,
  y: tf.Tensor | undefined,
  out: tf.Tensor[],
  wantGeneratorLoss = false,
): tf.Scalar {
  const { loss, gradientPenalty, r1, r1Every, batchSize } = p.settings;
  const realSeen = p.augment(real), fakeSeen = p.augment(fake);
  const [realLogits, fakeLogits] = p.judge(realSeen, fakeSeen, y); // (B, 1) each
  // tf.keep: these outlive the tapes' cleanup (and every tidy); disposed once stacked.
  out.push(...keepStats(realLogits, fakeLogits, loss));
  if (wantGeneratorLoss) out.push(tf.keep(generatorLoss(fakeLogits, loss)));
  let objective = discriminatorLoss(realLogits, fakeLogits, loss);
  const critic = (x: tf.Tensor) => p.D(withLabel(x, y));
  if (loss === "wgan-gp" && gradientPenalty > 0) {
    const alpha = interpolationWeights(p.random, batchSize);
    objective = tf.add(
      objective,
      tf.mul(gradientPenalty, wganGradientPenalty(critic, realSeen, fakeSeen, alpha)),
    );
  }
  if (r1 > 0 && p.discriminatorUpdates % r1Every === 0) {
    // Lazy R1: every r1Every-th update, weighted by r1Every.
    objective = tf.add(objective, tf.mul((r1 / 2) * r1Every, r1Penalty(critic, realSeen)));
  }
  return objective;
}

/** `[D(x), D(G(z)), D's outputs on reals (B)]`, kept. */
function keepStats(realLogits: tf.Tensor, fakeLogits: tf.Tensor, loss: LossName): tf.Tensor[] {
  return [
    tf.keep(discriminatorScore(realLogits, loss)),
    tf.keep(discriminatorScore(fakeLogits, loss)),
    tf.keep(tf.reshape(realLogits, [-1])),
  ];
}

/**
 * One step's updates; returns `[lossD, lossG, D(x), D(G(z))]` as one tensor, followed by D's B
 * outputs on reals with ADA.
 * A step without D's update reports D's loss on the batch without penalties; one without G's the
 * generator's loss against D before its update.
 */
function update(
  p: Parts,
  batch: Float32Array,
  noise: Float32Array,
  labels: ArrayLike<number> | undefined,
  part: StepPart,
): tf.Tensor {
  const { G, D, judge, varsG, varsD, latentDim, classes } = p;
  const { batchSize, loss, generatorSteps } = p.settings;
  return tf.tidy(() => {
    if (classes && labels?.length !== batchSize) {
      throw new RangeError(`GanStep: a conditional GAN needs ${batchSize} labels a batch`);
    }
    // (B, classes): the real batch's classes, asked of the generator too
    const y = classes
      ? tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels!), "int32"), classes), "float32")
      : undefined;
    // (B, height, width, channels): real images; (B, latentDim): noise
    const real = tf.tensor4d(batch, [batchSize, ...p.imageShape]);
    const noiseBatch = (k: number) =>
      tf.tensor2d(
        noise.subarray(k * batchSize * latentDim, (k + 1) * batchSize * latentDim),
        [batchSize, latentDim],
      );
    const z = noiseBatch(0);
    const stats: tf.Tensor[] = []; // D(x), D(G(z)), D's outputs on reals
    let lossD: tf.Scalar | undefined;
    let lossG: tf.Scalar;
    const updateD = (fake: tf.Tensor, wantGeneratorLoss = false) => {
      const d = tf.variableGrads(
        () => discriminatorObjective(p, real, fake, y, stats, wantGeneratorLoss),
        varsD,
      );
      p.optimizerD.apply(d.grads);
      p.spectral?.apply();
      p.discriminatorUpdates++;
      lossD = tf.keep(d.value);
    };
    if (part === "discriminator") {
      // The generator's loss is the one against D before its update, on the logits D's loss saw.
      updateD(G(withLabel(z, y)), true);
      lossG = stats.pop() as tf.Scalar;
    } else if (part === "generator") {
      const g = tf.variableGrads(() => {
        const [realLogits, fakeLogits] = judge(
          p.augment(real),
          p.augment(G(withLabel(z, y))),
          y,
        );
        stats.push(...keepStats(realLogits, fakeLogits, loss));
        lossD = tf.keep(discriminatorLoss(realLogits, fakeLogits, loss));
        return generatorLoss(fakeLogits, loss);
      }, varsG);
      p.optimizerG.apply(g.grads);
      lossG = g.value;
    } else {
      // One generator forward pass serves both steps, as in PyTorch's examples: it is recorded on
      // the generator's tape, the discriminator's step runs on its output in between (its own
      // tape nested inside; nothing of it leads to the generator's loss, so the generator's
      // gradient ignores it), and the generator's loss then uses the updated discriminator.
      const g = tf.variableGrads(() => {
        const fake = G(withLabel(z, y));
        updateD(fake);
        return generatorLoss(D(withLabel(p.augment(fake), y)), loss);
      }, varsG);
      p.optimizerG.apply(g.grads);
      lossG = g.value;
    }
    for (let k = 1; part !== "discriminator" && k < generatorSteps; k++) {
      const z = noiseBatch(k);
      const fake = () => p.augment(G(withLabel(z, y)));
      p.optimizerG.apply(
        tf.variableGrads(() => generatorLoss(D(withLabel(fake(), y)), loss), varsG).grads,
      );
    }
    const [dReal, dFake, realLogits] = stats;
    const scalars = tf.stack([lossD!, lossG, dReal, dFake]);
    // D's outputs on reals come back only for ADA, which reads their signs.
    const stacked = p.settings.ada ? tf.concat([scalars, realLogits]) : scalars;
    tf.dispose([lossD!, lossG, ...stats]);
    return stacked;
  });
}

/**
 * The training step on tf.js's autograd: two `TensorAdam`s over the models' variables, and
 * spectral normalisation of the discriminator when asked for.
 *
 * @param generator The generator, `(B, latentDim)` → `(B, height, width, channels)`.
 * @param discriminator The discriminator, images → `(B, 1)` logits.
 * @param options Batch size, optimiser settings, generator updates per step (default 1).
 * @returns The step.
 */
export function createAutogradStep(
  generator: LayersModel,
  discriminator: LayersModel,
  options: GanStepOptions,
): GanStep {
  const settings = stepSettings(options);
  const { learningRate, generatorLearningRate, beta1, beta2, epsilon } = settings;
  const latentDim = generator.inputs[0].shape[1] as number;
  const imageShape = generator.outputs[0].shape.slice(1) as [number, number, number];
  checkPenaltyDiscriminator(discriminator, settings);
  const varsD = trainableVariables(discriminator);
  const varsG = trainableVariables(generator);
  const adam = { learningRate, beta1, beta2, epsilon };
  const optimizerD = new TensorAdam(varsD, adam);
  const optimizerG = new TensorAdam(varsG, {
    ...adam,
    learningRate: generatorLearningRate,
  });
  const spectral = options.spectralNorm ? new SpectralNorm(discriminator) : undefined;
  const classes = generator.inputs.length === 2 ? generator.inputs[1].shape[1] as number : 0;
  const G = runner(generator), D = runner(discriminator);
  const random = options.random ?? new Random(0);
  const augmenter = createAugmenter(settings, random);
  const parts: Parts = {
    G,
    D,
    judge: judgeOf(discriminator, D, settings.batchSize),
    varsG,
    varsD,
    optimizerG,
    optimizerD,
    spectral,
    settings,
    latentDim,
    imageShape,
    classes,
    augment: (x) => augmenter.apply(x),
    random,
    discriminatorUpdates: 0,
  };

  return {
    kind: "autograd",
    async run(batch, noise, labels, part = "both") {
      const stats = update(parts, batch, noise, labels, part);
      // Asynchronous read: WebGPU cannot read synchronously in Deno (it has no canvas).
      const values = await stats.data() as Float32Array;
      stats.dispose();
      const [lossD, lossG, dReal, dFake] = values;
      if (part !== "generator") augmenter.observe(values.subarray(4));
      return { lossD, lossG, dReal, dFake, augmentProbability: augmenter.probability };
    },
    exportState() {
      return {
        generator: optimizerG.exportState(),
        discriminator: optimizerD.exportState(),
        ...(spectral ? { spectral: spectral.exportState() } : {}),
        discriminatorUpdates: parts.discriminatorUpdates,
        ...(settings.ada ? { augment: augmenter.exportState() } : {}),
      };
    },
    importState(state) {
      if (!spectral) refuseSpectralState(state);
      optimizerG.importState(state.generator);
      optimizerD.importState(state.discriminator);
      parts.discriminatorUpdates = state.discriminatorUpdates ?? 0;
      if (state.augment) augmenter.importState(state.augment);
      // A state without them (spectral normalisation switched on at a resume) keeps the vectors
      // made from the weights.
      if (state.spectral) spectral!.importState(state.spectral);
    },
    dispose() {
      optimizerD.dispose();
      optimizerG.dispose();
      spectral?.dispose();
    },
  };
}
