/**
 * One network of the direct step: its buffers on tf.js's WASM heap and its forward and backward
 * passes in training mode, as calls of our kernels on the model's own weight variables.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { EPILOGUE } from "../../backend/kernels/abi.ts";
import type { HeapKernels } from "../../backend/kernels/module.ts";
import { splitGemm } from "../../backend/kernels/pool.ts";
import type { LayersModel } from "../../tf_types.ts";
import type { Op, Weight } from "./plan.ts";

/** float32 rounding, as the kernels compute. */
export const f32 = Math.fround;

/** The plan's names for a product's epilogue, as the kernels' codes (defined in abi.ts). */
const EPILOGUE_OF = { linear: EPILOGUE.linear, relu: EPILOGUE.relu, leaky: EPILOGUE.leakyrelu };

/** A variable's size. */
const sizeOf = (w: Weight): number => w.read().size;

/**
 * One network's buffers on the heap and its forward and backward passes.
 */
export class Network {
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

  /**
   * The heap offset of one of the ops' weights' current value.
   *
   * @param weight A weight of one of the ops.
   * @returns Its byte offset.
   */
  offsetOf(weight: Weight): number {
    return this.#at(weight);
  }

  /**
   * The gradient buffer of one of the ops' weights, which `backward` fills and Adam reads.
   *
   * @param weight A weight of one of the ops.
   * @returns Its byte offset.
   */
  gradientOf(weight: Weight): number {
    return this.#grads.get(weight)!;
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
            act: EPILOGUE_OF[op.act],
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
export function writable(kernels: HeapKernels, weight: Weight): number {
  const variable = weight.read();
  if (kernels.refCount(variable.dataId) > 1) {
    const copy = tf.tensor(variable.dataSync(), variable.shape, "float32");
    variable.assign(copy);
    copy.dispose(); // the variable holds the data now
  }
  return kernels.offset(variable.dataId);
}
