/**
 * A conditional DCGAN's first convolution on [image ‖ constant label maps], computed without the
 * maps (src/train/label_maps.ts): the same values and gradients as the layer on the joined input.
 */

import { ok } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { type Conv2DLike, convWithLabelMaps } from "../src/train/label_maps.ts";
import { Random } from "../src/random.ts";

const random = new Random(12);
const values = (n: number) => random.fillNormal(new Float32Array(n));

/** Max |a − b| / max(1, |b|). */
function worst(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let e = 0;
  for (let i = 0; i < x.length; i++) {
    e = Math.max(e, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  }
  return e;
}

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`label maps: conv(image) + the label filters' sums equals the layer on [image ‖ maps] (${backend})`, async () => {
    await selectBackend(backend);
    for (
      const { side, channels, classes, stride, padding, labelFirst } of [
        { side: 28, channels: 1, classes: 10, stride: 2, padding: "same", labelFirst: false },
        { side: 9, channels: 3, classes: 4, stride: 1, padding: "valid", labelFirst: true },
        { side: 7, channels: 2, classes: 3, stride: 3, padding: "same", labelFirst: false },
      ] as const
    ) {
      const batch = 5, filters = 6;
      const conv = tfl.layers.conv2d({
        filters,
        kernelSize: 4,
        strides: stride,
        padding,
        activation: "relu",
        biasInitializer: "randomNormal",
      });
      conv.build([null, side, side, channels + classes]);
      const image = tf.tensor4d(values(batch * side * side * channels), [
        batch,
        side,
        side,
        channels,
      ]);
      const ids = Array.from({ length: batch }, () => random.int(classes));
      const label = tf.cast(tf.oneHot(ids, classes), "float32") as tf.Tensor2D;
      // The layer on the joined input, as the model computes it.
      const joined = (x: tf.Tensor4D) => {
        const maps = tf.tile(tf.reshape(label, [batch, 1, 1, classes]), [1, side, side, 1]);
        return conv.apply(tf.concat(labelFirst ? [maps, x] : [x, maps], 3)) as tf.Tensor;
      };
      const split = (x: tf.Tensor4D) =>
        convWithLabelMaps(conv as unknown as Conv2DLike, x, label, labelFirst);
      const kernel = conv.getWeights()[0] as tf.Variable;
      // A loss that weighs every output differently: Σ y · w.
      const loss = (f: (x: tf.Tensor4D) => tf.Tensor) => (x: tf.Tensor) => {
        const y = f(x as tf.Tensor4D);
        return tf.sum(tf.mul(y, tf.reshape(tf.linspace(-1, 1, y.size), y.shape)));
      };
      const expected = joined(image), got = split(image);
      ok(worst(got, expected) < 1e-5, `values: ${worst(got, expected)}`);
      ok(expected.dataSync().some((v) => v !== 0));
      const gradsOf = (f: (x: tf.Tensor4D) => tf.Tensor) =>
        tf.variableGrads(() => loss(f)(image) as tf.Scalar, [kernel]).grads[kernel.name];
      const inputGrad = (f: (x: tf.Tensor4D) => tf.Tensor) => tf.grad(loss(f))(image);
      const dkE = gradsOf(joined), dkG = gradsOf(split);
      ok(worst(dkG, dkE) < 1e-4, `filter gradient: ${worst(dkG, dkE)}`);
      const dxE = inputGrad(joined), dxG = inputGrad(split);
      ok(worst(dxG, dxE) < 1e-5, `input gradient: ${worst(dxG, dxE)}`);
      tf.dispose([image, label, expected, got, dkE, dkG, dxE, dxG]);
      tf.dispose(conv.getWeights());
    }
  });
}
