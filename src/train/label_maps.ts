/**
 * A conditional DCGAN's first convolution without its label maps. The discriminator of `cdcgan`
 * joins the one-hot label to the image as `classes` constant maps (src/models/dcgan.ts,
 * `dcganLabelJoin`: reshape → upSampling2d → concatenate) and convolves the 1 + 10 channels: ten
 * of the eleven channels' products multiply constants. Split the filter `W = [W_image ‖ W_label]`
 * along its input channels; then
 *
 *     conv([x ‖ maps(y)], W) = conv(x, W_image) + conv(maps(y), W_label)
 *
 * and, the maps being constant over the image, `conv(maps(y), W_label)[b, p, o] = Σ_c y[b, c] ·
 * S[c, p, o]` with `S[c, p, o]` the sum of `W_label[·, ·, c, o]` over the taps that fall inside
 * the image at output position p: the convolution of an all-ones map. That is one small
 * convolution (1 image) and one product `y · S`, differentiable as tf.js operations, for the
 * filter's 10 label channels on 64 images: the same sums up to float rounding, a tenth of the
 * work, and no label maps, no `Concat` nor its gradient's `SplitV` (issue 25).
 *
 * The training step's graph runner (src/train/autograd_step.ts) uses it where a model has that
 * pattern; the model and its files are unchanged.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/** The parts of tf.js-layers' Conv2D that the convolution reads. */
export interface Conv2DLike {
  kernel: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  useBias: boolean;
  strides: number[];
  padding: string;
  dilationRate: number[];
  dataFormat: string;
  activation?: { apply(x: tf.Tensor): tf.Tensor } | null;
}

/**
 * `conv([image ‖ maps(label)])` (or `[maps(label) ‖ image]`) computed from the image and the label
 * directly, with the layer's own bias and activation.
 *
 * @param layer The Conv2D layer (NHWC, 2-D filter of `imageChannels + classes` inputs).
 * @param image `(B, H, W, imageChannels)`.
 * @param label `(B, classes)`: each image's constant maps.
 * @param labelFirst Whether the maps come before the image in the joined channels.
 * @returns `(B, outH, outW, filters)`, as the layer computes it on the joined input.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { convWithLabelMaps } from "./label_maps.ts";
 *
 * const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 4, strides: 2, padding: "same" });
 * conv.build([null, 8, 8, 3]);
 * const y = convWithLabelMaps(
 *   conv as unknown as Parameters<typeof convWithLabelMaps>[0],
 *   tf.zeros([2, 8, 8, 1]),
 *   tf.cast(tf.oneHot([0, 1], 2), "float32") as tf.Tensor2D,
 *   false,
 * );
 * console.log(y.shape); // [2, 4, 4, 4]
 * ```
 */
export function convWithLabelMaps(
  layer: Conv2DLike,
  image: tf.Tensor4D,
  label: tf.Tensor2D,
  labelFirst: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = image.shape;
    const classes = label.shape[1];
    const kernel = layer.kernel.read() as tf.Tensor4D;
    const [fh, fw, , filters] = kernel.shape;
    const strides = layer.strides as [number, number];
    const padding = layer.padding as "same" | "valid";
    const dilations = layer.dilationRate as [number, number];
    const imageAt = labelFirst ? classes : 0, labelAt = labelFirst ? 0 : channels;
    // (fh, fw, channels, filters) and (fh, fw, classes, filters)
    const wImage = tf.slice(kernel, [0, 0, imageAt, 0], [fh, fw, channels, filters]);
    const wLabel = tf.slice(kernel, [0, 0, labelAt, 0], [fh, fw, classes, filters]);
    // (B, outH, outW, filters): the image's part
    const fromImage = tf.conv2d(image, wImage, strides, padding, "NHWC", dilations);
    const [, outH, outW] = fromImage.shape;
    // S: (1, outH, outW, classes·filters), each class's filter summed over the taps inside the
    // image, as the convolution of one all-ones map with the label filters side by side
    const sums = tf.conv2d(
      tf.ones([1, height, width, 1]) as tf.Tensor4D,
      tf.reshape(wLabel, [fh, fw, 1, classes * filters]) as tf.Tensor4D,
      strides,
      padding,
      "NHWC",
      dilations,
    );
    // (classes, outH·outW·filters)
    const perClass = tf.reshape(
      tf.transpose(tf.reshape(sums, [outH * outW, classes, filters]), [1, 0, 2]),
      [classes, outH * outW * filters],
    );
    // (B, outH, outW, filters): the label maps' part
    const fromLabel = tf.reshape(tf.matMul(label, perClass), [batch, outH, outW, filters]);
    let y: tf.Tensor = tf.add(fromImage, fromLabel);
    if (layer.useBias && layer.bias) y = tf.add(y, layer.bias.read());
    return (layer.activation ? layer.activation.apply(y) : y) as tf.Tensor4D;
  });
}
