/**
 * Checkpoints: everything a training run needs to go on exactly where it stopped, as one binary
 * file — both models' weights (BatchNorm statistics included), both optimisers' whole state (Adam's
 * moments, β powers and steps), the random generator's state, the epoch's data order and sums,
 * the weight average, the health monitor, the log's progress, and the run's settings. No file
 * access here (it runs in a browser too); `checkpoint_file.ts` reads and writes the files.
 *
 * Layout, little-endian:
 *
 * ```
 * "GANCKPT\0"               8 bytes
 * format version            uint32 (1)
 * header length H           uint32
 * header                    H bytes of JSON: the checkpoint, each typed array replaced by
 *                           {"$f32": i} or {"$u32": i}, and "arrays": [[type, offset, length], …]
 * zero padding              to a multiple of 8
 * arrays                    each at a multiple of 8 from here
 * CRC-32                    uint32, of every byte before it
 * ```
 *
 * Decoding checks the size, the magic, the version and the checksum before it parses anything, and
 * every array's place against the file's length before it copies anything.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "../tf_types.ts";
import type { ImageSet } from "../data/images.ts";
import type { GeneratorAverageState } from "./average.ts";
import type { CurvePoint, MetricPoint } from "./chart.ts";
import type { HealthIssue, HealthState, HealthWarning } from "./health.ts";
import type { RunEvaluation, RunSettings } from "./run.ts";
import type { TrainState } from "./train.ts";
import type { AdamState } from "./adam.ts";

/** The format version this library writes and reads. */
export const CHECKPOINT_FORMAT = 1;

const MAGIC = new TextEncoder().encode("GANCKPT\0");

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

// ---------------------------------------------------------------------------------------------
// Bytes

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as zip and PNG use it).
 *
 * @param bytes The bytes.
 * @returns The checksum, unsigned.
 */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Encodes a checkpoint as bytes.
 *
 * @param checkpoint The checkpoint.
 * @returns The file's contents.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  if (!littleEndian) throw new RangeError("checkpoints are little-endian; this machine is not");
  const arrays: (Float32Array | Uint32Array)[] = [];
  const table: [string, number, number][] = [];
  let offset = 0;
  const body = JSON.stringify(checkpoint, (_key, value) => {
    if (value instanceof Float32Array || value instanceof Uint32Array) {
      const type = value instanceof Float32Array ? "f32" : "u32";
      table.push([type, offset, value.length]);
      arrays.push(value);
      offset = align8(offset + value.byteLength);
      return { [`$${type}`]: arrays.length - 1 };
    }
    return value;
  });
  const header = new TextEncoder().encode(
    `{"arrays":${JSON.stringify(table)},"checkpoint":${body}}`,
  );
  const dataStart = align8(16 + header.length);
  const bytes = new Uint8Array(dataStart + offset + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_FORMAT, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, 16);
  arrays.forEach((array, i) => {
    bytes.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      dataStart + table[i][1],
    );
  });
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

/**
 * Decodes and checks a checkpoint's bytes.
 *
 * @param bytes The file's contents.
 * @returns The checkpoint.
 * @throws {RangeError} Naming the fault (the caller adds the file's name): too short, not a
 * checkpoint, another format version, damaged (checksum), or a field missing or of the wrong kind.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const fail = (fault: string): never => {
    throw new RangeError(fault);
  };
  if (bytes.length < 20) fail(`truncated: ${bytes.length} bytes, not a checkpoint`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) fail("not a checkpoint (wrong magic bytes)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = view.getUint32(8, true);
  if (format !== CHECKPOINT_FORMAT) {
    fail(`format version ${format}, this library reads version ${CHECKPOINT_FORMAT}`);
  }
  const headerLength = view.getUint32(12, true);
  const dataStart = align8(16 + headerLength);
  if (dataStart + 4 > bytes.length) {
    fail(`truncated: the header needs ${dataStart + 4} bytes, the file has ${bytes.length}`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) {
    fail("damaged: its checksum does not match (truncated or changed since it was written)");
  }
  if (!littleEndian) fail("checkpoints are little-endian; this machine is not");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(16, 16 + headerLength),
    ));
  } catch (error) {
    fail(`its header is not valid JSON (${(error as Error).message})`);
  }
  const head = parsed as { arrays?: unknown; checkpoint?: unknown };
  if (!isObject(head) || !Array.isArray(head.arrays)) fail("its header has no array table");
  const dataLength = bytes.length - 4 - dataStart;
  const arrays = (head.arrays as unknown[]).map((entry, i) => {
    const [type, offset, length] = Array.isArray(entry) ? entry : [];
    const size = type === "f32" || type === "u32" ? 4 : 0;
    if (
      !size || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 ||
      length < 0 || offset % 8 !== 0 || offset + length * size > dataLength
    ) {
      fail(`array ${i} of its table lies outside the file`);
    }
    const start = bytes.byteOffset + dataStart + offset;
    const buffer = bytes.buffer.slice(start, start + length * size) as ArrayBuffer;
    return type === "f32" ? new Float32Array(buffer) : new Uint32Array(buffer);
  });
  const used = new Set<number>();
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === "$f32" || keys[0] === "$u32")) {
      const i = value[keys[0]];
      const array = typeof i === "number" ? arrays[i] : undefined;
      const type = array instanceof Float32Array ? "$f32" : "$u32";
      if (array === undefined || type !== keys[0] || used.has(i as number)) {
        fail(`a reference to array ${i} does not match its table`);
      }
      used.add(i as number);
      return array;
    }
    return Object.fromEntries(keys.map((k) => [k, revive(value[k])]));
  };
  return checkCheckpoint(revive(head.checkpoint));
}

// ---------------------------------------------------------------------------------------------
// Checks of the decoded structure: each names the field and what it should be.

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

class Fields {
  constructor(readonly value: Record<string, unknown>, readonly path: string) {}
  static of(value: unknown, path: string): Fields {
    if (!isObject(value)) Fields.fail(path, "an object");
    return new Fields(value as Record<string, unknown>, path);
  }
  static fail(path: string, what: string): never {
    throw new RangeError(`${path}: expected ${what}`);
  }
  at(key: string): [unknown, string] {
    return [this.value[key], `${this.path}.${key}`];
  }
  number(key: string, min = -Infinity, max = Infinity): number {
    const [x, path] = this.at(key);
    if (typeof x !== "number" || !Number.isFinite(x) || x < min || x > max) {
      Fields.fail(path, `a finite number in [${min}, ${max}]`);
    }
    return x as number;
  }
  integer(key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const x = this.number(key, min, max);
    if (!Number.isInteger(x)) Fields.fail(`${this.path}.${key}`, "an integer");
    return x;
  }
  string(key: string): string {
    const [x, path] = this.at(key);
    if (typeof x !== "string") Fields.fail(path, "a string");
    return x as string;
  }
  object(key: string): Fields {
    return Fields.of(...this.at(key));
  }
  array(key: string): unknown[] {
    const [x, path] = this.at(key);
    if (!Array.isArray(x)) Fields.fail(path, "an array");
    return x as unknown[];
  }
  f32(key: string): Float32Array {
    const [x, path] = this.at(key);
    if (!(x instanceof Float32Array)) Fields.fail(path, "float32 values");
    return x as Float32Array;
  }
  f32s(key: string): Float32Array[] {
    const [x, path] = this.at(key);
    if (!Array.isArray(x) || !x.every((a) => a instanceof Float32Array)) {
      Fields.fail(path, "a list of float32 arrays");
    }
    return x as Float32Array[];
  }
}

function checkWeights(fields: Fields, key: string): NamedWeight[] {
  return fields.array(key).map((entry, i) => {
    const w = Fields.of(entry, `${fields.path}.${key}[${i}]`);
    const shape = w.array("shape");
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      Fields.fail(`${w.path}.shape`, "a list of sizes");
    }
    const values = w.f32("values");
    if (values.length !== (shape as number[]).reduce((a, b) => a * b, 1)) {
      Fields.fail(`${w.path}.values`, `${(shape as number[]).join("×")} values`);
    }
    if (!values.every(Number.isFinite)) Fields.fail(`${w.path}.values`, "finite values");
    return { name: w.string("name"), shape: shape as number[], values };
  });
}

function checkAdam(fields: Fields, key: string): AdamState {
  const a = fields.object(key);
  const m = a.f32s("m"), v = a.f32s("v");
  if (m.length !== v.length) Fields.fail(`${a.path}.v`, `${m.length} arrays, as m`);
  return {
    steps: a.integer("steps"),
    accBeta1: a.number("accBeta1", 0, 1),
    accBeta2: a.number("accBeta2", 0, 1),
    m,
    v,
  };
}

function checkNumbers(value: unknown, path: string, keys: string[]): void {
  const f = Fields.of(value, path);
  for (const key of keys) {
    const x = f.value[key];
    if (typeof x !== "number") Fields.fail(`${path}.${key}`, "a number");
  }
}

const ISSUES: HealthIssue[] = ["non-finite", "discriminator-collapse", "mode-collapse"];

/** Checks the decoded tree field by field. */
function checkCheckpoint(value: unknown): Checkpoint {
  const c = Fields.of(value, "checkpoint");
  const train = c.object("train");
  const random = train.value.random;
  const order = train.value.order;
  const sums = train.array("sums");
  if (!Array.isArray(random) || random.length !== 4) Fields.fail(`${train.path}.random`, "4 words");
  if (!(order instanceof Uint32Array)) Fields.fail(`${train.path}.order`, "uint32 values");
  if (sums.length !== 4) Fields.fail(`${train.path}.sums`, "4 numbers");
  const optimizers = train.object("optimizers");
  const data = c.object("data");
  const health = c.object("health");
  const block = health.object("block");
  const progress = c.object("progress");
  const pending = progress.object("pending");
  const average = c.value.average;
  let averageState: GeneratorAverageState | null = null;
  if (average !== null) {
    const a = c.object("average");
    averageState = { updates: a.integer("updates"), averages: a.f32s("averages") };
  }
  const recent = health.array("recent");
  recent.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => typeof x === "number")) {
      Fields.fail(`${health.path}.recent[${i}]`, "two numbers");
    }
  });
  const warned = health.array("warned");
  if (!warned.every((w) => ISSUES.includes(w as HealthIssue))) {
    Fields.fail(`${health.path}.warned`, "health issues");
  }
  const curve = progress.array("curve");
  curve.forEach((p, i) =>
    checkNumbers(p, `${progress.path}.curve[${i}]`, [
      "globalStep",
      "lossD",
      "lossG",
      "dReal",
      "dFake",
    ])
  );
  const quality = progress.array("quality");
  quality.forEach((p, i) =>
    checkNumbers(p, `${progress.path}.quality[${i}]`, ["globalStep", "fid", "coverage"])
  );
  const best = progress.value.best;
  if (best !== null) checkNumbers(best, `${progress.path}.best`, ["epoch", "globalStep", "fid"]);
  const warnings = progress.array("warnings");
  warnings.forEach((w, i) => {
    checkNumbers(w, `${progress.path}.warnings[${i}]`, ["epoch", "globalStep"]);
  });
  Fields.of(c.value.settings, "checkpoint.settings");
  return {
    library: c.string("library"),
    created: c.string("created"),
    backend: c.string("backend"),
    settings: c.value.settings as RunSettings,
    learningRate: c.number("learningRate", 0, 10),
    rollbacks: c.integer("rollbacks"),
    data: { count: data.integer("count"), fingerprint: data.string("fingerprint") },
    train: {
      epoch: train.integer("epoch", 1),
      step: train.integer("step"),
      stepsPerEpoch: train.integer("stepsPerEpoch", 1),
      globalStep: train.integer("globalStep"),
      random: random as TrainState["random"],
      order: order as Uint32Array,
      sums: sums as TrainState["sums"],
      optimizers: {
        generator: checkAdam(optimizers, "generator"),
        discriminator: checkAdam(optimizers, "discriminator"),
        ...(optimizers.value.spectral === undefined
          ? {}
          : { spectral: optimizers.f32s("spectral") }),
      },
    },
    generator: checkWeights(c, "generator"),
    discriminator: checkWeights(c, "discriminator"),
    average: averageState,
    health: {
      block: {
        steps: block.integer("steps"),
        lossD: block.number("lossD"),
        lossG: block.number("lossG"),
      },
      recent: recent as [number, number][],
      bestCoverage: health.integer("bestCoverage"),
      lowEvaluations: health.integer("lowEvaluations"),
      warned: warned as HealthIssue[],
    },
    progress: {
      curve: curve as CurvePoint[],
      quality: quality as MetricPoint[],
      best: best as RunEvaluation | null,
      warnings: warnings as HealthWarning[],
      pending: {
        steps: pending.integer("steps"),
        lossD: pending.number("lossD"),
        lossG: pending.number("lossG"),
        dReal: pending.number("dReal"),
        dFake: pending.number("dFake"),
        ms: pending.number("ms"),
      },
      logBytes: progress.integer("logBytes"),
      seconds: progress.number("seconds", 0),
    },
  };
}
