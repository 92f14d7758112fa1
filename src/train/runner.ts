/**
 * A model's forward pass in training mode as the training step runs it: its layers called
 * directly (skipping `apply`'s graph bookkeeping), BatchNorm layers on our fused kernels, and a
 * conditional DCGAN's label maps taken out of its first convolution.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import { fusedBatchNormCall } from "../backend/kernels/batch_norm.ts";
import { type Conv2DLike, convWithLabelMaps } from "./label_maps.ts";

type Layer = LayersModel["layers"][number];
type Pass = (x: tf.Tensor | tf.Tensor[]) => tf.Tensor;

/** A training-mode call of one layer: our fused BatchNorm where it applies, else its own call. */
function layerCall(layer: Layer): Pass {
  const batchNorm = fusedBatchNormCall(layer);
  if (batchNorm) return (x) => batchNorm(x as tf.Tensor);
  return (x) => layer.call(x, { training: true }) as tf.Tensor;
}

/** One layer's call in a functional model's graph: the tensors it reads and the one it makes. */
interface GraphCall {
  layer: Layer;
  call: Pass;
  inputs: number[];
  output: number;
}

/**
 * A functional model's graph as layer calls in an order where every call's inputs are made
 * before it: tf.js-layers' own order (`nodesByDepth`, deepest first, as `runInternalGraph` walks
 * it); tensors are named by their symbolic tensors' ids. Masks are not carried (no layer of
 * ours makes one). Undefined for a graph this does not cover: several outputs, or a layer with
 * several.
 */
function graphCalls(model: LayersModel): GraphCall[] | undefined {
  if (model.outputs.length !== 1) return undefined;
  const depths = Object.keys(model.nodesByDepth).map(Number).sort((a, b) => b - a);
  const calls: GraphCall[] = [];
  for (const depth of depths) {
    for (const node of model.nodesByDepth[depth]) {
      if (node.inboundLayers.length === 0) continue; // an input
      if (node.outputTensors.length !== 1) return undefined;
      calls.push({
        layer: node.outboundLayer,
        call: layerCall(node.outboundLayer),
        inputs: node.inputTensors.map((t) => t.id),
        output: node.outputTensors[0].id,
      });
    }
  }
  return withoutLabelMaps(calls);
}

/**
 * The calls with a conditional DCGAN's label maps taken out: where a Conv2D convolves
 * `concatenate([image, upSampling2d(reshape(label))])` (src/models/dcgan.ts's `dcganLabelJoin`),
 * and nothing else reads the maps, the convolution is computed from the image and the label
 * directly (src/train/label_maps.ts) and the three calls that made the maps are dropped.
 */
function withoutLabelMaps(calls: GraphCall[]): GraphCall[] {
  const maker = new Map(calls.map((c) => [c.output, c]));
  const readers = new Map<number, number>();
  for (const c of calls) for (const id of c.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  const only = (id: number) => readers.get(id) === 1;
  const dropped = new Set<GraphCall>();
  const result = calls.map((conv) => {
    const join = maker.get(conv.inputs[0]);
    if (
      conv.layer.getClassName() !== "Conv2D" || conv.inputs.length !== 1 || !join ||
      join.layer.getClassName() !== "Concatenate" || join.inputs.length !== 2 ||
      !only(join.output)
    ) {
      return conv;
    }
    const axis = (join.layer as unknown as { axis: number }).axis;
    const side = join.inputs.findIndex((id) => {
      const up = maker.get(id);
      const flat = up && maker.get(up.inputs[0]);
      return up?.layer.getClassName() === "UpSampling2D" && only(id) &&
        flat?.layer.getClassName() === "Reshape" && only(flat.output) &&
        isLabelPixel(flat.layer) && fillsImage(up.layer, join.layer);
    });
    const layer = conv.layer as unknown as Conv2DLike;
    if (side < 0 || (axis !== -1 && axis !== 3) || layer.dataFormat !== "channelsLast") return conv;
    const up = maker.get(join.inputs[side])!, flat = maker.get(up.inputs[0])!;
    dropped.add(join).add(up).add(flat);
    return {
      layer: conv.layer,
      call: (x: tf.Tensor | tf.Tensor[]) => {
        const [image, label] = x as tf.Tensor[];
        return convWithLabelMaps(layer, image as tf.Tensor4D, label as tf.Tensor2D, side === 0);
      },
      inputs: [join.inputs[1 - side], flat.inputs[0]],
      output: conv.output,
    };
  });
  return result.filter((c) => !dropped.has(c));
}

/** Whether a Reshape layer makes `(B, 1, 1, classes)` pixels of a `(B, classes)` label. */
function isLabelPixel(layer: Layer): boolean {
  const target = (layer as unknown as { targetShape: number[] }).targetShape;
  return target?.length === 3 && target[0] === 1 && target[1] === 1;
}

/** Whether an UpSampling2D layer spreads a 1×1 pixel over the whole joined image. */
function fillsImage(up: Layer, join: Layer): boolean {
  const size = (up as unknown as { size: number[] }).size;
  const shape = join.outputShape as number[];
  return size?.length === 2 && size[0] === shape[1] && size[1] === shape[2];
}

/**
 * A model's forward pass in training mode, its layers called directly, skipping `apply`'s graph
 * bookkeeping (a sixth of a small step), BatchNorm layers on our fused kernels where they apply:
 * a Sequential model's one after the other, a functional model's (a conditional GAN's, with two
 * inputs) in its graph's order. A graph it does not cover goes through `apply`. The model itself
 * is untouched: saved, loaded and called outside training as before.
 *
 * @param model A tf.js layers model.
 * @returns Its training-mode forward pass.
 *
 * @example A conditional DCGAN discriminator's pass, its label maps taken out
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { createDiscriminator } from "../models/create.ts";
 * import { runner } from "./runner.ts";
 *
 * const D = runner(createDiscriminator({ preset: "cdcgan" }));
 * const logits = D([tf.zeros([2, 28, 28, 1]), tf.cast(tf.oneHot([3, 7], 10), "float32")]);
 * console.log(logits.shape); // [2, 1]
 * ```
 */
export function runner(model: LayersModel): Pass {
  if (model.getClassName() === "Sequential") {
    const calls = model.layers.map(layerCall);
    return (x) => {
      if (Array.isArray(x)) return model.apply(x, { training: true }) as tf.Tensor;
      let y = x;
      for (const call of calls) y = call(y);
      return y;
    };
  }
  const calls = graphCalls(model);
  if (!calls) return (x) => model.apply(x, { training: true }) as tf.Tensor;
  const inputs = model.inputs.map((t) => t.id), output = model.outputs[0].id;
  return (x) => {
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length !== inputs.length) {
      throw new RangeError(`the model takes ${inputs.length} inputs, got ${xs.length}`);
    }
    const values = new Map(inputs.map((id, i) => [id, xs[i]]));
    for (const step of calls) {
      const args = step.inputs.map((id) => values.get(id)!);
      values.set(step.output, step.call(args.length === 1 ? args[0] : args));
    }
    return values.get(output)!;
  };
}
