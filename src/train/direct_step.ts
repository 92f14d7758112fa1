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
 * kernels. {@linkcode createGanStep} uses it there and
 * the autograd step everywhere else.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ADAM_UPDATE } from "../backend/kernels/adam.ts";
import { type HeapKernels, heapKernels } from "../backend/kernels/module.ts";
import { splitAdam, splitGemm } from "../backend/kernels/pool.ts";
import type { LayersModel } from "../tf_types.ts";
import { adamScalars, type AdamSettings, type AdamState, checkAdamState } from "./adam.ts";
import type { GanStep } from "./train.ts";
import { refuseSpectralState } from "./spectral.ts";

const f32 = Math.fround;

/** A weight of a layer: tfjs-layers' LayerVariable. */
interface Weight {
  read(): tf.Variable;
}

/** Activations applied in a product's epilogue (kernels.c: ACT_RELU, ACT_LEAKY_RELU). */
const EPILOGUE = { linear: 0, relu: 1, leaky: 3 } as const;

type Op =
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
function planOf(model: LayersModel, inputs: number): Op[] | undefined {
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
 * conditional MLP's (src/models/mlp.ts: the input, flattened, joined with the one-hot label by a
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

/** A variable's size. */
const sizeOf = (w: Weight): number => w.read().size;

/**
 * One network's buffers on the heap and its forward and backward passes.
 */
class Network {
  readonly ops: Op[];
  readonly inputs: number;
  readonly rows: number;
  /** Output of each op, `rows × units`. */
  readonly outputs: number[];
  /** BatchNorm's batch mean and variance, per op (0 elsewhere). */
  readonly means: number[];
  readonly variances: number[];
  /** Trainable weights, in the model's order, with their gradient buffers. */
  readonly weights: { weight: Weight; grad: number; size: number }[] = [];
  readonly #kernels: HeapKernels;
  /** Gradient buffer of each weight, by weight. */
  readonly #grads = new Map<Weight, number>();
  /** The output buffers allocated here. */
  readonly #owned: number[];
  /** Where the first op read its input in the last forward pass. */
  #input = 0;

  /**
   * @param kernels Our kernels on tf.js's heap.
   * @param model The model the ops come from.
   * @param ops Its ops.
   * @param inputs Width of its input.
   * @param rows Most rows of a pass.
   * @param output Where the last op writes (a buffer of its own when not given).
   */
  constructor(
    kernels: HeapKernels,
    model: LayersModel,
    ops: Op[],
    inputs: number,
    rows: number,
    output?: number,
  ) {
    this.#kernels = kernels;
    this.ops = ops;
    this.inputs = inputs;
    this.rows = rows;
    this.outputs = ops.map((op, i) =>
      i === ops.length - 1 && output !== undefined ? output : kernels.alloc(rows * op.units)
    );
    this.#owned = output === undefined ? this.outputs : this.outputs.slice(0, -1);
    this.means = ops.map((op) => op.kind === "batchNorm" ? kernels.alloc(op.units) : 0);
    this.variances = ops.map((op) => op.kind === "batchNorm" ? kernels.alloc(op.units) : 0);
    const trainable = new Set(model.trainableWeights.map((w) => w.read()));
    for (const op of ops) {
      const own = op.kind === "dense"
        ? [op.kernel, op.bias]
        : op.kind === "batchNorm"
        ? [op.gamma, op.beta]
        : [];
      for (const weight of own) {
        if (!weight) continue;
        const size = sizeOf(weight);
        const grad = kernels.alloc(size);
        this.#grads.set(weight, grad);
        if (trainable.has(weight.read())) this.weights.push({ weight, grad, size });
      }
    }
  }

  /** Whether every trainable weight of the model is covered by the ops. */
  covers(model: LayersModel): boolean {
    return this.weights.length === model.trainableWeights.length;
  }

  /** The heap offset of a weight's current value. */
  #at(weight: Weight): number {
    return this.#kernels.offset(weight.read().dataId);
  }

  /** The output of the last op. */
  get output(): number {
    return this.outputs[this.outputs.length - 1];
  }

  /**
   * The forward pass in training mode on `rows` rows at `input`; BatchNorm uses the batch's
   * statistics and updates its moving averages.
   *
   * @param input Byte offset of `rows × inputs` floats.
   * @param rows Rows (at most the network's).
   */
  forward(input: number, rows: number): void {
    const e = this.#kernels.exports;
    this.#input = input;
    let x = input;
    this.ops.forEach((op, i) => {
      const y = this.outputs[i];
      const n = rows * op.units;
      switch (op.kind) {
        case "dense":
          splitGemm(this.#kernels, {
            a: x,
            b: this.#at(op.kernel),
            c: y,
            m: rows,
            n: op.units,
            k: op.inputs,
            transA: false,
            transB: false,
            bias: op.bias ? this.#at(op.bias) : 0,
            act: EPILOGUE[op.act],
            alpha: op.alpha,
          });
          break;
        case "batchNorm":
          e.batch_norm_train(
            x,
            this.#at(op.gamma),
            this.#at(op.beta),
            y,
            this.means[i],
            this.variances[i],
            rows,
            op.units,
            op.epsilon,
          );
          this.#movingAverage(op.movingMean, this.means[i], op);
          this.#movingAverage(op.movingVariance, this.variances[i], op);
          break;
        case "relu":
          e.relu(x, y, n);
          break;
        case "leaky":
          e.leaky_relu(x, y, n, op.alpha);
          break;
        case "tanh":
          e.tanh_f32(x, y, n);
          break;
      }
      x = y;
    });
  }

  /** tf.js's layer's update in float32: `moving -= (moving - batch) · (1 - momentum)`. */
  #movingAverage(weight: Weight, batch: number, op: { units: number; momentum: number }): void {
    const heap = this.#kernels.memory.buffer;
    const moving = new Float32Array(heap, writable(this.#kernels, weight), op.units);
    const values = new Float32Array(heap, batch, op.units);
    const rate = f32(1 - op.momentum);
    for (let j = 0; j < op.units; j++) {
      moving[j] = f32(moving[j] - f32(f32(moving[j] - values[j]) * rate));
    }
  }

  /**
   * The backward pass of the last forward pass, on two gradient buffers that take turns.
   *
   * @param dOutput Gradient of the loss for the output, `rows × units` (overwritten).
   * @param spare A buffer as large as the largest gradient.
   * @param rows Rows of the last forward pass.
   * @param weights Whether to compute the weights' gradients.
   * @param inputGradient Whether to compute the gradient for the input.
   * @returns The buffer holding the input's gradient (when asked for), and the other one.
   */
  backward(
    dOutput: number,
    spare: number,
    rows: number,
    weights: boolean,
    inputGradient: boolean,
  ): [number, number] {
    const e = this.#kernels.exports;
    let d = dOutput, free = spare;
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i];
      const x = i === 0 ? this.#input : this.outputs[i - 1];
      const y = this.outputs[i];
      const n = rows * op.units;
      switch (op.kind) {
        case "tanh":
          e.tanh_grad(y, d, d, n);
          break;
        case "relu":
          e.relu_grad(y, d, d, n);
          break;
        case "leaky":
          e.leaky_relu_grad(y, d, d, n, op.alpha);
          break;
        case "batchNorm": {
          // The scale and shift get their gradient always (the kernel computes them together).
          e.batch_norm_train_grad(
            x,
            d,
            this.#at(op.gamma),
            this.means[i],
            this.variances[i],
            free,
            this.#grads.get(op.gamma)!,
            this.#grads.get(op.beta)!,
            rows,
            op.units,
            op.epsilon,
          );
          [d, free] = [free, d];
          break;
        }
        case "dense": {
          // The activation's gradient from its output: y > 0 exactly where its input was.
          if (op.act === "relu") e.relu_grad(y, d, d, n);
          else if (op.act === "leaky") e.leaky_relu_grad(y, d, d, n, op.alpha);
          if (weights) {
            // dW = xᵀ · dy (inputs × units); db = Σ_rows dy
            splitGemm(this.#kernels, {
              a: x,
              b: d,
              c: this.#grads.get(op.kernel)!,
              m: op.inputs,
              n: op.units,
              k: rows,
              transA: true,
              transB: false,
            });
            if (op.bias) e.sum_rows(d, this.#grads.get(op.bias)!, rows, op.units);
          }
          if (i > 0 || inputGradient) {
            // dx = dy · Wᵀ (rows × inputs)
            splitGemm(this.#kernels, {
              a: d,
              b: this.#at(op.kernel),
              c: free,
              m: rows,
              n: op.inputs,
              k: op.units,
              transA: false,
              transB: true,
            });
            [d, free] = [free, d];
          }
          break;
        }
      }
    }
    return [d, free];
  }

  /** Frees the buffers. */
  free(): void {
    const all = [...this.#owned, ...this.means, ...this.variances, ...this.#grads.values()];
    for (const offset of all) if (offset) this.#kernels.free(offset);
  }
}

/**
 * The heap offset of a weight's value, made its own first if another tensor shares the data
 * (a reshape of it), so that updating it in place changes nothing else.
 */
function writable(kernels: HeapKernels, weight: Weight): number {
  const variable = weight.read();
  if (kernels.refCount(variable.dataId) > 1) {
    const copy = tf.tensor(variable.dataSync(), variable.shape, "float32");
    variable.assign(copy);
    copy.dispose(); // the variable holds the data now
  }
  return kernels.offset(variable.dataId);
}

/** Adam over one network's weights in the WASM heap, updating them in place (the direct step's; `TensorAdam` (src/train/adam.ts) updates tf.js variables). */
class HeapAdam {
  readonly #kernels: HeapKernels;
  readonly #settings: AdamSettings;
  readonly #moments: { m: number; v: number }[];
  readonly #network: Network;
  /** The model's trainable weight behind each of the network's weights (states are in its order). */
  readonly #order: number[];
  #accBeta1: number;
  #accBeta2: number;
  #steps = 0;

  constructor(
    kernels: HeapKernels,
    network: Network,
    model: LayersModel,
    settings: AdamSettings,
  ) {
    this.#kernels = kernels;
    this.#network = network;
    this.#settings = settings;
    const variables = model.trainableWeights.map((w) => w.read());
    this.#order = network.weights.map(({ weight }) => variables.indexOf(weight.read()));
    this.#moments = network.weights.map(({ size }) => ({
      m: kernels.alloc(size),
      v: kernels.alloc(size),
    }));
    this.#accBeta1 = f32(settings.beta1);
    this.#accBeta2 = f32(settings.beta2);
  }

  /** One update of every weight from the gradients in the network's buffers. */
  apply(): void {
    const scalars = adamScalars(this.#settings, this.#accBeta1, this.#accBeta2);
    this.#network.weights.forEach(({ weight, grad, size }, i) => {
      const x = writable(this.#kernels, weight);
      const { m, v } = this.#moments[i];
      splitAdam(this.#kernels, [x, grad, m, v, x, m, v], size, scalars);
    });
    this.#accBeta1 = f32(this.#accBeta1 * f32(this.#settings.beta1));
    this.#accBeta2 = f32(this.#accBeta2 * f32(this.#settings.beta2));
    this.#steps++;
  }

  /** The moments (copied off the heap), β powers and steps, in the model's weight order. */
  exportState(): AdamState {
    const n = this.#order.length;
    const state: AdamState = {
      steps: this.#steps,
      accBeta1: this.#accBeta1,
      accBeta2: this.#accBeta2,
      m: new Array(n),
      v: new Array(n),
    };
    const heap = this.#kernels.memory.buffer;
    this.#network.weights.forEach(({ size }, i) => {
      const { m, v } = this.#moments[i];
      state.m[this.#order[i]] = new Float32Array(heap, m, size).slice();
      state.v[this.#order[i]] = new Float32Array(heap, v, size).slice();
    });
    return state;
  }

  /** Continues from a state of the same model's weights (from either kind of step). */
  importState(state: AdamState): void {
    const sizes = new Array<number>(this.#order.length);
    this.#network.weights.forEach(({ size }, i) => sizes[this.#order[i]] = size);
    checkAdamState(state, sizes, "GanStep");
    const heap = this.#kernels.memory.buffer;
    this.#network.weights.forEach(({ size }, i) => {
      const { m, v } = this.#moments[i];
      new Float32Array(heap, m, size).set(state.m[this.#order[i]]);
      new Float32Array(heap, v, size).set(state.v[this.#order[i]]);
    });
    this.#accBeta1 = state.accBeta1;
    this.#accBeta2 = state.accBeta2;
    this.#steps = state.steps;
  }

  free(): void {
    for (const { m, v } of this.#moments) this.#kernels.free(m), this.#kernels.free(v);
  }
}

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

/**
 * The training step on our kernels, or undefined where it does not apply (another backend, our
 * kernels off, a layer it does not cover): then the caller uses the autograd step.
 *
 * @param generator The generator (Sequential).
 * @param discriminator The discriminator (Sequential, no BatchNorm).
 * @param options Batch size, Adam settings (`learningRate` the discriminator's, and the
 * generator's unless `generatorLearningRate` is given), generator updates per step.
 * @returns The step, or undefined.
 */
export function createDirectStep(
  generator: LayersModel,
  discriminator: LayersModel,
  options: AdamSettings & {
    batchSize: number;
    generatorSteps: number;
    generatorLearningRate?: number;
  },
): GanStep | undefined {
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

  const { batchSize: B, generatorSteps } = options;
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
  let disposed = false;

  const heap = () => new Float32Array(kernels.memory.buffer);

  /** Writes `rows` rows of `width` values from `values` at `offset`, each row followed by a label. */
  const setRows = (
    offset: number,
    values: Float32Array,
    width: number,
    labels?: ArrayLike<number>,
  ) => {
    const h = heap();
    if (!classes) return h.set(values.subarray(0, B * width), offset / 4);
    const row = width + classes;
    for (let i = 0; i < B; i++) {
      const at = offset / 4 + i * row;
      h.set(values.subarray(i * width, (i + 1) * width), at);
      h.fill(0, at + width, at + row);
      h[at + width + labels![i]] = 1;
    }
  };

  /** G's forward pass on the noise and labels in `z`; conditional: its images into D's rows. */
  const generate = () => {
    G.forward(z, B);
    if (classes) {
      const h = heap(), out = G.output / 4;
      for (let i = 0; i < B; i++) {
        h.copyWithin(fake / 4 + i * rowD, out + i * pixels, out + (i + 1) * pixels);
      }
    }
  };

  /** Generator update on the batch G last generated; returns its loss. */
  const generatorUpdate = (): number => {
    D.forward(fake, B);
    const logits = heap().subarray(D.output / 4, D.output / 4 + B);
    const d = heap().subarray(gradA / 4, gradA / 4 + B);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      // mean(softplus(-l)); d/dl = -(1/B) · sigmoid(-l)
      loss += softplus(-logits[i]);
      d[i] = -f32(inv * sigmoid(-logits[i]));
    }
    const [dFake, other] = D.backward(gradA, gradB, B, false, true);
    if (classes) {
      // (B, pixels + classes) -> (B, pixels): the images' part of each row, packed in place
      const h = heap(), at = dFake / 4;
      for (let i = 1; i < B; i++) {
        h.copyWithin(at + i * pixels, at + i * rowD, at + i * rowD + pixels);
      }
    }
    G.backward(dFake, other, B, true, false);
    adamG.apply();
    return f32(loss / B);
  };

  return {
    kind: "direct",
    run(batch, noise, labels) {
      if (disposed) throw new Error("GanStep: used after dispose()");
      if (batch.length !== B * pixels) {
        throw new RangeError(`GanStep: the batch holds ${batch.length} values, not ${B * pixels}`);
      }
      if (noise.length < generatorSteps * B * latent) {
        throw new RangeError(
          `GanStep: the noise holds ${noise.length} values, fewer than ${
            generatorSteps * B * latent
          }`,
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
      // Real rows, then the generated batch asked for the same classes.
      setRows(images, batch, pixels, labels);
      if (classes) setRows(fake, batch, pixels, labels); // the labels now; the images below
      setRows(z, noise, latent, labels);
      generate();

      // The discriminator's update on real (label 1) and generated (label 0) images.
      D.forward(images, 2 * B);
      const logits = heap().subarray(D.output / 4, D.output / 4 + 2 * B);
      const d = heap().subarray(gradA / 4, gradA / 4 + 2 * B);
      let lossReal = 0, lossFake = 0, dReal = 0, dFake = 0;
      for (let i = 0; i < B; i++) {
        const real = logits[i], generated = logits[B + i];
        lossReal += softplus(-real);
        lossFake += softplus(generated);
        dReal += sigmoid(real);
        dFake += sigmoid(generated);
        d[i] = -f32(inv * sigmoid(-real));
        d[B + i] = f32(inv * sigmoid(generated));
      }
      D.backward(gradA, gradB, 2 * B, true, false);
      adamD.apply();

      // The generator's updates: the first on the batch above, further ones on fresh noise.
      const lossG = generatorUpdate();
      for (let k = 1; k < generatorSteps; k++) {
        setRows(z, noise.subarray(k * B * latent, (k + 1) * B * latent), latent, labels);
        generate();
        generatorUpdate();
      }
      return Promise.resolve({
        lossD: f32(f32(lossReal / B) + f32(lossFake / B)),
        lossG,
        dReal: f32(dReal / B),
        dFake: f32(dFake / B),
      });
    },
    exportState() {
      return { generator: adamG.exportState(), discriminator: adamD.exportState() };
    },
    importState(state) {
      refuseSpectralState(state);
      adamG.importState(state.generator);
      adamD.importState(state.discriminator);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      G.free(), D.free(), adamG.free(), adamD.free();
      for (const offset of [images, z, gradA, gradB]) kernels.free(offset);
    },
  };
}
