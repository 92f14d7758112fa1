import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import type { ImageSet } from "../src/data/images.ts";
import { Random } from "../src/random.ts";
import { encodeGif, imageFrames } from "../src/sample/animation.ts";
import { writeGif, writePngGrid } from "../src/sample/files.ts";
import type { RasterImage } from "../src/sample/grid.ts";
import { epochGridName, PROGRESS_GIF, writeProgressGif } from "../src/train/run/timelapse.ts";
import { assertRejects, assertThrows, decodeGif } from "./helpers.ts";

/** A grey frame whose pixels are a seeded pattern. */
function greyFrame(width: number, height: number, seed: number): RasterImage {
  const random = new Random(seed);
  const data = Uint8Array.from({ length: width * height }, () => random.int(256));
  return { width, height, channels: 1, data };
}

/** The grey level of each RGBA pixel, checking that R = G = B and A = 255. */
function greyOf(rgba: Uint8ClampedArray): Uint8Array {
  const grey = new Uint8Array(rgba.length / 4);
  for (let p = 0; p < grey.length; p++) {
    equal(rgba[4 * p], rgba[4 * p + 1]);
    equal(rgba[4 * p], rgba[4 * p + 2]);
    equal(rgba[4 * p + 3], 255);
    grey[p] = rgba[4 * p];
  }
  return grey;
}

Deno.test("encodeGif: grey frames decode (gifuct-js) to the same 256 levels, with their delays, looping", () => {
  const frames = [0, 1, 2].map((seed) => greyFrame(13, 7, seed));
  const gif = decodeGif(encodeGif(frames, { delay: 200, holdDelay: 1200 }));
  deepEqual([gif.width, gif.height, gif.loops], [13, 7, 0]);
  deepEqual(gif.frames.map((f) => f.delay), [200, 200, 1200]);
  gif.frames.forEach((frame, i) => deepEqual(greyOf(frame.rgba), frames[i].data, `frame ${i}`));
});

Deno.test("encodeGif with bounce plays 0, 1, …, n−1, …, 1 and holds both ends", () => {
  const frames = [0, 1, 2, 3].map((seed) => greyFrame(4, 4, seed));
  const gif = decodeGif(encodeGif(frames, { bounce: true }));
  const order = gif.frames.map((f) =>
    frames.findIndex((x) => deepEqualBytes(x.data, greyOf(f.rgba)))
  );
  deepEqual(order, [0, 1, 2, 3, 2, 1]);
  deepEqual(gif.frames.map((f) => f.delay), [1000, 250, 250, 1000, 250, 250]);
  // Two frames have nothing between their ends to play back.
  equal(decodeGif(encodeGif(frames.slice(0, 2), { bounce: true })).frames.length, 2);
  equal(decodeGif(encodeGif(frames.slice(0, 1), { bounce: true })).frames.length, 1);
});

const deepEqualBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

Deno.test("encodeGif quantises colour frames: each decodes close to the original, with its own palette", () => {
  // Smooth gradients in three channels, more colours than a palette holds.
  const frame = (shift: number): RasterImage => {
    const width = 40, height = 30, data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = 3 * (y * width + x);
        data.set([x * 6 + shift, y * 8, (x + y + shift) * 3], at);
      }
    }
    return { width, height, channels: 3, data };
  };
  const frames = [frame(0), frame(10)];
  const gif = decodeGif(encodeGif(frames));
  equal(gif.frames.length, 2);
  gif.frames.forEach((decoded, i) => {
    let worst = 0;
    for (let p = 0; p < 40 * 30; p++) {
      for (let c = 0; c < 3; c++) {
        worst = Math.max(worst, Math.abs(decoded.rgba[4 * p + c] - frames[i].data[3 * p + c]));
      }
    }
    ok(worst <= 16, `frame ${i}: a channel off by ${worst}`);
  });
});

Deno.test("encodeGif refuses no frames, frames of different sizes, 2 channels and bad delays", () => {
  const frame = greyFrame(4, 4, 0);
  assertThrows(() => encodeGif([]), RangeError, "encodeGif: no frames");
  assertThrows(
    () => encodeGif([frame, greyFrame(4, 5, 1)]),
    RangeError,
    "frame 1 is 4×5×1 (20 bytes), frame 0 4×4×1",
  );
  assertThrows(
    () => encodeGif([{ ...frame, channels: 2, data: new Uint8Array(32) }]),
    RangeError,
    "1 or 3 channels",
  );
  assertThrows(() => encodeGif([frame], { delay: -1 }), RangeError, "delay must be an integer");
  assertThrows(() => encodeGif([frame], { holdDelay: 1e9 }), RangeError, "holdDelay must be");
});

Deno.test("imageFrames makes one frame per image, each pixel a scale × scale block", () => {
  const images: ImageSet = {
    pixels: Float32Array.from([-1, 1, 1, -1, 1, 1, -1, -1]),
    count: 2,
    height: 2,
    width: 2,
    channels: 1,
  };
  const frames = imageFrames(images, 2);
  equal(frames.length, 2);
  deepEqual([frames[1].width, frames[1].height, frames[1].channels], [4, 4, 1]);
  deepEqual([...frames[0].data], [0, 0, 255, 255, 0, 0, 255, 255, 255, 255, 0, 0, 255, 255, 0, 0]);
  deepEqual([...frames[1].data.subarray(0, 4)], [255, 255, 255, 255]);
});

/** A grid of 4 flat 6×6 images whose grey levels depend on `epoch`. */
function epochImages(epoch: number): ImageSet {
  const pixels = new Float32Array(4 * 36);
  for (let i = 0; i < 4; i++) pixels.fill(-1 + (epoch * 0.3 + i * 0.1) % 2, i * 36, (i + 1) * 36);
  return { pixels, count: 4, height: 6, width: 6, channels: 1 };
}

Deno.test("writeProgressGif: one frame per epoch up to the one given, each its grid at half size, the last held", async () => {
  const dir = await Deno.makeTempDir();
  for (const epoch of [1, 2, 3, 4]) {
    await writePngGrid(join(dir, epochGridName(epoch)), epochImages(epoch), { scale: 2 });
  }
  // Epoch 4's grid is left from a run that rolled back to epoch 3: not a frame.
  equal(await writeProgressGif(dir, 3), 3);
  const gif = decodeGif(await Deno.readFile(join(dir, PROGRESS_GIF)));
  equal(gif.frames.length, 3);
  deepEqual(gif.frames.map((f) => f.delay), [250, 250, 1500]);
  for (const [i, frame] of gif.frames.entries()) {
    // The grid at half size: each 2×2 block of the doubled pixels is one pixel again.
    const png = decode(await Deno.readFile(join(dir, epochGridName(i + 1))));
    deepEqual([gif.width, gif.height], [png.width / 2, png.height / 2]);
    const grey = greyOf(frame.rgba);
    for (let y = 0; y < gif.height; y++) {
      for (let x = 0; x < gif.width; x++) {
        equal(grey[y * gif.width + x], png.data[2 * y * png.width + 2 * x], `epoch ${i + 1}`);
      }
    }
  }
  // A missing grid and one of another size are left out; the epoch's own is needed.
  await Deno.remove(join(dir, epochGridName(2)));
  await writePngGrid(join(dir, epochGridName(1)), epochImages(1), { scale: 1 });
  equal(await writeProgressGif(dir, 4), 2);
  equal(decodeGif(await Deno.readFile(join(dir, PROGRESS_GIF))).frames.length, 2);
  await assertRejects(() => writeProgressGif(dir, 5), RangeError, "no grid of epoch 5");
  deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp")),
    [],
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeGif writes the encoded GIF atomically", async () => {
  const dir = await Deno.makeTempDir();
  const frames = [greyFrame(5, 5, 1), greyFrame(5, 5, 2)];
  await writeGif(join(dir, "a.gif"), frames, { bounce: true });
  deepEqual(await Deno.readFile(join(dir, "a.gif")), encodeGif(frames, { bounce: true }));
  deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.gif"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeProgressGif keeps at most 100 frames: evenly spaced epochs, the first and the last", async () => {
  const dir = await Deno.makeTempDir();
  for (let epoch = 1; epoch <= 250; epoch++) {
    await writePngGrid(join(dir, epochGridName(epoch)), epochImages(epoch), { scale: 2 });
  }
  equal(await writeProgressGif(dir, 100), 100);
  equal(await writeProgressGif(dir, 250), 100);
  const frames = decodeGif(await Deno.readFile(join(dir, PROGRESS_GIF))).frames.map((f) =>
    greyOf(f.rgba)
  );
  // Each image of a grid is flat at a level that tells its epoch.
  const png = (epoch: number) => decode(Deno.readFileSync(join(dir, epochGridName(epoch))));
  const level = (epoch: number) => png(epoch).data[2 * png(epoch).width + 2];
  equal(frames[0][1 * 15 + 1], level(1));
  equal(frames[99][1 * 15 + 1], level(250));
  await Deno.remove(dir, { recursive: true });
});
