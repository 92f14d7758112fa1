/**
 * The checks of a decoded checkpoint's structure, field by field: each fault names the field and
 * what it should be.
 *
 * @module
 */

import type { GeneratorAverageState } from "../average.ts";
import type { CurvePoint, MetricPoint } from "./chart.ts";
import type { Checkpoint, NamedWeight } from "./checkpoint.ts";
import type { HealthIssue, HealthWarning } from "../health.ts";
import type { TrainState } from "../state.ts";
import type { AdamState } from "../adam.ts";
import type { AdaptiveProbabilityState } from "../augment.ts";
import type { RunEvaluation } from "./options.ts";
import type { RunSettings } from "./settings.ts";

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
  const acc = a.value.variableAcc === undefined ? undefined : a.object("variableAcc");
  const powers = (key: string) =>
    acc!.array(key).map((x, i) => {
      if (typeof x !== "number" || !(x >= 0 && x < 1)) {
        Fields.fail(`${acc!.path}.${key}[${i}]`, "a number in [0, 1)");
      }
      return x as number;
    });
  return {
    steps: a.integer("steps"),
    accBeta1: a.number("accBeta1", 0, 1),
    accBeta2: a.number("accBeta2", 0, 1),
    m,
    v,
    ...(acc ? { variableAcc: { beta1: powers("beta1"), beta2: powers("beta2") } } : {}),
  };
}

function checkNumbers(value: unknown, path: string, keys: string[]): void {
  const f = Fields.of(value, path);
  for (const key of keys) {
    const x = f.value[key];
    if (typeof x !== "number") Fields.fail(`${path}.${key}`, "a number");
  }
}

/** Adaptive augmentation's state in a checkpoint. */
function checkAugment(optimizers: Fields): AdaptiveProbabilityState {
  const a = optimizers.object("augment");
  const last = a.value.lastSignMean;
  if (last !== null && typeof last !== "number") {
    Fields.fail(`${a.path}.lastSignMean`, "a number or null");
  }
  return {
    p: a.number("p", 0, 1),
    signSum: a.number("signSum"),
    count: a.integer("count"),
    batches: a.integer("batches"),
    lastSignMean: last as number | null,
  };
}

const ISSUES: HealthIssue[] = ["non-finite", "discriminator-collapse", "mode-collapse"];

/**
 * Checks a decoded checkpoint field by field.
 *
 * @param value The decoded tree, typed arrays in place.
 * @returns The checkpoint.
 * @throws {RangeError} Naming the first field that is missing or of the wrong kind.
 */
export function checkCheckpoint(value: unknown): Checkpoint {
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
        // Checkpoints written before lazy R1 and adaptive augmentation existed have neither.
        ...(optimizers.value.discriminatorUpdates === undefined
          ? {}
          : { discriminatorUpdates: optimizers.integer("discriminatorUpdates") }),
        ...(optimizers.value.augment === undefined ? {} : { augment: checkAugment(optimizers) }),
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
