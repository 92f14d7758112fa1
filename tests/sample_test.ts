import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { selectBackend } from "../src/backend/select.ts";
import { IDX_IMAGES_MAGIC } from "../src/data/idx.ts";
import { readIdx } from "../src/data/idx_file.ts";
import type { ImageSet } from "../src/data/images.ts";
import { createGenerator } from "../src/models/create.ts";
import { Random } from "../src/random.ts";
import { writeImagesIdx, writePngGrid } from "../src/sample/files.ts";
import { encodePngGrid, gridImage } from "../src/sample/grid.ts";
import { sample } from "../src/sample/sample.ts";
import { assertRejects, assertThrows } from "./helpers.ts";

await selectBackend("wasm");

Deno.test("sample draws n images from seeded noise: same seed same images, another seed others", async () => {
  const generator = createGenerator({ preset: "lite", seed: 1 });
  const a = await sample(generator, { n: 7, seed: 3, batchSize: 3 });
  const b = await sample(generator, { n: 7, seed: 3 });
  const c = await sample(generator, { n: 7, seed: 4 });
  deepEqual([a.count, a.height, a.width, a.channels], [7, 28, 28, 1]);
  equal(a.pixels.length, 7 * 784);
  // Batching is invisible in the result.
  deepEqual(a.pixels, b.pixels);
  notDeepEqual(a.pixels, c.pixels);
  ok(a.pixels.every((v) => v > -1 && v < 1));
  generator.dispose();
});

Deno.test("sample uses the noise it says: the same as the generator applied to Random(seed) normals", async () => {
  const generator = createGenerator({ preset: "tutorial", seed: 2 });
  const images = await sample(generator, { n: 2, seed: 5 });
  const noise = new Random(5).fillNormal(new Float32Array(2 * 32));
  const direct = tf.tidy(() =>
    Array.from((generator.predict(tf.tensor2d(noise, [2, 32])) as tf.Tensor).dataSync())
  );
  ok(direct.every((v, i) => Math.abs(v - images.pixels[i]) < 1e-6));
  generator.dispose();
});

Deno.test("sample refuses a model that is not a generator and a bad n", async () => {
  const classifier = tfl.sequential({
    layers: [tfl.layers.dense({ units: 10, inputShape: [784] })],
  });
  await assertRejects(
    () => sample(classifier, { n: 4 }),
    RangeError,
    "not a generator: its output must be (B, height, width, channels), got [null,10]",
  );
  const generator = createGenerator({ preset: "tutorial" });
  await assertRejects(
    () => sample(generator, { n: 0 }),
    RangeError,
    "sample: n must be an integer >= 1, got 0",
  );
});

function pattern(count: number, h: number, w: number, c: number): ImageSet {
  // Image i is flat at grey level -1 + 2·i/(count-1) so each tile is identifiable.
  const pixels = new Float32Array(count * h * w * c);
  for (let i = 0; i < count; i++) {
    pixels.fill(-1 + (2 * i) / Math.max(1, count - 1), i * h * w * c, (i + 1) * h * w * c);
  }
  return { pixels, count, height: h, width: w, channels: c };
}

Deno.test("gridImage puts image i at row ⌊i/columns⌋, column i mod columns, with padding between", () => {
  const grid = gridImage(pattern(5, 3, 4, 1), { columns: 2, padding: 1, paddingValue: 7 });
  // 2 columns of width 4 plus 3 paddings; 3 rows of height 3 plus 4 paddings.
  deepEqual([grid.width, grid.height, grid.channels], [11, 13, 1]);
  const at = (x: number, y: number) => grid.data[y * grid.width + x];
  equal(at(0, 0), 7);
  const expected = [0, 64, 128, 191, 255];
  for (let i = 0; i < 5; i++) {
    const left = 1 + (i % 2) * 5, top = 1 + Math.floor(i / 2) * 4;
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 4; x++) equal(at(left + x, top + y), expected[i], `image ${i}`);
    }
  }
  // The empty sixth cell is padding.
  equal(at(6, 9), 7);
});

Deno.test("encodePngGrid writes a PNG that decodes to the grid, grey and RGB, scaled", () => {
  const grey = pattern(4, 2, 2, 1);
  const png = decode(encodePngGrid(grey, { columns: 4, padding: 0, scale: 3 }));
  deepEqual([png.width, png.height, png.channels, png.depth], [24, 6, 1, 8]);
  deepEqual([png.data[0], png.data[6], png.data[12], png.data[23]], [0, 85, 170, 255]);
  const rgb = pattern(2, 2, 2, 3);
  rgb.pixels[0] = 1; // the first pixel of the first image goes red-ish
  const colour = decode(encodePngGrid(rgb, { columns: 2, padding: 0 }));
  equal(colour.channels, 3);
  deepEqual([...colour.data.slice(0, 3)], [255, 0, 0]);
  assertThrows(() => encodePngGrid(pattern(1, 2, 2, 2)), RangeError, "1 or 3 channels");
  assertThrows(
    () => gridImage({ ...grey, count: 0, pixels: new Float32Array(0) }),
    RangeError,
    "no images",
  );
});

Deno.test("writeImagesIdx writes uint8 N×28×28 with 0 as background, readable as MNIST images", async () => {
  const dir = await Deno.makeTempDir();
  const images = pattern(3, 28, 28, 1);
  await writeImagesIdx(join(dir, "s.idx"), images);
  const back = await readIdx(join(dir, "s.idx"), { magic: IDX_IMAGES_MAGIC });
  deepEqual(back.shape, [3, 28, 28]);
  deepEqual([back.data[0], back.data[784], back.data[2 * 784]], [0, 128, 255]);
  await writePngGrid(join(dir, "s.png"), images);
  equal(decode(await Deno.readFile(join(dir, "s.png"))).width, 2 + 2 * 30);
  await Deno.remove(dir, { recursive: true });
});
