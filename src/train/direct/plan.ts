/**
 * The layer plan of the direct step: a model's layers as the operations that
 * src/train/direct/network.ts runs on our kernels (Dense with its activation fused, BatchNorm,
 * ReLU, LeakyReLU, Tanh), or undefined where a layer or the model's graph is not covered.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../../tf_types.ts";

/** A weight of a layer: tfjs-layers' LayerVariable. */
export interface Weight {
  read(): tf.Variable;
}

/** One operation of a network's forward pass, with the weights it reads. */
export type Op =
  | {
    kind: "dense";
    units: number;
    inputs: number;
    kernel: Weight;
    bias: Weight | undefined;
    /** Activation applied as the product's tiles are written. */
    act: "linear" | "relu" | "leaky";
    alpha: number;
  }
  | {
    kind: "batchNorm";
    units: number;
    gamma: Weight;
    beta: Weight;
    movingMean: Weight;
    movingVariance: Weight;
    epsilon: number;
    momentum: number;
  }
  | { kind: "relu" | "leaky" | "tanh"; units: number; alpha: number };

/** The parts of tfjs-layers' layer objects read here. */
interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  kernel?: Weight;
  bias?: Weight;
  gamma?: Weight;
  beta?: Weight;
  movingMean?: Weight;
  movingVariance?: Weight;
  center?: boolean;
  scale?: boolean;
  axis?: number;
  alpha?: number;
  epsilon?: number;
  momentum?: number;
  inboundNodes?: { inboundLayers: unknown[] }[];
}

/**
 * A model's layers as the operations of this module, or undefined where one is not covered.
 *
 * @param model A tf.js model.
 * @param inputs Width of the flattened input.
 */
export function planOf(model: LayersModel, inputs: number): Op[] | undefined {
  const layers = chainOf(model);
  if (!layers) return undefined;
  const ops: Op[] = [];
  let width = inputs;
  for (const layer of layers) {
    const name = layer.getClassName();
    const config = layer.getConfig();
    const last = ops.at(-1);
    // An activation right after a linear Dense goes into the product's epilogue.
    const fusable = last?.kind === "dense" && last.act === "linear";
    if (name === "Flatten" || name === "Reshape" || name === "InputLayer") continue;
    if (name === "Dense") {
      const activation = config.activation as string;
      if ((activation !== "linear" && activation !== "relu") || !layer.kernel) return undefined;
      const units = config.units as number;
      ops.push({
        kind: "dense",
        units,
        inputs: width,
        kernel: layer.kernel,
        bias: config.useBias ? layer.bias : undefined,
        act: activation,
        alpha: 0,
      });
      width = units;
    } else if (name === "BatchNormalization") {
      const axis = layer.axis;
      if (
        !layer.center || !layer.scale || (axis !== -1 && axis !== 1) || !layer.gamma ||
        !layer.beta || !layer.movingMean || !layer.movingVariance
      ) return undefined;
      ops.push({
        kind: "batchNorm",
        units: width,
        gamma: layer.gamma,
        beta: layer.beta,
        movingMean: layer.movingMean,
        movingVariance: layer.movingVariance,
        epsilon: layer.epsilon!,
        momentum: layer.momentum!,
      });
    } else if (name === "LeakyReLU" || (name === "Activation" && config.activation === "relu")) {
      const kind = name === "LeakyReLU" ? "leaky" : "relu";
      const alpha = kind === "leaky" ? layer.alpha ?? (config.alpha as number) : 0;
      if (fusable) Object.assign(last, { act: kind, alpha });
      else ops.push({ kind, units: width, alpha });
    } else if (name === "Activation" && config.activation === "tanh") {
      ops.push({ kind: "tanh", units: width, alpha: 0 });
    } else if (name === "Activation" && config.activation === "linear") {
      continue;
    } else {
      return undefined;
    }
  }
  return ops;
}

/**
 * The layers that a model runs one after the other on one row vector: a Sequential model's, or a
 * conditional MLP's (src/models/create.ts: the input, flattened, joined with the one-hot label by a
 * Concatenate, then a chain of layers), whose input row is then the input ‖ the label.
 * Undefined for any other graph.
 */
function chainOf(model: LayersModel): LayerLike[] | undefined {
  const layers = model.layers as unknown as LayerLike[];
  if (model.getClassName() === "Sequential") return layers;
  if (model.inputs.length !== 2 || model.outputs.length !== 1) return undefined;
  const join = layers.findIndex((l) => l.getClassName() === "Concatenate");
  if (join < 0) return undefined;
  const inbound = (
    l: LayerLike,
  ) => (l.inboundNodes?.length === 1 ? l.inboundNodes[0].inboundLayers : []);
  // Before the join: the two inputs, and at most a Flatten of the first.
  const before = layers.slice(0, join);
  const [first, label] = inbound(layers[join]) as LayerLike[];
  const flattened = first?.getClassName() === "Flatten" ? inbound(first)[0] : first;
  const inputLayers = model.inputLayers as unknown as LayerLike[];
  if (
    flattened !== inputLayers[0] || label !== inputLayers[1] ||
    (layers[join].getConfig().axis ?? -1) !== -1 ||
    !before.every((l) => l === inputLayers[0] || l === inputLayers[1] || l === first)
  ) return undefined;
  // After it: a chain, each layer fed by the one before.
  const chain = layers.slice(join + 1);
  if (!chain.every((l, i) => inbound(l).length === 1 && inbound(l)[0] === layers[join + i])) {
    return undefined;
  }
  return chain;
}
