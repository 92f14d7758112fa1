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
import { discriminatorLoss, generatorLoss } from "./losses.ts";
import { refuseSpectralState, SpectralNorm } from "./spectral.ts";
import type { GanStep, GanStepOptions } from "./step.ts";
import { stepSettings } from "./step_settings.ts";
import { runner } from "./runner.ts";

type Pass = (x: tf.Tensor | tf.Tensor[]) => tf.Tensor;

/** The tf.js variables behind a model's trainable weights. */
function trainableVariables(model: LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** A discriminator's logits for a real and a generated batch, `(B, 1)` each. */
type Judge = (real: tf.Tensor, fake: tf.Tensor, y: tf.Tensor | undefined) => [tf.Tensor, tf.Tensor];

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
  const batchDependent = discriminator.layers.some((l) =>
    l.getClassName() === "BatchNormalization"
  );
  return (real, fake, y) => {
    if (batchDependent) {
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
  batchSize: number;
  latentDim: number;
  imageShape: [number, number, number];
  /** Classes of a conditional GAN (0: unconditional). */
  classes: number;
  generatorSteps: number;
}

/** One step's updates of both models; returns `[lossD, lossG, D(x), D(G(z))]` as one tensor. */
function update(
  p: Parts,
  batch: Float32Array,
  noise: Float32Array,
  labels?: ArrayLike<number>,
): tf.Tensor {
  const { G, D, judge, varsG, varsD, batchSize, latentDim, classes } = p;
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
    let dReal: tf.Scalar | undefined;
    let dFake: tf.Scalar | undefined;
    let lossD: tf.Scalar | undefined;
    // One generator forward pass serves both steps, as in PyTorch's examples: it is recorded on
    // the generator's tape, the discriminator's step runs on its output in between (its own
    // tape nested inside; nothing of it leads to the generator's loss, so the generator's
    // gradient ignores it), and the generator's loss then uses the updated discriminator.
    const g = tf.variableGrads(() => {
      const fake = G(withLabel(z, y));
      const d = tf.variableGrads(() => {
        const [realLogits, fakeLogits] = judge(real, fake, y); // (B, 1) each
        // tf.keep: these outlive the tapes' cleanup (and every tidy); disposed once stacked.
        dReal = tf.keep(tf.mean(tf.sigmoid(realLogits)));
        dFake = tf.keep(tf.mean(tf.sigmoid(fakeLogits)));
        return discriminatorLoss(realLogits, fakeLogits);
      }, varsD);
      p.optimizerD.apply(d.grads);
      p.spectral?.apply();
      lossD = tf.keep(d.value);
      // Non-saturating: the generator maximises log D(G(z)).
      return generatorLoss(D(withLabel(fake, y)));
    }, varsG);
    p.optimizerG.apply(g.grads);
    for (let k = 1; k < p.generatorSteps; k++) {
      const z = noiseBatch(k);
      p.optimizerG.apply(
        tf.variableGrads(() => generatorLoss(D(withLabel(G(withLabel(z, y)), y))), varsG).grads,
      );
    }
    const stacked = tf.stack([lossD!, g.value, dReal!, dFake!]);
    tf.dispose([lossD!, dReal!, dFake!]);
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
  const { batchSize, learningRate, generatorLearningRate, beta1, beta2, epsilon, generatorSteps } =
    stepSettings(options);
  const latentDim = generator.inputs[0].shape[1] as number;
  const imageShape = generator.outputs[0].shape.slice(1) as [number, number, number];
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
  const parts: Parts = {
    G,
    D,
    judge: judgeOf(discriminator, D, batchSize),
    varsG,
    varsD,
    optimizerG,
    optimizerD,
    spectral,
    batchSize,
    latentDim,
    imageShape,
    classes,
    generatorSteps,
  };

  return {
    kind: "autograd",
    async run(batch, noise, labels) {
      const stats = update(parts, batch, noise, labels);
      // Asynchronous read: WebGPU cannot read synchronously in Deno (it has no canvas).
      const [lossD, lossG, dReal, dFake] = await stats.data();
      stats.dispose();
      return { lossD, lossG, dReal, dFake };
    },
    exportState() {
      return {
        generator: optimizerG.exportState(),
        discriminator: optimizerD.exportState(),
        ...(spectral ? { spectral: spectral.exportState() } : {}),
      };
    },
    importState(state) {
      if (!spectral) refuseSpectralState(state);
      optimizerG.importState(state.generator);
      optimizerD.importState(state.discriminator);
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
