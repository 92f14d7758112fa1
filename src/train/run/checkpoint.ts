/**
 * Checkpoints: everything a training run needs to go on exactly where it stopped, as one binary
 * file — both models' weights (BatchNorm statistics included), both optimisers' whole state (Adam's
 * moments, β powers and steps), the random generator's state, the epoch's data order and sums,
 * the weight average, the health monitor, the log's progress, and the run's settings. No file
 * access here (it runs in a browser too); `checkpoint_file.ts` reads and writes the files,
 * `run/checkpoint_codec.ts` turns a checkpoint into bytes and back, `run/checkpoint_check.ts`
 * checks what was decoded.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../../tf_types.ts";
import type { ImageSet } from "../../data/images.ts";
import type { GeneratorAverageState } from "../average.ts";
import type { CurvePoint, MetricPoint } from "./chart.ts";
import type { HealthState, HealthWarning } from "../health.ts";
import type { RunEvaluation } from "./options.ts";
import type { RunSettings } from "./settings.ts";
import type { TrainState } from "../state.ts";

/**
 * One weight of a model, in the model's order.
 *
 * @example
 * ```ts
 * import type { NamedWeight } from "@gan/mnist";
 *
 * const bias: NamedWeight = { name: "g_dense_1/bias", shape: [4], values: new Float32Array(4) };
 * console.log(bias.shape);
 * ```
 */
export interface NamedWeight {
  /** Its name when saved (tf.js's names change between processes; informative only). */
  name: string;
  /** Its shape. */
  shape: number[];
  /** Its values. */
  values: Float32Array;
}

/**
 * What a run has recorded so far besides the models: the log's and the charts' progress.
 *
 * @example Where a checkpoint's log stands
 * ```ts
 * import { readCheckpoint } from "@gan/mnist";
 *
 * const { progress } = await readCheckpoint("runs/lite/checkpoint.ckpt");
 * console.log(`log.jsonl: ${progress.logBytes} bytes, ${progress.curve.length} points`);
 * ```
 */
export interface RunProgress {
  /** The loss curve's points. */
  curve: CurvePoint[];
  /** The evaluations' points. */
  quality: MetricPoint[];
  /** The best evaluation so far. */
  best: RunEvaluation | null;
  /** Every health warning so far. */
  warnings: HealthWarning[];
  /** The steps since the last log line, and their sums. */
  pending: {
    steps: number;
    lossD: number;
    lossG: number;
    dReal: number;
    dFake: number;
    ms: number;
  };
  /** Bytes of `log.jsonl` written so far (a resumed run cuts it there). */
  logBytes: number;
  /** Seconds of training so far. */
  seconds: number;
}

/**
 * A whole training run's state at one step: what `checkpoint.ckpt` holds.
 *
 * @example Where a run stopped
 * ```ts
 * import { readCheckpoint } from "@gan/mnist";
 *
 * const { train, settings } = await readCheckpoint("runs/lite/checkpoint.ckpt");
 * console.log(`${settings.preset}: epoch ${train.epoch}, step ${train.step}`);
 * ```
 */
export interface Checkpoint {
  /** The library that wrote it, e.g. `@gan/mnist 0.1.0`. */
  library: string;
  /** When it was written (ISO 8601). */
  created: string;
  /** The tf.js backend it trained on (bit-identical resumption needs the same one). */
  backend: string;
  /** The run's settings, as `config.json` holds them. */
  settings: RunSettings;
  /** The learning rate in use: the settings' one, halved at each rollback. */
  learningRate: number;
  /** Rollbacks after non-finite values so far. */
  rollbacks: number;
  /** The data trained on: its size and a fingerprint of its contents. */
  data: { count: number; fingerprint: string };
  /** Where training stands. */
  train: TrainState;
  /** The generator's weights. */
  generator: NamedWeight[];
  /** The discriminator's weights. */
  discriminator: NamedWeight[];
  /** The generator's weight average, when the run keeps one. */
  average: GeneratorAverageState | null;
  /** The health monitor. */
  health: HealthState;
  /** The log's and the charts' progress. */
  progress: RunProgress;
}

// ---------------------------------------------------------------------------------------------
// Models' weights and data

/**
 * Copies of all of a model's weights (trainable or not), in its order.
 *
 * @param model The model.
 * @returns Names, shapes and values.
 */
export function captureWeights(model: LayersModel): NamedWeight[] {
  return model.weights.map((w) => ({
    name: w.name,
    shape: [...w.shape] as number[],
    values: Float32Array.from(w.read().dataSync() as Float32Array),
  }));
}

/**
 * Writes weights from {@linkcode captureWeights} into a model of the same architecture.
 *
 * @param model The model.
 * @param weights Its weights, in its order.
 * @param role What the model is, for the message.
 * @throws {RangeError} If the weights do not fit the model.
 */
export function restoreWeights(model: LayersModel, weights: NamedWeight[], role: string): void {
  const own = model.weights;
  if (own.length !== weights.length) {
    throw new RangeError(
      `the ${role} has ${own.length} weights, the checkpoint ${weights.length} (another architecture)`,
    );
  }
  own.forEach((w, i) => {
    const shape = weights[i].shape;
    if (
      w.shape.length !== shape.length || w.shape.some((d, j) => d !== shape[j]) ||
      weights[i].values.length !== shape.reduce((a, b) => a * b, 1)
    ) {
      throw new RangeError(
        `the ${role}'s weight ${i} (${w.name}) is [${w.shape}], the checkpoint's [${shape}] (another architecture)`,
      );
    }
  });
  tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, "float32"))));
}

/**
 * A short fingerprint of a data set's contents (size, shape, pixels, labels), so that a resumed
 * run can tell that it has the same data.
 *
 * @param data The images.
 * @returns Eight hex digits and the count, e.g. `1a2b3c4d-10000`.
 */
export function dataFingerprint(data: ImageSet): string {
  const words = new Uint32Array(
    data.pixels.buffer,
    data.pixels.byteOffset,
    data.pixels.length,
  );
  let hash = 0x811c9dc5 ^ data.count ^ (data.height << 8) ^ (data.width << 16) ^
    (data.channels << 24);
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i], 0x01000193);
  for (const label of data.labels ?? []) hash = Math.imul(hash ^ label, 0x01000193);
  return `${(hash >>> 0).toString(16).padStart(8, "0")}-${data.count}`;
}
