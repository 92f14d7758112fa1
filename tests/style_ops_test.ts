/**
 * The operations ProGAN and StyleGAN are built from (src/models/style/ops.ts): each against a
 * direct loop in float64, its gradients (and the second derivatives R1 takes through D) against
 * central differences, and each, with the layers made of them, on the wasm backend with our
 * kernels against tf.js's cpu backend. Each test prints the largest error it saw.
 */

import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { Random } from "../src/random.ts";
import { createDiscriminator, createGenerator } from "../src/models/create.ts";
import { prepareModels } from "../src/models/style/growth.ts";
import {
  downsample,
  equalizedConv,
  equalizedDense,
  equalizedScale,
  groupSizeOf,
  lerp,
  lrelu,
  LRELU_GAIN,
  minibatchStdDev,
  modulatedConv,
  pixelNorm,
  upsample,
  upsampleBilinear,
} from "../src/models/style/ops.ts";
import { r1Penalty } from "../src/train/penalties.ts";
import { both, maxError } from "./helpers.ts";

// Our kernels registered (the tests below select cpu or wasm as they need).
await selectBackend("wasm");

const random = new Random(0x57e1);

/** A tensor's values and shape, kept as plain numbers so that each backend makes its own. */
interface Values {
  values: Float32Array;
  shape: number[];
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const normal = (n: number, scale = 1) =>
  Float32Array.from(random.fillNormal(new Float32Array(n)), (v) => v * scale);
/** N(0, scale²) values of a shape. */
const input = (shape: number[], scale = 1): Values => ({
  values: normal(sizeOf(shape), scale),
  shape,
});
/** Values at least 0.2 from 0, where LeakyReLU's kink would spoil a central difference. */
const awayFromZero = (shape: number[]): Values => ({
  values: normal(sizeOf(shape)).map((v) => (v < 0 ? -1 : 1) * (0.2 + Math.abs(v))),
  shape,
});
const tensor = (v: Values) => tf.tensor(v.values, v.shape);
const t4 = (v: Values) => tensor(v) as tf.Tensor4D;
const t2 = (v: Values) => tensor(v) as tf.Tensor2D;

/** The flat index of `(i, j, …)` in a row-major array of `shape`. */
const at = (shape: number[], ...index: number[]) =>
  index.reduce((offset, i, k) => offset * shape[k] + i, 0);

/** The largest |actual − expected| / max(1, |expected|). */
function loopError(actual: tf.Tensor, expected: ArrayLike<number>, shape: number[]): number {
  deepEqual(actual.shape, shape);
  const a = actual.dataSync();
  equal(a.length, expected.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Direct loops, in float64

function pixelNormLoop({ values, shape }: Values): Float64Array {
  const c = shape.at(-1)!;
  const out = new Float64Array(values.length);
  for (let start = 0; start < values.length; start += c) {
    let squares = 0;
    for (let k = 0; k < c; k++) squares += values[start + k] ** 2;
    const scale = 1 / Math.sqrt(squares / c + 1e-8);
    for (let k = 0; k < c; k++) out[start + k] = values[start + k] * scale;
  }
  return out;
}

/** ProGAN's minibatch standard deviation, groups of `group` consecutive images. */
function minibatchStdDevLoop({ values, shape }: Values, group: number): Float64Array {
  const [b, h, w, c] = shape;
  const out = new Float64Array(b * h * w * (c + 1));
  for (let first = 0; first < b; first += group) {
    let sum = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          let mean = 0;
          for (let n = first; n < first + group; n++) mean += values[at(shape, n, y, x, k)];
          mean /= group;
          let variance = 0;
          for (let n = first; n < first + group; n++) {
            variance += (values[at(shape, n, y, x, k)] - mean) ** 2;
          }
          sum += Math.sqrt(variance / group + 1e-8);
        }
      }
    }
    const std = sum / (h * w * c);
    for (let n = first; n < first + group; n++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const o = at([b, h, w, c + 1], n, y, x, 0);
          for (let k = 0; k < c; k++) out[o + k] = values[at(shape, n, y, x, k)];
          out[o + c] = std;
        }
      }
    }
  }
  return out;
}

/** Bilinear ×2 with half-pixel centres, edges repeated: ¾ of the nearest entry, ¼ of the next. */
function upsampleBilinearLoop({ values, shape }: Values): Float64Array {
  const [b, h, w, c] = shape;
  const out = new Float64Array(values.length * 4);
  // the two source rows (columns) of output row y and their weights
  const taps = (y: number, n: number): [number, number, number, number] => {
    const near = Math.floor(y / 2), far = y % 2 === 0 ? near - 1 : near + 1;
    return [near, 0.75, Math.min(Math.max(far, 0), n - 1), 0.25];
  };
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < 2 * h; y++) {
      const [y0, wy0, y1, wy1] = taps(y, h);
      for (let x = 0; x < 2 * w; x++) {
        const [x0, wx0, x1, wx1] = taps(x, w);
        for (let k = 0; k < c; k++) {
          out[at([b, 2 * h, 2 * w, c], n, y, x, k)] =
            wy0 * (wx0 * values[at(shape, n, y0, x0, k)] + wx1 * values[at(shape, n, y0, x1, k)]) +
            wy1 * (wx0 * values[at(shape, n, y1, x0, k)] + wx1 * values[at(shape, n, y1, x1, k)]);
        }
      }
    }
  }
  return out;
}

function upsampleLoop({ values, shape }: Values, f: number): Float64Array {
  const [b, h, w, c] = shape;
  const out = new Float64Array(values.length * f * f);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h * f; y++) {
      for (let x = 0; x < w * f; x++) {
        for (let k = 0; k < c; k++) {
          out[at([b, h * f, w * f, c], n, y, x, k)] = values[
            at(shape, n, Math.floor(y / f), Math.floor(x / f), k)
          ];
        }
      }
    }
  }
  return out;
}

function downsampleLoop({ values, shape }: Values, f: number): Float64Array {
  const [b, h, w, c] = shape;
  const os = [b, h / f, w / f, c];
  const out = new Float64Array(values.length / (f * f));
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          out[at(os, n, Math.floor(y / f), Math.floor(x / f), k)] += values[at(shape, n, y, x, k)] /
            (f * f);
        }
      }
    }
  }
  return out;
}

/** A stride-1 "same" convolution of image `n` of x with an HWIO filter (odd side). */
function convLoop(
  x: ArrayLike<number>,
  xs: number[],
  n: number,
  filter: ArrayLike<number>,
  fs: number[],
  out: Float64Array,
): void {
  const [, h, w, inC] = xs;
  const [k, , , outC] = fs;
  const pad = (k - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x0 = 0; x0 < w; x0++) {
      for (let o = 0; o < outC; o++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            const yy = y + dy - pad, xx = x0 + dx - pad;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            for (let c = 0; c < inC; c++) {
              s += x[at(xs, n, yy, xx, c)] * filter[at(fs, dy, dx, c, o)];
            }
          }
        }
        out[at([xs[0], h, w, outC], n, y, x0, o)] = s;
      }
    }
  }
}

/** equalizedConv: the filter times He's constant `gain/√fanIn`, convolved, plus the bias. */
function equalizedConvLoop(x: Values, filter: Values, bias: Values, gain: number): Float64Array {
  const [k, , inC, outC] = filter.shape;
  const scale = gain / Math.sqrt(k * k * inC);
  const scaled = Array.from(filter.values, (v) => v * scale);
  const out = new Float64Array(sizeOf([...x.shape.slice(0, 3), outC]));
  for (let n = 0; n < x.shape[0]; n++) convLoop(x.values, x.shape, n, scaled, filter.shape, out);
  for (let i = 0; i < out.length; i++) out[i] += bias.values[i % outC];
  return out;
}

function equalizedDenseLoop(
  x: Values,
  kernel: Values,
  bias: Values,
  gain: number,
  lrMul: number,
): Float64Array {
  const [b, inputs] = x.shape;
  const outputs = kernel.shape[1];
  const scale = (gain / Math.sqrt(inputs)) * lrMul;
  const out = new Float64Array(b * outputs);
  for (let n = 0; n < b; n++) {
    for (let o = 0; o < outputs; o++) {
      let s = 0;
      for (let i = 0; i < inputs; i++) {
        s += x.values[n * inputs + i] * kernel.values[i * outputs + o] * scale;
      }
      out[n * outputs + o] = s + bias.values[o] * lrMul;
    }
  }
  return out;
}

/**
 * StyleGAN2's modulated convolution as the paper writes it: per sample, weights
 * `w'ᵢⱼₖ = sᵢ·c·wᵢⱼₖ` (c He's constant), with demodulation divided by `√(Σᵢₖ w'ᵢⱼₖ² + ε)` per
 * output channel j, then a convolution of that sample with its own weights.
 */
function modulatedConvLoop(x: Values, filter: Values, style: Values, demodulate: boolean) {
  const [k, , inC, outC] = filter.shape;
  const scale = 1 / Math.sqrt(k * k * inC);
  const out = new Float64Array(sizeOf([...x.shape.slice(0, 3), outC]));
  for (let n = 0; n < x.shape[0]; n++) {
    const w = new Float64Array(filter.values.length);
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++) {
        for (let i = 0; i < inC; i++) {
          for (let j = 0; j < outC; j++) {
            const idx = at(filter.shape, dy, dx, i, j);
            w[idx] = style.values[n * inC + i] * scale * filter.values[idx];
          }
        }
      }
    }
    if (demodulate) {
      for (let j = 0; j < outC; j++) {
        let squares = 0;
        for (let idx = j; idx < w.length; idx += outC) squares += w[idx] ** 2;
        for (let idx = j; idx < w.length; idx += outC) w[idx] /= Math.sqrt(squares + 1e-8);
      }
    }
    convLoop(x.values, x.shape, n, w, filter.shape, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Central differences

/**
 * How far tf.js's gradients of `Σ r·f(inputs)` (r random, or `weights`) are from central
 * differences with step h, computed on the current backend in float32 and summed in float64:
 * the largest difference over every input value, relative to the largest gradient.
 */
function gradientError(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Values[],
  options: { h?: number; weights?: "random" | "ones"; wrt?: number[] } = {},
): number {
  const h = options.h ?? 1e-2;
  const wrt = options.wrt ?? inputs.map((_, i) => i);
  const size = tf.tidy(() => f(...inputs.map(tensor)).size);
  const r = options.weights === "ones" ? new Float32Array(size).fill(1) : normal(size);
  const loss = (values: Float32Array[]) => {
    const y = tf.tidy(() =>
      f(...values.map((v, i) => tf.tensor(v, inputs[i].shape))).dataSync() as Float32Array
    );
    let s = 0;
    for (let j = 0; j < y.length; j++) s += r[j] * y[j];
    return s;
  };
  const analytic = tf.tidy(() => {
    const xs = inputs.map(tensor);
    const weighted = (...chosen: tf.Tensor[]) => {
      const all = xs.slice();
      wrt.forEach((i, k) => all[i] = chosen[k]);
      return tf.sum(tf.mul(tf.reshape(f(...all), [-1]), tf.tensor1d(r)));
    };
    return tf.grads(weighted)(wrt.map((i) => xs[i])).map((g) => g.dataSync() as Float32Array);
  });
  let worst = 0, largest = 0;
  wrt.forEach((i, k) => {
    const x = inputs[i];
    for (let j = 0; j < x.values.length; j++) {
      const shifted = (by: number) =>
        inputs.map((y, k) => {
          if (k !== i) return y.values;
          const copy = y.values.slice();
          copy[j] += by;
          return copy;
        });
      // The step actually taken, as float32 holds x ± h.
      const plus = shifted(h), minus = shifted(-h);
      const difference = (loss(plus) - loss(minus)) / (plus[i][j] - minus[i][j]);
      worst = Math.max(worst, Math.abs(analytic[k][j] - difference));
      largest = Math.max(largest, Math.abs(difference));
    }
  });
  ok(largest > 0, "the gradient is not zero everywhere");
  return worst / largest;
}

/**
 * The elementwise squares of ∂(Σ r·op(x, …))/∂x: a function of x and the weights whose gradient
 * is the second derivative R1's penalty takes.
 */
function squaredInputGradient(
  op: (x: tf.Tensor, ...rest: tf.Tensor[]) => tf.Tensor,
  outSize: number,
): (x: tf.Tensor, ...rest: tf.Tensor[]) => tf.Tensor {
  const r = normal(outSize);
  return (x, ...rest) =>
    tf.square(
      tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.reshape(op(xx, ...rest), [-1]), tf.tensor1d(r))))(
        x,
      ),
    );
}

// ---------------------------------------------------------------------------------------------
// Against loops

Deno.test("groupSizeOf is the largest divisor of the batch up to the wanted size", () => {
  const cases: [number, number, number][] = [
    [64, 4, 4],
    [32, 4, 4],
    [12, 4, 4],
    [6, 4, 3],
    [10, 4, 2],
    [9, 4, 3],
    [7, 4, 1],
    [2, 4, 2],
    [1, 4, 1],
    [16, 1, 1],
  ];
  for (const [batch, wanted, expected] of cases) {
    equal(groupSizeOf(batch, wanted), expected, `groupSizeOf(${batch}, ${wanted})`);
  }
});

Deno.test("pixelNorm, minibatchStdDev, upsample, upsampleBilinear, downsample, equalizedConv, equalizedDense, modulatedConv, lerp, lrelu match direct loops", async () => {
  await selectBackend("cpu");
  const errors: Record<string, number> = {};
  tf.tidy(() => {
    const x3 = input([3, 5, 6]);
    errors.pixelNorm = loopError(pixelNorm(tensor(x3)), pixelNormLoop(x3), x3.shape);
    // The example of the docs: [3, 4] has RMS √12.5.
    const two = pixelNorm(tf.tensor2d([[3, 4]])).dataSync();
    ok(
      Math.abs(two[0] - 3 / Math.sqrt(12.5)) < 1e-6 &&
        Math.abs(two[1] - 4 / Math.sqrt(12.5)) < 1e-6,
    );

    for (const [b, group] of [[8, 4], [6, 4], [4, 2], [5, 4]]) {
      const x = input([b, 3, 2, 5]);
      const e = loopError(
        minibatchStdDev(t4(x), group),
        minibatchStdDevLoop(x, groupSizeOf(b, group)),
        [b, 3, 2, 6],
      );
      errors.minibatchStdDev = Math.max(errors.minibatchStdDev ?? 0, e);
    }
    // A group of 1 appends √1e-8: no spread.
    const single = minibatchStdDev(t4(input([7, 2, 2, 2])), 4).dataSync();
    for (let i = 2; i < single.length; i += 3) ok(Math.abs(single[i] - 1e-4) < 1e-9);

    const small = input([2, 3, 4, 5]);
    for (const f of [1, 2, 4]) {
      const up = upsample(t4(small), f);
      errors.upsample = Math.max(
        errors.upsample ?? 0,
        loopError(up, upsampleLoop(small, f), [2, 3 * f, 4 * f, 5]),
      );
      // downsample undoes upsample
      errors.inverse = Math.max(
        errors.inverse ?? 0,
        loopError(downsample(up, f), small.values, small.shape),
      );
    }
    for (const shape of [[2, 3, 4, 5], [1, 7, 7, 1], [1, 1, 2, 3]]) {
      const x = input(shape);
      const up = upsampleBilinear(t4(x));
      const [b, h, w, c] = shape;
      errors.upsampleBilinear = Math.max(
        errors.upsampleBilinear ?? 0,
        loopError(up, upsampleBilinearLoop(x), [b, 2 * h, 2 * w, c]),
        // and tf.js's own bilinear resize with half-pixel centres
        loopError(
          up,
          Float64Array.from(
            tf.image.resizeBilinear(t4(x), [2 * h, 2 * w], false, true).dataSync(),
          ),
          [b, 2 * h, 2 * w, c],
        ),
      );
    }
    const big = input([2, 28, 28, 3]);
    for (const f of [1, 2, 4]) {
      errors.downsample = Math.max(
        errors.downsample ?? 0,
        loopError(downsample(t4(big), f), downsampleLoop(big, f), [2, 28 / f, 28 / f, 3]),
      );
    }

    for (const [k, inC, outC, gain] of [[3, 4, 5, LRELU_GAIN], [1, 6, 1, 1], [3, 1, 3, 1]]) {
      const x = input([2, 5, 6, inC]), filter = input([k, k, inC, outC]), bias = input([outC]);
      const e = loopError(
        equalizedConv(t4(x), t4(filter), tensor(bias), gain),
        equalizedConvLoop(x, filter, bias, gain),
        [2, 5, 6, outC],
      );
      errors.equalizedConv = Math.max(errors.equalizedConv ?? 0, e);
    }
    // equalizedConv is tf.conv2d with the filter scaled by gain/√fanIn, and no bias when none.
    {
      const x = input([2, 5, 5, 4]), filter = input([3, 3, 4, 2]);
      const direct = tf.conv2d(
        t4(x),
        tf.mul(t4(filter), equalizedScale(LRELU_GAIN, 36)) as tf.Tensor4D,
        1,
        "same",
      );
      errors.equalizedConvVsConv2d = maxError(
        [equalizedConv(t4(x), t4(filter), undefined, LRELU_GAIN).dataSync() as Float32Array],
        [direct.dataSync() as Float32Array],
      );
    }

    for (const lrMul of [1, 0.01]) {
      const x = input([3, 7]), kernel = input([7, 4], 1 / lrMul), bias = input([4]);
      const e = loopError(
        equalizedDense(t2(x), t2(kernel), tensor(bias), LRELU_GAIN, lrMul),
        equalizedDenseLoop(x, kernel, bias, LRELU_GAIN, lrMul),
        [3, 4],
      );
      errors.equalizedDense = Math.max(errors.equalizedDense ?? 0, e);
    }

    const modulated = [[3, 4, 5, true], [1, 5, 1, false], [3, 3, 2, false]] as const;
    for (const [k, inC, outC, demodulate] of modulated) {
      const x = input([3, 5, 4, inC]), filter = input([k, k, inC, outC]);
      // Styles around 1, as the affine maps' bias 1 starts them.
      const style = { values: normal(3 * inC, 0.5).map((v) => v + 1), shape: [3, inC] };
      const e = loopError(
        modulatedConv(t4(x), t4(filter), t2(style), demodulate),
        modulatedConvLoop(x, filter, style, demodulate),
        [3, 5, 4, outC],
      );
      errors.modulatedConv = Math.max(errors.modulatedConv ?? 0, e);
    }

    const a = input([4, 3]), b = input([4, 3]);
    const expected = Array.from(a.values, (v, i) => v + (b.values[i] - v) * 0.3);
    errors.lerp = loopError(lerp(tensor(a), tensor(b), 0.3), expected, [4, 3]);
    deepEqual(lerp(tensor(a), tensor(b), 0).dataSync(), a.values);
    deepEqual(lerp(tensor(a), tensor(b), 1).dataSync(), b.values);
    errors.lrelu = loopError(
      lrelu(tensor(a)),
      Array.from(a.values, (v) => (v > 0 ? v : 0.2 * v)),
      [4, 3],
    );
  });
  console.log(
    Object.entries(errors).map(([op, e]) => `${op} ${e.toExponential(1)}`).join(", "),
  );
  for (const [op, e] of Object.entries(errors)) ok(e < 1e-5, `${op}: error ${e}`);
});

Deno.test("modulatedConv's demodulation gives each output channel of each sample unit-norm weights: scaling a sample's style changes nothing", async () => {
  await selectBackend("cpu");
  tf.tidy(() => {
    const x = input([2, 4, 4, 3]), filter = input([3, 3, 3, 4]);
    const style = { values: normal(6, 0.5).map((v) => v + 1), shape: [2, 3] };
    const y = modulatedConv(t4(x), t4(filter), t2(style), true).dataSync();
    // Sample 0's style times 5: the same output after demodulation; not without it.
    const scaled = { ...style, values: style.values.map((v, i) => (i < 3 ? v * 5 : v)) };
    const z = modulatedConv(t4(x), t4(filter), t2(scaled), true).dataSync();
    ok(maxError([z as Float32Array], [y as Float32Array]) < 1e-5);
    const plain = modulatedConv(t4(x), t4(filter), t2(style), false).dataSync();
    const plainScaled = modulatedConv(t4(x), t4(filter), t2(scaled), false).dataSync();
    ok(Math.abs(plainScaled[0] - 5 * plain[0]) < 1e-4 * Math.max(1, Math.abs(plain[0])));
  });
});

Deno.test("minibatchStdDev never mixes the first half of a batch with the second when the half is a multiple of the group size", async () => {
  await selectBackend("cpu");
  for (const [batch, group] of [[8, 4], [16, 4], [24, 4], [12, 3], [4, 2]]) {
    tf.tidy(() => {
      const x = input([batch, 3, 3, 2]);
      // The second half (the generated images, after the real ones) replaced.
      const other = { ...x, values: x.values.slice() };
      other.values.set(normal(x.values.length / 2, 3), x.values.length / 2);
      const a = minibatchStdDev(t4(x), group).dataSync();
      const b = minibatchStdDev(t4(other), group).dataSync();
      const half = a.length / 2;
      deepEqual(b.slice(0, half), a.slice(0, half), `batch ${batch}, groups of ${group}`);
      notDeepEqual(b.slice(half), a.slice(half));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Gradients against central differences

/** A named op, its inputs, and which of them to differentiate by (all when absent). */
type Case = [string, (...xs: tf.Tensor[]) => tf.Tensor, Values[], number[]?];

/** Styles around 1, as the affine maps' bias 1 starts them. */
const style = (b: number, c: number): Values => ({
  values: normal(b * c, 0.5).map((v) => v + 1),
  shape: [b, c],
});

const FIRST_ORDER: Case[] = [
  ["pixelNorm", (x) => pixelNorm(x), [input([2, 3, 4])]],
  ["upsample", (x) => upsample(x as tf.Tensor4D, 2), [input([2, 3, 3, 2])]],
  ["upsampleBilinear", (x) => upsampleBilinear(x as tf.Tensor4D), [input([2, 3, 3, 2])]],
  ["downsample", (x) => downsample(x as tf.Tensor4D, 2), [input([2, 4, 4, 2])]],
  [
    "equalizedConv 3×3",
    (x, f, b) => equalizedConv(x as tf.Tensor4D, f as tf.Tensor4D, b, LRELU_GAIN),
    [input([2, 4, 4, 3]), input([3, 3, 3, 2]), input([2])],
  ],
  [
    "equalizedConv 1×1",
    (x, f, b) => equalizedConv(x as tf.Tensor4D, f as tf.Tensor4D, b, 1),
    [input([2, 3, 3, 3]), input([1, 1, 3, 2]), input([2])],
  ],
  [
    "equalizedDense",
    (x, k, b) => equalizedDense(x as tf.Tensor2D, k as tf.Tensor2D, b, LRELU_GAIN),
    [input([3, 5]), input([5, 4]), input([4])],
  ],
  [
    "equalizedDense lrMul 0.01",
    (x, k, b) => equalizedDense(x as tf.Tensor2D, k as tf.Tensor2D, b, LRELU_GAIN, 0.01),
    [input([3, 5]), input([5, 4], 100), input([4])],
  ],
  [
    "modulatedConv demodulated",
    (x, f, s) => modulatedConv(x as tf.Tensor4D, f as tf.Tensor4D, s as tf.Tensor2D, true),
    [input([2, 4, 4, 3]), input([3, 3, 3, 2]), style(2, 3)],
  ],
  [
    "modulatedConv toRGB",
    (x, f, s) => modulatedConv(x as tf.Tensor4D, f as tf.Tensor4D, s as tf.Tensor2D, false),
    [input([2, 3, 3, 3]), input([1, 1, 3, 1]), style(2, 3)],
  ],
  ["lerp", (a, b) => lerp(a, b, 0.3), [input([3, 4]), input([3, 4])]],
  ["lrelu", (x) => lrelu(x), [awayFromZero([3, 4])]],
];

const FIRST_ORDER_STD: Case[] = [
  ["minibatchStdDev", (x) => minibatchStdDev(x as tf.Tensor4D, 4), [input([8, 2, 2, 3])]],
];

/**
 * R1's second derivatives, each by what the op's gradient by x depends on smoothly (the weights
 * R1's gradient updates; x where the op is curved in it), not across LeakyReLU's kink (its second
 * derivative is 0 elsewhere; both backends' slopes are compared below).
 */
const SECOND_ORDER: Case[] = [
  ["pixelNorm", (x) => pixelNorm(x), [input([2, 2, 4])], [0]],
  [
    "lrelu ∘ equalizedConv",
    (x, f, b) => lrelu(equalizedConv(x as tf.Tensor4D, f as tf.Tensor4D, b, LRELU_GAIN)),
    [input([2, 3, 3, 2]), input([3, 3, 2, 2]), input([2])],
    [1],
  ],
  [
    "equalizedConv → downsample",
    (x, f, b) => downsample(equalizedConv(x as tf.Tensor4D, f as tf.Tensor4D, b, LRELU_GAIN), 2),
    [input([2, 2, 2, 3]), input([3, 3, 3, 2]), input([2])],
    [1],
  ],
  [
    "equalizedDense",
    (x, k, b) => equalizedDense(x as tf.Tensor2D, k as tf.Tensor2D, b, LRELU_GAIN),
    [input([2, 3]), input([3, 2]), input([2])],
    [1],
  ],
];

const SECOND_ORDER_STD: Case[] = [
  ["minibatchStdDev", (x) => minibatchStdDev(x as tf.Tensor4D, 4), [input([8, 2, 2, 2])], [0]],
  [
    "minibatchStdDev → equalizedConv → downsample",
    (x, f, b) =>
      downsample(
        equalizedConv(minibatchStdDev(x as tf.Tensor4D, 4), f as tf.Tensor4D, b, LRELU_GAIN),
        2,
      ),
    [input([8, 2, 2, 2]), input([3, 3, 3, 2]), input([2])],
    [0, 1],
  ],
];

/** Checks each case's gradient (or R1's second derivative) against central differences. */
async function checkGradients(cases: Case[], secondOrder: boolean): Promise<void> {
  await selectBackend("cpu");
  const errors: string[] = [];
  let worst = 0;
  for (const [name, op, inputs, wrt] of cases) {
    const outSize = tf.tidy(() => op(...inputs.map(tensor)).size);
    const e = secondOrder
      ? gradientError(squaredInputGradient(op, outSize), inputs, { weights: "ones", wrt })
      : gradientError(op, inputs, { wrt });
    errors.push(`${name} ${e.toExponential(1)}`);
    worst = Math.max(worst, e);
    ok(e <= 1e-3, `${name}: relative error ${e}`);
  }
  console.log(`max relative error ${worst.toExponential(2)}: ${errors.join(", ")}`);
}

// Measured: at most 1.2e-4 (pixelNorm; demodulation 2e-5, the convolutions 5e-6).
Deno.test("every op's gradient matches central differences (float32, step 1e-2, cpu): relative error ≤ 1e-3", async () => {
  await checkGradients(FIRST_ORDER, false);
});

// Measured (with a broadcast for the tile): 1.1e-6.
Deno.test({
  name:
    "minibatchStdDev's gradient matches central differences (float32, step 1e-2, cpu): relative error ≤ 1e-3",
  fn: () => checkGradients(FIRST_ORDER_STD, false),
});

// Measured: at most 3.4e-5 (pixelNorm).
Deno.test("the second derivatives R1 takes through D's ops match central differences (float32, step 1e-2, cpu): relative error ≤ 1e-3", async () => {
  await checkGradients(SECOND_ORDER, true);
});

// Measured (with a broadcast for the tile): at most 1.6e-4.
Deno.test({
  name:
    "R1's second derivatives through minibatchStdDev match central differences (float32, step 1e-2, cpu): relative error ≤ 1e-3",
  fn: () => checkGradients(SECOND_ORDER_STD, true),
});

// ---------------------------------------------------------------------------------------------
// wasm with our kernels against the cpu backend

/** `[f(xs), ∂Σ r·f/∂xs…, R1's second derivative]` on cpu and on wasm with our kernels. */
async function bothWithGradients(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Values[],
  secondOrder: boolean,
): Promise<number> {
  const outSize = tf.tidy(() => f(...inputs.map(tensor)).size);
  const r = normal(outSize);
  const { cpu, ours } = await both(() => {
    const xs = inputs.map(tensor);
    const y = f(...xs);
    const weighted = (...a: tf.Tensor[]) =>
      tf.sum(tf.mul(tf.reshape(f(...a), [-1]), tf.tensor1d(r)));
    const grads = tf.grads(weighted)(xs);
    if (!secondOrder) return [y, ...grads];
    // ∂/∂w Σ (∂Σ r·f(x, w, …)/∂x)² for the weights w (by x for an op of x alone)
    const second = xs.length === 1
      ? tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.grad((x0: tf.Tensor) => weighted(x0))(x))))(
        xs[0],
      )
      : tf.grad((w: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((x0: tf.Tensor) => weighted(x0, w, ...xs.slice(2)))(xs[0])))
      )(xs[1]);
    return [y, ...grads, second];
  });
  return maxError(ours, cpu);
}

/** A named op, its inputs, and whether to compare R1's second derivative too. */
type BackendCase = [string, (...xs: tf.Tensor[]) => tf.Tensor, Values[], boolean];

const convCase = (
  [k, inC, outC, side]: readonly [number, number, number, number],
): BackendCase => [
  `lrelu ∘ equalizedConv ${k}×${k} ${inC}→${outC} at ${side}`,
  (x, f, b) => lrelu(equalizedConv(x as tf.Tensor4D, f as tf.Tensor4D, b, LRELU_GAIN)),
  [input([3, side, side, inC]), input([k, k, inC, outC]), input([outC])],
  true,
];

const modulatedCase = (
  [k, inC, outC, side, demodulate]: readonly [number, number, number, number, boolean],
): BackendCase => [
  `modulatedConv ${k}×${k} ${inC}→${outC} at ${side}${demodulate ? "" : " (toRGB)"}`,
  (x, f, s) => modulatedConv(x as tf.Tensor4D, f as tf.Tensor4D, s as tf.Tensor2D, demodulate),
  [input([3, side, side, inC]), input([k, k, inC, outC]), style(3, inC)],
  false,
];

// The sizes of the presets' layers, smaller: 7×7 to 28×28, 1 to 16 channels.
const BACKEND_CASES: BackendCase[] = [
  ["pixelNorm", (x) => pixelNorm(x), [input([4, 7, 7, 16])], true],
  ["pixelNorm of z", (x) => pixelNorm(x), [input([16, 128])], false],
  ["upsample ×2", (x) => upsample(x as tf.Tensor4D, 2), [input([2, 7, 7, 8])], false],
  ["upsample ×4", (x) => upsample(x as tf.Tensor4D, 4), [input([2, 7, 7, 1])], false],
  ["upsampleBilinear", (x) => upsampleBilinear(x as tf.Tensor4D), [input([2, 14, 14, 1])], false],
  ["downsample ×2", (x) => downsample(x as tf.Tensor4D, 2), [input([2, 14, 14, 8])], false],
  ["downsample ×4", (x) => downsample(x as tf.Tensor4D, 4), [input([2, 28, 28, 3])], false],
  ...([[3, 16, 8, 7], [3, 8, 4, 14], [3, 5, 3, 28], [1, 4, 1, 28], [1, 1, 16, 14]] as const).map(
    convCase,
  ),
  [
    "equalizedDense",
    (x, k, b) => equalizedDense(x as tf.Tensor2D, k as tf.Tensor2D, b, LRELU_GAIN),
    [input([8, 49 * 16]), input([49 * 16, 16]), input([16])],
    true,
  ],
  [
    "equalizedDense lrMul 0.01",
    (x, k, b) => equalizedDense(x as tf.Tensor2D, k as tf.Tensor2D, b, LRELU_GAIN, 0.01),
    [input([8, 24]), input([24, 16], 100), input([16])],
    false,
  ],
  ...([[3, 16, 8, 7, true], [3, 8, 4, 14, true], [1, 4, 1, 28, false], [
    1,
    8,
    3,
    14,
    false,
  ]] as const)
    .map(modulatedCase),
  ["lerp", (a, b) => lerp(a, b, 0.3), [input([2, 14, 14, 1]), input([2, 14, 14, 1])], false],
  ["lrelu", (x) => lrelu(x), [input([4, 7, 7, 16])], true],
];

const BACKEND_CASES_STD: BackendCase[] = [
  ["minibatchStdDev", (x) => minibatchStdDev(x as tf.Tensor4D, 4), [input([8, 7, 7, 16])], true],
  [
    "minibatchStdDev of 2B = 32",
    (x) => minibatchStdDev(x as tf.Tensor4D, 4),
    [input([32, 7, 7, 4])],
    true,
  ],
];

async function checkBackends(cases: BackendCase[]): Promise<void> {
  const errors: string[] = [];
  let worst = 0;
  for (const [name, f, inputs, secondOrder] of cases) {
    const e = await bothWithGradients(f, inputs, secondOrder);
    errors.push(`${name} ${e.toExponential(1)}`);
    worst = Math.max(worst, e);
    ok(e < 1e-4, `${name}: error ${e}`);
  }
  console.log(
    `max error ${worst.toExponential(2)} (relative to max(1, |value|)): ${errors.join(", ")}`,
  );
}

// Measured: at most 5e-6.
Deno.test("every op and its gradients on wasm with our kernels match the cpu backend (D's ops: R1's second derivatives too)", async () => {
  await checkBackends(BACKEND_CASES);
});

Deno.test({
  name: "minibatchStdDev and its gradients on wasm with our kernels match the cpu backend",
  fn: () => checkBackends(BACKEND_CASES_STD),
});

/**
 * ProGAN's and conditional StyleGAN's G and D, forward and every weight's gradient, on wasm with
 * our kernels and on cpu; with `discriminator`, G's loss through D and D's with R1, else
 * `Σ r·G(z)`. Returns the kernels wasm ran.
 */
async function checkLayers(discriminator: boolean): Promise<Set<string>> {
  // Pixel norm over few channels is ill-conditioned: the two backends' float32 sums, in other
  // orders, differ by up to 5e-5 in G's images with 2 channels at the top (tf.js's own wasm
  // kernels as much as ours), and in the gradients of the first layers through all the pixel
  // norms by 3e-4 with 4, 4e-5 with 8, 2e-5 with 32. A wrong kernel is off by far more.
  const small = { hiddenUnits: [8, 8, 8], latentDim: 8 };
  const growth = { stableImages: 64, fadeImages: 64 };
  const models = {
    progan: {
      g: createGenerator({ preset: "progan", seed: 3, ...small, growth }),
      d: createDiscriminator({ preset: "progan", seed: 3, hiddenUnits: small.hiddenUnits, growth }),
    },
    cstylegan: {
      g: createGenerator({
        preset: "cstylegan",
        seed: 4,
        ...small,
        styleDim: 8,
        mappingLayers: 2,
      }),
      d: createDiscriminator({ preset: "cstylegan", seed: 4, hiddenUnits: small.hiddenUnits }),
    },
  };
  const b = 4;
  const z = normal(b * 8);
  const real = normal(b * 28 * 28).map((v) => Math.tanh(v));
  const r = normal(b * 28 * 28);
  const labels = [3, 1, 4, 1];
  const kernels = new Set<string>();
  const errors: string[] = [];
  let worst = 0;
  // ProGAN at phase 0, in both fade-ins and grown; StyleGAN does not grow.
  const cases = [
    ["progan, phase 0", models.progan, 0],
    ["progan, fading in 14×14", models.progan, 96],
    ["progan, fading in 28×28", models.progan, 224],
    ["progan, grown", models.progan, 1000],
    ["cstylegan", models.cstylegan, 0],
  ] as const;
  for (const [name, { g, d }, imagesSeen] of cases) {
    const conditional = g.inputs.length === 2;
    const run = () => {
      // Resets StyleGAN's per-step counter: each backend draws the same noise and mixing.
      prepareModels([g, d], { globalStep: 7, imagesSeen });
      const y = conditional
        ? tf.cast(tf.oneHot(tf.tensor1d(labels, "int32"), 10), "float32")
        : undefined;
      const withLabel = (x: tf.Tensor) => (y ? [x, y] : x);
      const G = (x: tf.Tensor) => g.apply(withLabel(x), { training: true }) as tf.Tensor;
      const D = (x: tf.Tensor) => d.apply(withLabel(x), { training: true }) as tf.Tensor;
      const zt = tf.tensor2d(z, [b, 8]);
      const xt = tf.tensor4d(real, [b, 28, 28, 1]);
      const varsG = g.trainableWeights.map((w) => w.read() as tf.Variable);
      const varsD = d.trainableWeights.map((w) => w.read() as tf.Variable);
      if (!discriminator) {
        const grads = tf.variableGrads(
          () => tf.sum(tf.mul(tf.reshape(G(zt), [-1]), tf.tensor1d(r))) as tf.Scalar,
          varsG,
        );
        return [G(zt), grads.value, ...Object.values(grads.grads)];
      }
      // G's loss through D; D's on reals and fakes, with R1 (its second derivative)
      const lossG = () => tf.mean(tf.softplus(tf.neg(D(G(zt))))) as tf.Scalar;
      const lossD = () =>
        tf.add(
          tf.add(tf.mean(tf.softplus(tf.neg(D(xt)))), tf.mean(tf.softplus(D(G(zt))))),
          tf.mul(0.5, r1Penalty(D, xt)),
        ) as tf.Scalar;
      const gradsG = tf.variableGrads(lossG, varsG);
      const gradsD = tf.variableGrads(lossD, varsD);
      return [
        G(zt),
        D(xt),
        gradsG.value,
        gradsD.value,
        ...Object.values(gradsG.grads),
        ...Object.values(gradsD.grads),
      ];
    };
    const { cpu, ours } = await both(run);
    // The kernels on wasm (`both` leaves it selected).
    const profile = await tf.profile(() => void tf.dispose(run()));
    for (const kernel of profile.kernelNames) kernels.add(kernel);
    const e = maxError(ours, cpu);
    errors.push(`${name} ${e.toExponential(1)}`);
    worst = Math.max(worst, e);
    ok(e < 1e-3, `${name}: error ${e}`);
  }
  console.log(`max error ${worst.toExponential(2)}: ${errors.join(", ")}`);
  console.log(`kernels: ${[...kernels].sort().join(" ")}`);
  for (const { g, d } of Object.values(models)) g.dispose(), d.dispose();
  return kernels;
}

// Measured: at most 6e-5 (ProGAN grown: the dense layer's gradient through every pixel norm).
Deno.test("ProGAN's and StyleGAN's generators on wasm with our kernels match the cpu backend: images and every weight's gradient, at each phase", async () => {
  const kernels = await checkLayers(false);
  // Our kernels carry the convolutions, their gradients and LeakyReLU's.
  for (const kernel of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "LeakyRelu"]) {
    ok(kernels.has(kernel), `${kernel} ran`);
  }
});

// Measured (with a broadcast for the tile): at most 3e-6.
Deno.test({
  name:
    "ProGAN's and StyleGAN's G and D on wasm with our kernels match the cpu backend: outputs, losses, every weight's gradient with R1's, at each phase",
  fn: async () => {
    const kernels = await checkLayers(true);
    ok(kernels.has("GanLeakyReluGrad"), "our LeakyReLU gradient ran");
  },
});
