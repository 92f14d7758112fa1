// A user's own model of stock tf.layers.conv2d / conv2dTranspose gets the lazy gradients too
// (src/backend/kernels/conv_layers.ts): each product is counted with tf.js's profiler, and the
// values are compared with tf.js's own fused path (useStockConv).
import { deepEqual, equal, ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { createGanStep, selectBackend } from "../mod.ts";
import { useLazyConv, useStockConv } from "../src/backend/kernels/conv_layers.ts";
import { Random } from "../src/random.ts";

type Kernels = Awaited<ReturnType<typeof tf.profile>>["kernels"];

/** The kernels `f` runs, by name, with their input and output shapes. */
async function kernelsOf(f: () => unknown): Promise<Kernels> {
  const info = await tf.profile(async () => {
    await f();
  });
  return info.kernels;
}

const count = (kernels: Kernels, name: string) => kernels.filter((k) => k.name === name).length;

/** Runs `f` with tf.js's own `tf.fused.conv2d` (a customGrad computing both gradients). */
async function stock<T>(f: () => T | Promise<T>): Promise<T> {
  useStockConv();
  try {
    return await f();
  } finally {
    useLazyConv();
  }
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  equal(x.length, y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

Deno.test("a stock conv2d layer computes only the gradient asked for, with tf.js's fused values", async () => {
  await selectBackend("wasm");
  const random = new Random(5);
  const conv = tfl.layers.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: "same",
    biasInitializer: "randomNormal",
    inputShape: [9, 9, 3],
  });
  // (2, 9, 9, 3) -> (2, 5, 5, 8)
  const x = tf.tensor4d(random.fillNormal(new Float32Array(2 * 9 * 9 * 3)), [2, 9, 9, 3]);
  const loss = (input: tf.Tensor) => tf.sum(tf.square(conv.apply(input) as tf.Tensor)) as tf.Scalar;
  tf.dispose(loss(x)); // builds the layer: variableGrads finds its weights
  const weightGrads = () => {
    const { value, grads } = tf.variableGrads(() => loss(x));
    value.dispose();
    return grads;
  };
  const inputGrad = () => tf.grad(loss)(x);

  // The weights' gradient: no input gradient. The input's: no filter gradient.
  const weightKernels = await kernelsOf(() => tf.dispose(weightGrads()));
  equal(count(weightKernels, "Conv2DBackpropInput"), 0);
  equal(count(weightKernels, "Conv2DBackpropFilter"), 1);
  const inputKernels = await kernelsOf(() => tf.dispose(inputGrad()));
  equal(count(inputKernels, "Conv2DBackpropInput"), 1);
  equal(count(inputKernels, "Conv2DBackpropFilter"), 0);
  // tf.js's own fused op computes both whichever is asked for: what the patch saves.
  const stockKernels = await stock(() => kernelsOf(() => tf.dispose(weightGrads())));
  equal(count(stockKernels, "Conv2DBackpropInput"), 1);
  equal(count(stockKernels, "Conv2DBackpropFilter"), 1);

  // The same forward values bit for bit (the same kernel runs), the same gradients.
  const y = conv.apply(x) as tf.Tensor;
  const stockY = await stock(() => conv.apply(x) as tf.Tensor);
  deepEqual(y.dataSync(), stockY.dataSync());
  const allGrads = (): tf.NamedTensorMap => ({ ...weightGrads(), x: inputGrad() });
  const grads = allGrads();
  const stockGrads = await stock(allGrads);
  deepEqual(Object.keys(grads).sort(), Object.keys(stockGrads).sort());
  for (const [name, grad] of Object.entries(grads)) {
    deepEqual(grad.shape, stockGrads[name].shape);
    ok(maxDiff(grad, stockGrads[name]) <= 1e-6, `${name}: ${maxDiff(grad, stockGrads[name])}`);
  }

  // No tensor left behind by the lazy gradient.
  const before = tf.memory().numTensors;
  tf.dispose(weightGrads());
  tf.dispose(inputGrad());
  equal(tf.memory().numTensors, before);
  tf.dispose([x, y, stockY, ...Object.values(grads), ...Object.values(stockGrads)]);
  conv.dispose();
});

Deno.test("a stock conv2dTranspose layer's gradients are lazy already (tf.conv2dTranspose's closures)", async () => {
  await selectBackend("wasm");
  const random = new Random(6);
  const deconv = tfl.layers.conv2dTranspose({
    filters: 2,
    kernelSize: 4,
    strides: 2,
    padding: "same",
    inputShape: [4, 4, 6],
  });
  // (2, 4, 4, 6) -> (2, 8, 8, 2); its forward pass is the kernel Conv2DBackpropInput
  const x = tf.tensor4d(random.fillNormal(new Float32Array(2 * 4 * 4 * 6)), [2, 4, 4, 6]);
  const loss = (input: tf.Tensor) =>
    tf.sum(tf.square(deconv.apply(input) as tf.Tensor)) as tf.Scalar;
  tf.dispose(loss(x));
  // The input's gradient of a transposed convolution is a Conv2D; the filter's a
  // Conv2DBackpropFilter. Each runs only when asked for.
  const weightKernels = await kernelsOf(() => {
    const { value, grads } = tf.variableGrads(() => loss(x));
    tf.dispose([value, grads]);
  });
  equal(count(weightKernels, "Conv2D"), 0);
  equal(count(weightKernels, "Conv2DBackpropFilter"), 1);
  const inputKernels = await kernelsOf(() => tf.dispose(tf.grad(loss)(x)));
  equal(count(inputKernels, "Conv2D"), 1);
  equal(count(inputKernels, "Conv2DBackpropFilter"), 0);
  x.dispose();
  deconv.dispose();
});

/** A GAN for 16×16 images as a user writes it: stock layers only. */
function userGan(): { g: tfl.Sequential; d: tfl.Sequential } {
  const g = tfl.sequential({
    layers: [
      // (B, 16) -> (B, 4·4·8)
      tfl.layers.dense({ units: 4 * 4 * 8, activation: "relu", inputShape: [16] }),
      // (B, 4·4·8) -> (B, 4, 4, 8)
      tfl.layers.reshape({ targetShape: [4, 4, 8] }),
      // (B, 4, 4, 8) -> (B, 8, 8, 4)
      tfl.layers.conv2dTranspose({
        filters: 4,
        kernelSize: 4,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      // (B, 8, 8, 4) -> (B, 16, 16, 1)
      tfl.layers.conv2dTranspose({
        filters: 1,
        kernelSize: 4,
        strides: 2,
        padding: "same",
        activation: "tanh",
      }),
    ],
  });
  const d = tfl.sequential({
    layers: [
      // (B, 16, 16, 1) -> (B, 8, 8, 4), with a bias, no activation: tf.fused.conv2d's customGrad
      tfl.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        inputShape: [16, 16, 1],
      }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      // (B, 8, 8, 4) -> (B, 4, 4, 8), ReLU inside the layer
      tfl.layers.conv2d({
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
      }),
      // (B, 4, 4, 8) -> (B, 128) -> (B, 1) logits
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1 }),
    ],
  });
  return { g, d };
}

Deno.test("a user's GAN of stock layers trains with createGanStep computing no wasted convolution gradient", async () => {
  await selectBackend("wasm");
  const lazy = userGan();
  const fused = userGan();
  fused.g.setWeights(lazy.g.getWeights());
  fused.d.setWeights(lazy.d.getWeights());
  const options = { batchSize: 8, learningRate: 2e-4, beta1: 0.5, beta2: 0.999 };
  const random = new Random(7);
  const batch = Float32Array.from({ length: 8 * 256 }, () => random.uniform() * 2 - 1);
  const noise = random.fillNormal(new Float32Array(8 * 16));

  const step = createGanStep(lazy.g, lazy.d, options);
  equal(step.kind, "autograd");
  const kernels = await kernelsOf(() => step.run(batch, noise));
  const fusedStep = createGanStep(fused.g, fused.d, options);
  const fusedKernels = await stock(() => kernelsOf(() => fusedStep.run(batch, noise)));

  // D's filters are (3, 3, inC, outC), G's (4, 4, outC, inC): a product is D's by its filter.
  const dFilters = lazy.d.layers.filter((l) => l.getClassName() === "Conv2D")
    .map((l) => JSON.stringify(l.getWeights()[0].shape));
  equal(dFilters.length, 2);
  const imageGradients = (ks: Kernels) =>
    ks.filter((k) =>
      k.name === "Conv2DBackpropInput" && JSON.stringify(k.inputShapes[1]) === dFilters[0]
    ).length;
  const dFilterGradients = (ks: Kernels) =>
    ks.filter((k) =>
      k.name === "Conv2DBackpropFilter" && dFilters.includes(JSON.stringify(k.outputShapes[0]))
    ).length;
  // D's step (one pass on the real and the fake batch together): both filters' gradients, not
  // the images'; G's step: D's input gradients only, its first layer's being the images' (G's).
  deepEqual([imageGradients(kernels), dFilterGradients(kernels)], [1, 2]);
  // tf.js's fused op added the images' gradient in D's step and D's first filter's in G's (the
  // second layer, with its ReLU, tf.js runs unfused itself while it records gradients).
  deepEqual([imageGradients(fusedKernels), dFilterGradients(fusedKernels)], [2, 3]);

  // The same training step: weights after it agree with the fused path's.
  for (const [mine, theirs] of [[lazy.g, fused.g], [lazy.d, fused.d]]) {
    mine.getWeights().forEach((w, i) => {
      const diff = maxDiff(w, theirs.getWeights()[i]);
      ok(diff <= 1e-6, `${mine.name} weight ${i}: ${diff}`);
    });
  }
  step.dispose();
  fusedStep.dispose();
  for (const m of [lazy.g, lazy.d, fused.g, fused.d]) m.dispose();
});
