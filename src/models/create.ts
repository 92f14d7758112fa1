/**
 * {@linkcode createGenerator} and {@linkcode createDiscriminator}: a preset's generator or
 * discriminator as a plain tf.js layers model, an MLP (src/models/mlp.ts) or a DCGAN
 * (src/models/dcgan.ts) as the options' `architecture` says; with `classes`, conditional: the
 * one-hot label joined to the input.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import type { LayersModel } from "../tf_types.ts";
import { dcganDiscriminator, dcganGenerator, dcganLabelJoin } from "./dcgan.ts";
import { mlpDiscriminator, mlpGenerator, mlpLabelJoin } from "./mlp.ts";
import {
  type CreateDiscriminatorOptions,
  type CreateGeneratorOptions,
  resolveDiscriminatorOptions,
  resolveGeneratorOptions,
} from "./options.ts";
import { setLatentMixture } from "./prior.ts";
import { SeedSource } from "./seeds.ts";
import type { DiscriminatorOptions, GeneratorOptions } from "./presets.ts";
import { ProGANDiscriminator, ProGANGenerator } from "./style/progan.ts";
import { StyleGANGenerator } from "./style/stylegan.ts";

/** A style-family generator (`progan`, `stylegan`): one registered layer, z (and the label) in. */
function styleFamilyGenerator(o: GeneratorOptions, seed: number): LayersModel {
  const classes = o.classes ?? 0;
  const common = { channels: o.hiddenUnits, imageShape: o.imageShape, seed, name: o.architecture };
  const layer = o.architecture === "progan"
    ? new ProGANGenerator({ ...common, latentDim: o.latentDim, growth: o.growth ?? null })
    : new StyleGANGenerator({
      ...common,
      latentDim: o.latentDim,
      styleDim: o.styleDim ?? o.latentDim,
      mappingLayers: o.mappingLayers ?? 4,
      mixing: o.mixing ?? 0.9,
      classes,
    });
  if (classes && o.architecture === "progan") {
    throw new RangeError("createGenerator: a progan generator has no class input (use stylegan)");
  }
  if (!classes) return tfl.sequential({ name: "generator", layers: [layer] });
  const z = tfl.input({ shape: [o.latentDim], name: "z" });
  const label = tfl.input({ shape: [classes], name: "label" });
  // [(B, latentDim), (B, classes)] -> (B, H, W, C)
  const x = layer.apply([z, label]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [z, label], outputs: x, name: "generator" });
}

/** ProGAN's discriminator (`progan`, and `stylegan`'s, grown from the start). */
function styleFamilyDiscriminator(o: DiscriminatorOptions, seed: number): LayersModel {
  const classes = o.classes ?? 0;
  const layer = new ProGANDiscriminator({
    channels: o.hiddenUnits,
    imageShape: o.imageShape,
    growth: o.architecture === "progan" ? o.growth ?? null : null,
    classes,
    seed,
    name: `${o.architecture}_d`,
  });
  if (!classes) return tfl.sequential({ name: "discriminator", layers: [layer] });
  const image = tfl.input({ shape: o.imageShape, name: "image" });
  const label = tfl.input({ shape: [classes], name: "label" });
  // [(B, H, W, C), (B, classes)] -> (B, 1)
  const x = layer.apply([image, label]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [image, label], outputs: x, name: "discriminator" });
}

/** Whether the options build one of the style family's registered layers. */
const styleFamily = (architecture: string | undefined) =>
  architecture === "progan" || architecture === "stylegan";

/**
 * Builds a generator: an MLP, z → (Dense → [BatchNorm] → activation) × hidden → Dense → image, or
 * with `architecture: "dcgan"` a DCGAN's (src/models/dcgan.ts).
 *
 * @param options A preset (default `"quick"`, `DEFAULT_PRESET`) and any fields to override.
 * @returns A tf.js layers model from `(B, latentDim)` noise to `(B, height, width, channels)`
 * images in the output activation's range.
 *
 * @example The standard generator, and a wider variant of the lite one
 * ```ts
 * import { createGenerator } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "standard", seed: 1 });
 * console.log(generator.countParams()); // 293136
 * const wide = createGenerator({ preset: "lite", hiddenUnits: [256, 512, 1024] });
 * console.log(wide.outputs[0].shape); // [null, 28, 28, 1]
 * ```
 */
export function createGenerator(options: CreateGeneratorOptions = {}): LayersModel {
  const o = resolveGeneratorOptions(options);
  const seeds = new SeedSource(options.seed, 0x47454e);
  if (styleFamily(o.architecture)) return styleFamilyGenerator(o, seeds.next() ?? 0);
  const classes = o.classes ?? 0;
  // Unconditional: a Sequential model from z. Conditional: z and the one-hot label joined first.
  const inputShape = classes ? undefined : [o.latentDim];
  const layers = o.architecture === "dcgan"
    ? dcganGenerator(o, seeds, inputShape)
    : mlpGenerator(o, seeds, inputShape);
  let model: LayersModel;
  if (!classes) {
    model = tfl.sequential({ name: "generator", layers });
  } else {
    const z = tfl.input({ shape: [o.latentDim], name: "z" });
    const label = tfl.input({ shape: [classes], name: "label" });
    // (B, latentDim) ‖ (B, classes) -> (B, latentDim + classes)
    let x = tfl.layers.concatenate({ name: "g_join" }).apply([z, label]) as tfl.SymbolicTensor;
    for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
    model = tfl.model({ inputs: [z, label], outputs: x, name: "generator" });
  }
  if (o.latentMixture) setLatentMixture(model, o.latentMixture);
  return model;
}

/**
 * Builds a discriminator: an MLP, image → flatten → (Dense → activation → [Dropout]) × hidden →
 * Dense → one logit, or with `architecture: "dcgan"` a DCGAN's (src/models/dcgan.ts). It outputs
 * logits, not probabilities: the loss applies the sigmoid (stably), and `tf.sigmoid(logit)` is the
 * probability that the image is real.
 *
 * @param options A preset (default `"quick"`, `DEFAULT_PRESET`) and any fields to override.
 * @returns A tf.js layers model from `(B, height, width, channels)` images to `(B, 1)` logits.
 *
 * @example The standard discriminator
 * ```ts
 * import { createDiscriminator } from "@gan/mnist";
 *
 * const discriminator = createDiscriminator({ preset: "standard", seed: 1 });
 * console.log(discriminator.countParams()); // 267009
 * ```
 */
export function createDiscriminator(options: CreateDiscriminatorOptions = {}): LayersModel {
  const o = resolveDiscriminatorOptions(options);
  const seeds = new SeedSource(options.seed, 0x444953);
  if (styleFamily(o.architecture)) return styleFamilyDiscriminator(o, seeds.next() ?? 0);
  const [height, width, channels] = o.imageShape;
  const classes = o.classes ?? 0;
  const dcgan = o.architecture === "dcgan";
  if (!classes) {
    const layers = dcgan ? dcganDiscriminator(o, seeds, o.imageShape) : mlpDiscriminator(o, seeds);
    return tfl.sequential({ name: "discriminator", layers });
  }
  const image = tfl.input({ shape: [height, width, channels], name: "image" });
  const label = tfl.input({ shape: [classes], name: "label" });
  let x = dcgan ? dcganLabelJoin(image, label, o) : mlpLabelJoin(image, label);
  const layers = dcgan ? dcganDiscriminator(o, seeds, undefined) : mlpDiscriminator(o, seeds, true);
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [image, label], outputs: x, name: "discriminator" });
}
