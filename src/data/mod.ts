/**
 * @gan/mnist/data: the images, without the models or the training: MNIST (bundled), CIFAR-10
 * (its binary files, or PNGs converted to them), IDX files (read and written, `.gz` too) and the
 * conversions between bytes and the [-1, 1] pixels the models see.
 *
 * ```ts
 * import { loadMnist, pixelsToBytes, writeIdx } from "@gan/mnist/data";
 *
 * const digits = await loadMnist({ split: "test", limit: 100 });
 * console.log(digits.count, digits.height, digits.width); // 100 28 28
 * const path = await Deno.makeTempFile({ suffix: ".idx" });
 * await writeIdx(path, { type: "uint8", shape: [100, 28, 28], data: pixelsToBytes(digits.pixels) });
 * ```
 *
 * Everything here is also exported by `@gan/mnist`.
 *
 * @module
 */

export {
  decodeIdx,
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxArray,
  type IdxData,
  type IdxType,
} from "./idx.ts";
export { readIdx, type ReadIdxOptions, writeIdx } from "./idx_file.ts";
export {
  bytesToPixels,
  type ImageSet,
  imagesToIdx,
  pixelsToBytes,
  shuffleImages,
} from "./images.ts";
export {
  CIFAR_CLASSES,
  decodeCifar,
  isCifarDir,
  loadCifar10,
  type LoadCifarOptions,
} from "./cifar.ts";
export { cifarRecordsFromPng, convertCifarPng, type ConvertCifarPngOptions } from "./cifar_png.ts";
export { bundledMnistDir, loadMnist, type LoadMnistOptions, type MnistSplit } from "./mnist.ts";
