/**
 * `GET /api/mnist/NAME.idx?count=N`: the first N images or labels of the bundled MNIST training
 * set, as a gzipped IDX file, for training in the page's tab. Recent answers are kept.
 *
 * ```
 * GET /api/mnist/train-images.idx?count=10000   (10000, 28, 28) uint8
 * GET /api/mnist/train-labels.idx?count=10000   (10000,) uint8
 * ```
 *
 * @module
 */

import { bundledMnistDir } from "../data/mnist.ts";
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray } from "../data/idx.ts";
import { readIdx } from "../data/idx_file.ts";
import { join } from "node:path";
import { HttpError, respond } from "./http.ts";

/** The most MNIST images the page may ask for at once. */
export const MAX_MNIST_IMAGES = 60_000;

const mnistCache = new Map<string, Promise<Uint8Array>>();

/** The first `count` MNIST training images or labels, as an IDX file. */
function mnistIdx(kind: "images" | "labels", count: number): Promise<Uint8Array> {
  const key = `${kind}-${count}`;
  let bytes = mnistCache.get(key);
  if (!bytes) {
    bytes = (async () => {
      const dir = await bundledMnistDir();
      const [name, magic] = kind === "images"
        ? ["train-images-idx3-ubyte", IDX_IMAGES_MAGIC]
        : ["train-labels-idx1-ubyte", IDX_LABELS_MAGIC];
      const all = await readIdx(join(dir, name), { magic });
      const size = all.shape.slice(1).reduce((a, b) => a * b, 1);
      const n = Math.min(count, all.shape[0]);
      return encodeIdx({
        type: all.type,
        shape: [n, ...all.shape.slice(1)],
        data: all.data.subarray(0, n * size),
      } as IdxArray);
    })();
    if (mnistCache.size > 8) mnistCache.clear();
    mnistCache.set(key, bytes);
    bytes.catch(() => mnistCache.delete(key));
  }
  return bytes;
}

/**
 * The handler of `/api/mnist/NAME`.
 *
 * @param url The request's URL (its `count` parameter; 10000 if absent).
 * @param name The path after `/api/mnist/`: `train-images.idx` or `train-labels.idx`.
 * @returns The IDX file, gzipped.
 * @throws {HttpError} 404 for another name, 400 for a count that is not an integer from 1 to
 * {@linkcode MAX_MNIST_IMAGES}.
 *
 * @example
 * ```ts
 * import { mnistRoute } from "./mnist.ts";
 *
 * const url = new URL("http://127.0.0.1:8000/api/mnist/train-labels.idx?count=10");
 * console.log((await mnistRoute(url, "train-labels.idx")).headers.get("content-encoding")); // gzip
 * ```
 */
export async function mnistRoute(url: URL, name: string): Promise<Response> {
  const kind = name === "train-images.idx"
    ? "images"
    : name === "train-labels.idx"
    ? "labels"
    : undefined;
  if (!kind) throw new HttpError(404, `no such data: ${name}`);
  const raw = url.searchParams.get("count") ?? "10000";
  const count = Number(raw);
  if (!/^\d{1,6}$/.test(raw) || count < 1 || count > MAX_MNIST_IMAGES) {
    throw new HttpError(400, `count must be an integer from 1 to ${MAX_MNIST_IMAGES}`);
  }
  const bytes = await mnistIdx(kind, count);
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return respond(stream, 200, {
    "content-type": "application/octet-stream",
    "content-encoding": "gzip",
    "cache-control": "public, max-age=3600",
  });
}
