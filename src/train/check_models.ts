/**
 * The check that a generator and a discriminator fit each other and the data, before
 * `trainGAN` trains them.
 *
 * @module
 */

import { type ImageSet, imageSize } from "../data/images.ts";
import type { LayersModel } from "../tf_types.ts";

/** Checks that the models fit each other and the data; returns the latent size. */
export function checkModels(
  generator: LayersModel,
  discriminator: LayersModel,
  data: ImageSet,
): number {
  const gIn = generator.inputs[0].shape;
  const gOut = generator.outputs[0].shape;
  const dIn = discriminator.inputs[0].shape;
  const classes = generator.inputs.length === 2 ? generator.inputs[1].shape[1] : 0;
  const dClasses = discriminator.inputs.length === 2 ? discriminator.inputs[1].shape[1] : 0;
  if (classes !== dClasses) {
    throw new RangeError(
      `trainGAN: the generator is for ${classes || "no"} classes, the discriminator for ${
        dClasses || "no"
      }`,
    );
  }
  if (classes && !data.labels) {
    throw new RangeError("trainGAN: a conditional GAN needs labelled data (data.labels)");
  }
  if (classes && data.labels!.some((label) => label >= (classes as number))) {
    throw new RangeError(`trainGAN: the data has labels beyond the models' ${classes} classes`);
  }
  const dOut = discriminator.outputs[0].shape;
  const dataShape = [data.height, data.width, data.channels];
  const same = (a: (number | null)[], b: (number | null)[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  if (gIn.length !== 2 || typeof gIn[1] !== "number") {
    throw new RangeError(`trainGAN: the generator's input must be (B, latentDim), got [${gIn}]`);
  }
  if (!same(gOut.slice(1), dataShape)) {
    throw new RangeError(
      `trainGAN: the generator makes [${gOut.slice(1)}] images, the data holds [${dataShape}]`,
    );
  }
  if (!same(dIn.slice(1), dataShape)) {
    throw new RangeError(
      `trainGAN: the discriminator takes [${dIn.slice(1)}] images, the data holds [${dataShape}]`,
    );
  }
  if (!same(dOut, [null, 1])) {
    throw new RangeError(`trainGAN: the discriminator must output (B, 1) logits, got [${dOut}]`);
  }
  if (data.pixels.length !== data.count * imageSize(data)) {
    throw new RangeError(
      `trainGAN: data.pixels holds ${data.pixels.length} values, not count × height × width × channels`,
    );
  }
  return gIn[1];
}
