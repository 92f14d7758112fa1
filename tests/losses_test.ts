import { equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { discriminatorLoss, generatorLoss, sigmoidCrossEntropy } from "../src/train/losses.ts";
import { Random } from "../src/random.ts";

/** Binary cross-entropy of sigmoid(x) against a label, in float64, the textbook way where safe. */
function referenceBce(logits: number[], label: 0 | 1): number {
  const terms = logits.map((x) => {
    // -log σ(x) = log(1 + e^-x), -log(1 - σ(x)) = log(1 + e^x); log1p keeps precision.
    const z = label === 1 ? -x : x;
    return z > 30 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  });
  return terms.reduce((a, b) => a + b, 0) / terms.length;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`[${backend}] sigmoidCrossEntropy matches a float64 reference, extreme logits included`, async () => {
    await selectBackend(backend);
    const random = new Random(11);
    const logits = [
      ...Array.from({ length: 200 }, () => (random.uniform() - 0.5) * 20),
      -100,
      -40,
      0,
      40,
      100,
    ];
    for (const label of [0, 1] as const) {
      const got = tf.tidy(() =>
        sigmoidCrossEntropy(tf.tensor2d(logits, [logits.length, 1]), label).dataSync()[0]
      );
      const want = referenceBce(logits, label);
      ok(Number.isFinite(got));
      ok(Math.abs(got - want) / want < 1e-5, `label ${label}: ${got} vs ${want}`);
    }
    // Far beyond where sigmoid + log would give log(0) = -Infinity.
    const huge = tf.tidy(() => sigmoidCrossEntropy(tf.tensor2d([[-1000]]), 1).dataSync()[0]);
    ok(Math.abs(huge - 1000) < 1e-3, `huge ${huge}`);
  });

  Deno.test(`[${backend}] discriminator and generator losses combine the right labels, with finite gradients`, async () => {
    await selectBackend(backend);
    const before = tf.memory().numTensors;
    const real = [2, -1, 0.5], fake = [-3, 0.2, 1];
    const dLoss = tf.tidy(() =>
      discriminatorLoss(tf.tensor2d(real, [3, 1]), tf.tensor2d(fake, [3, 1])).dataSync()[0]
    );
    ok(Math.abs(dLoss - (referenceBce(real, 1) + referenceBce(fake, 0))) < 1e-5);
    const gLoss = tf.tidy(() => generatorLoss(tf.tensor2d(fake, [3, 1])).dataSync()[0]);
    ok(Math.abs(gLoss - referenceBce(fake, 1)) < 1e-5);
    // d/dx of mean softplus(-x) is -(1 - σ(x)) / n: check against the closed form, at ±200 too.
    const xs = [-200, -2, 0, 2, 200];
    const grad = tf.tidy(() =>
      Array.from(tf.grad((x: tf.Tensor) => generatorLoss(x))(tf.tensor2d(xs, [5, 1])).dataSync())
    );
    xs.forEach((x, i) => {
      const want = -(1 - 1 / (1 + Math.exp(-x))) / xs.length;
      ok(
        Number.isFinite(grad[i]) && Math.abs(grad[i] - want) < 1e-6,
        `x ${x}: ${grad[i]} vs ${want}`,
      );
    });
    equal(tf.memory().numTensors, before, "tensors left behind");
  });
}
