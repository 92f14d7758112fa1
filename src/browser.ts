/**
 * The library core that runs in a browser: models, the training loop, sampling, IDX decoding and
 * image sets. Nothing in this module's import graph touches Deno or `node:` APIs; `cli.ts serve`
 * transpiles these very files for the web page's "Train in this tab" (no copy, no build step),
 * and its tests refuse a graph that would not load in a browser.
 *
 * In a page, with an import map that maps `@tensorflow/tfjs-core` and `@tensorflow/tfjs-layers`
 * to their ES module bundles and a WebGL or WebGPU backend set:
 *
 * ```ts
 * import { createDiscriminator, createGenerator, sample, trainGAN } from "@gan/mnist";
 * import type { ImageSet } from "@gan/mnist";
 *
 * const digits: ImageSet = { pixels: new Float32Array(640 * 784).fill(-1), count: 640, height: 28, width: 28, channels: 1 };
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "lite", seed: 1 });
 * await trainGAN(generator, discriminator, digits, { epochs: 1 });
 * const images = await sample(generator, { n: 16, seed: 2 });
 * ```
 *
 * Importing this module also registers the library's own tf.js layer classes (ProGAN's and
 * StyleGAN's generators, ProGAN's discriminator), which stock `tfl.loadLayersModel` needs in
 * order to read the model files of the `progan` and `stylegan` presets; the web page's explorer
 * imports it before loading a model.
 *
 * @module
 */

export { decodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from "./data/idx.ts";
export { bytesToPixels, type ImageSet } from "./data/images.ts";
export { Random } from "./random.ts";
export { PRESETS } from "./models/presets.ts";
export { createDiscriminator, createGenerator } from "./models/create.ts";
export { trainGAN } from "./train/train.ts";
export { GeneratorAverage } from "./train/average.ts";
export { generatorShape, sample } from "./sample/sample.ts";
export { ProGANDiscriminator, ProGANGenerator } from "./models/style/progan.ts";
export { StyleGANGenerator } from "./models/style/stylegan.ts";
