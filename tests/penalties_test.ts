import { equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { Random } from "../src/random.ts";
import type { LayersModel } from "../src/tf_types.ts";
import {
  type Critic,
  interpolationWeights,
  r1Penalty,
  wganGradientPenalty,
} from "../src/train/penalties.ts";

type Kind = "mlp-leaky" | "mlp-tanh" | "conv";

/** A small discriminator of each kind, on 6×6×1 images, weights from `seed`. */
function smallCritic(kind: Kind, seed: number): LayersModel {
  const init = (s: number) => tfl.initializers.randomNormal({ stddev: 0.5, seed: seed + s });
  const layers: tfl.layers.Layer[] = kind === "conv"
    ? [
      // (B, 6, 6, 1) -> (B, 3, 3, 3): the strided convolution of dcgan's D
      tfl.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        kernelInitializer: init(1),
        biasInitializer: init(2),
      }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
    ]
    : [
      tfl.layers.flatten({ inputShape: [6, 6, 1] }),
      // (B, 36) -> (B, 8)
      tfl.layers.dense({ units: 8, kernelInitializer: init(1), biasInitializer: init(2) }),
      kind === "mlp-tanh"
        ? tfl.layers.activation({ activation: "tanh" })
        : tfl.layers.leakyReLU({ alpha: 0.2 }),
    ];
  // (B, …) -> (B, 1)
  layers.push(tfl.layers.dense({ units: 1, kernelInitializer: init(3), biasInitializer: init(4) }));
  return tfl.sequential({ layers });
}

/** `n` values in [-1, 1]. */
const uniform = (random: Random, n: number) =>
  Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);

/**
 * Checks the gradient of `penalty` with respect to D's weights against central finite
 * differences, one weight at a time: the largest difference over all weights, relative to the
 * largest gradient. A LeakyReLU makes the penalty piecewise smooth in the weights: a weight whose
 * step moves some unit's input across 0 shows one-sided quotients that disagree, and is left out
 * (and counted: the caller checks that such kinks are rare).
 */
function finiteDifferenceError(
  model: LayersModel,
  penalty: (critic: Critic) => tf.Scalar,
): { error: number; kinks: number; weights: number } {
  const critic: Critic = (x) => model.apply(x) as tf.Tensor;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => penalty(critic), vars);
  // A weight that D's input gradient does not depend on (the last bias) has no gradient: 0.
  const analytic = vars.map((v) =>
    grads[v.name]?.dataSync() as Float32Array ?? new Float32Array(v.size)
  );
  tf.dispose([value, ...Object.values(grads)]);
  const at = () => tf.tidy(() => penalty(critic).dataSync()[0]);
  // ε = 1e-3: small enough that no LeakyReLU changes side, large enough that float32 rounding of
  // the penalty (~1e-7 of it) stays ~1e-4 of the difference quotient.
  const epsilon = 1e-3;
  const centre = at();
  let largest = 0, worst = 0, kinks = 0, weights = 0;
  vars.forEach((v, i) => {
    const start = v.dataSync().slice() as Float32Array;
    const set = (w: Float32Array) => tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
    for (let j = 0; j < start.length; j++) {
      const moved = start.slice();
      moved[j] = start[j] + epsilon;
      set(moved);
      const up = at();
      moved[j] = start[j] - epsilon;
      set(moved);
      const down = at();
      // The step actually taken, in float32: (start + ε) - (start - ε).
      const step = Math.fround(start[j] + epsilon) - Math.fround(start[j] - epsilon);
      const numeric = (up - down) / step;
      weights++;
      largest = Math.max(largest, Math.abs(analytic[i][j]));
      // Smooth: the one-sided quotients differ by ε·f'' only.
      if (Math.abs((up - centre) - (centre - down)) / (step / 2) > 0.05) kinks++;
      else worst = Math.max(worst, Math.abs(numeric - analytic[i][j]));
    }
    set(start);
  });
  return { error: worst / largest, kinks, weights };
}

for (const backend of ["wasm", "cpu"] as const) {
  for (const kind of ["mlp-leaky", "mlp-tanh", "conv"] as const) {
    Deno.test(`[${backend}] ${kind}: WGAN-GP's and R1's gradients match central finite differences`, async () => {
      await selectBackend(backend);
      // Inputs where no unit lies within ε of LeakyReLU's kink for R1 on the conv critic
      // (seed 5 has one: 7 of its 58 weights show it, and are left out).
      const random = new Random(6);
      const model = smallCritic(kind, 3);
      const real = tf.tensor4d(uniform(random, 4 * 36), [4, 6, 6, 1]);
      const fake = tf.tensor4d(uniform(random, 4 * 36), [4, 6, 6, 1]);
      const alpha = interpolationWeights(random, 4);
      const before = tf.memory().numTensors;
      const gp = finiteDifferenceError(
        model,
        (critic) => wganGradientPenalty(critic, real, fake, alpha),
      );
      const r1 = finiteDifferenceError(model, (critic) => r1Penalty(critic, real));
      const report = (name: string, r: typeof gp) =>
        `${name} ${r.error.toExponential(2)} (${r.kinks} of ${r.weights} weights at a kink)`;
      console.log(`  ${backend} ${kind}: ${report("WGAN-GP", gp)}, ${report("R1", r1)}`);
      for (const [name, r] of [["WGAN-GP", gp], ["R1", r1]] as const) {
        ok(r.error <= 1e-3, report(name, r));
        ok(r.kinks <= r.weights / 50, report(name, r));
        if (kind === "mlp-tanh") equal(r.kinks, 0, report(name, r));
      }
      equal(tf.memory().numTensors, before, "tensors leaked");
      tf.dispose([real, fake]);
      model.dispose();
    });
  }
}

Deno.test("WGAN-GP draws one α per sample and interpolates every pixel of a sample with it", async () => {
  await selectBackend("cpu");
  const random = new Random(9);
  const alpha = interpolationWeights(random, 3);
  equal(alpha.length, 3);
  ok(alpha.every((a) => a >= 0 && a < 1) && new Set(alpha).size === 3, `α ${alpha}`);
  // Uniform on [0, 1): the mean of many draws is near ½, their spread √(1/12).
  const many = interpolationWeights(new Random(1), 20_000);
  const mean = many.reduce((a, b) => a + b, 0) / many.length;
  const variance = many.reduce((a, b) => a + (b - mean) ** 2, 0) / many.length;
  ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(variance - 1 / 12) < 0.005, `${mean} ${variance}`);
  const real = tf.tensor4d(uniform(random, 3 * 4), [3, 2, 2, 1]);
  const fake = tf.tensor4d(uniform(random, 3 * 4), [3, 2, 2, 1]);
  let seen: Float32Array | undefined;
  // A critic with D(x) = Σ x²: its gradient 2x̂ exposes the interpolates it was given.
  const critic: Critic = (x) => {
    if (!seen) seen = x.dataSync() as Float32Array;
    return tf.reshape(tf.sum(tf.square(x), [1, 2, 3]), [-1, 1]);
  };
  const penalty = wganGradientPenalty(critic, real, fake, alpha).dataSync()[0];
  const r = real.dataSync(), f = fake.dataSync();
  let want = 0;
  for (let i = 0; i < 3; i++) {
    let squares = 0;
    for (let j = 0; j < 4; j++) {
      const x = alpha[i] * r[i * 4 + j] + (1 - alpha[i]) * f[i * 4 + j];
      ok(Math.abs(seen![i * 4 + j] - x) < 1e-6, `sample ${i} pixel ${j}`);
      squares += (2 * x) ** 2;
    }
    want += (Math.sqrt(squares) - 1) ** 2 / 3;
  }
  ok(Math.abs(penalty - want) < 1e-5, `${penalty} vs ${want}`);
  tf.dispose([real, fake]);
});

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`[${backend}] WGAN-GP where D's gradient is 0: penalty 1, gradients finite (no NaN from √0)`, async () => {
    await selectBackend(backend);
    const model = smallCritic("mlp-leaky", 1);
    // The first layer's kernel at 0: D is constant in its input.
    const kernel = model.trainableWeights[0].read() as tf.Variable;
    kernel.assign(tf.zerosLike(kernel));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const real = tf.ones([2, 6, 6, 1]), fake = tf.zeros([2, 6, 6, 1]);
    const critic: Critic = (x) => model.apply(x) as tf.Tensor;
    const { value, grads } = tf.variableGrads(
      () => wganGradientPenalty(critic, real, fake, new Float32Array([0.3, 0.7])),
      vars,
    );
    ok(Math.abs(value.dataSync()[0] - 1) < 1e-6, `penalty ${value.dataSync()[0]}`);
    for (const g of Object.values(grads)) {
      ok((g.dataSync() as Float32Array).every(Number.isFinite), "a gradient is not finite");
    }
    tf.dispose([value, ...Object.values(grads), real, fake]);
    model.dispose();
  });
}
