/**
 * Style-based and progressive generators in the web page's explorer, in headless Chromium
 * (Debian's, driven by playwright-core). Small untrained `stylegan`, `cstylegan` and `progan`
 * generators are made here (their noise strengths set above the untrained 0, so that the noise
 * shows; ProGAN's progress set to the middle of its last fade-in), saved with `saveModel`, and
 * loaded by the page with stock tf.js on WebGL, their layer classes registered by the library
 * core. The page's images for its own z (and for StyleGAN: ψ = 1 and 0.7, each style-mixing
 * range, a resampled noise seed) are compared with Deno's, computed on the WASM backend from the
 * same models, to 1e-4: at ψ = 1 by the model's own `predict`, otherwise from the layer's
 * mapping and synthesis with the truncation and the mixing done here, each digit truncated
 * towards its own mean w. Each comparison is shown able to fail (another noise seed, another ψ,
 * another range, another digit's mean, another growth phase).
 *
 * Without Chromium the test is skipped with a message, unless `GAN_BROWSER_TESTS=required`.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { chromium, type Page } from "playwright-core";
import { selectBackend } from "../src/backend/select.ts";
import { saveModel } from "../src/io/model_files.ts";
import { createGenerator } from "../src/models/create.ts";
import type { ProGANGenerator } from "../src/models/style/progan.ts";
import { StyleGANGenerator } from "../src/models/style/stylegan.ts";
import { type GanServer, startServer } from "../src/serve/server.ts";
import type { LayersModel } from "../src/tf_types.ts";
import {
  findChromium,
  gridImages,
  inPage,
  NO_CHROMIUM,
  openPage,
  until,
} from "../tools/headless.ts";

const executablePath = findChromium();
const required = Deno.env.get("GAN_BROWSER_TESTS") === "required";
if (!executablePath && !required) {
  console.log(`style browser tests skipped: ${NO_CHROMIUM}`);
}

const LATENT = 8, STYLE = 8, CLASSES = 10, SIZE = 784, COUNT = 64;
const SMALL = {
  hiddenUnits: [8, 4, 2],
  latentDim: LATENT,
  styleDim: STYLE,
  mappingLayers: 2,
  seed: 1,
};
/** Float tolerance between WebGL in the page and WASM here. */
const CLOSE = 1e-4;
/** Far enough apart that a comparison at {@linkcode CLOSE} would fail. */
const APART = 1e-2;
/** A pixel read back from a canvas: within half a step of 8 bits. */
const BYTE = 0.5 / 127.5 + 1e-6;
/** The mixing grid: 4 A rows, 4 B columns, and a row and a column of sources. */
const MIX = 4;
/**
 * Which ws each range of channels [8, 4, 2] (7×7, 14×14, 28×28) owns (`wsByResolution`): a
 * resolution's convolutions (one at 7, two above), and the last toRGB's w with the finest.
 */
const RANGES: Record<string, number[]> = { coarse: [0], middle: [1, 2], fine: [3, 4, 5] };

function styleLayer(model: LayersModel): StyleGANGenerator | undefined {
  return model.layers.find((layer) => layer instanceof StyleGANGenerator) as
    | StyleGANGenerator
    | undefined;
}

/** Untrained noise strengths are 0: give them a value, so that the noise changes the image. */
function setNoiseStrengths(model: LayersModel, value: number): void {
  for (const variable of model.weights) {
    if (variable.name.endsWith("_strength")) variable.write(tf.tensor1d([value]));
  }
}

function oneHot(labels: number[]): tf.Tensor2D {
  const rows = new Float32Array(labels.length * CLASSES);
  labels.forEach((label, i) => (rows[i * CLASSES + label] = 1));
  return tf.tensor2d(rows, [labels.length, CLASSES]);
}

/** The largest difference, skipping what `expected` marks NaN (the mixing grid's corner). */
function maxDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  equal(actual.length, expected.length, "the images differ in size");
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) continue;
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  return worst;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const diff = maxDiff(actual, expected);
  ok(diff <= CLOSE, `${what}: the page's images differ from Deno's by up to ${diff}`);
}

function apart(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const diff = maxDiff(a, b);
  ok(diff > APART, `${what}: the images differ only by ${diff}`);
}

/** Deno's images from the model's own `predict` (ψ = 1), with the layer's noise seed set. */
function predicted(model: LayersModel, z: Float32Array, labels: number[] | null, noiseSeed = 0) {
  const layer = styleLayer(model);
  if (layer) layer.noiseSeed = noiseSeed;
  const out = tf.tidy(() => {
    const zs = tf.tensor2d(z, [z.length / LATENT, LATENT]);
    // One batch: the noise maps are drawn per batch (predict's default is batches of 32).
    const batchSize = zs.shape[0];
    return model.predict(labels ? [zs, oneHot(labels)] : zs, { batchSize }) as tf.Tensor;
  });
  const pixels = out.dataSync() as Float32Array;
  out.dispose();
  return pixels.slice();
}

/** The mean w of 10,000 mapped z (seed 0), of all samples or of each digit's. */
function averages(layer: StyleGANGenerator, classes: number): Float32Array[] {
  const measure = (label?: tf.Tensor2D) => {
    const mean = layer.averageW(10_000, 0, label);
    const values = mean.dataSync() as Float32Array;
    mean.dispose();
    label?.dispose();
    return values.slice();
  };
  if (!classes) return [measure()];
  return Array.from({ length: classes }, (_, c) => measure(oneHot([c])));
}

/** w per sample, `(n, styleDim)` row by row: mapped, then `w̄ + ψ·(w − w̄)`, w̄ its digit's mean. */
function stylesOf(
  layer: StyleGANGenerator,
  z: Float32Array,
  labels: number[] | null,
  psi: number,
  means: Float32Array[],
): Float32Array {
  const n = z.length / LATENT;
  const w = tf.tidy(() =>
    layer.mapping(tf.tensor2d(z, [n, LATENT]), labels ? oneHot(labels) : undefined)
  );
  const values = (w.dataSync() as Float32Array).slice();
  w.dispose();
  for (let i = 0; i < n; i++) {
    const mean = means[labels ? labels[i] : 0];
    for (let j = 0; j < STYLE; j++) {
      values[i * STYLE + j] = mean[j] + psi * (values[i * STYLE + j] - mean[j]);
    }
  }
  return values;
}

/** Images from one w per layer: `ws` is `(n, numWs, styleDim)` row by row. */
function synthesised(layer: StyleGANGenerator, ws: Float32Array, noiseSeed: number) {
  layer.noiseSeed = noiseSeed;
  const n = ws.length / (layer.numWs * STYLE);
  const out = tf.tidy(() =>
    tf.clipByValue(layer.synthesis(tf.tensor3d(ws, [n, layer.numWs, STYLE])), -1, 1)
  );
  const pixels = (out.dataSync() as Float32Array).slice();
  out.dispose();
  return pixels;
}

/** The same w in every layer: `(n, styleDim)` → `(n, numWs, styleDim)`. */
function everyLayer(layer: StyleGANGenerator, w: Float32Array): Float32Array {
  const n = w.length / STYLE;
  const ws = new Float32Array(n * layer.numWs * STYLE);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < layer.numWs; k++) {
      ws.set(w.subarray(i * STYLE, (i + 1) * STYLE), (i * layer.numWs + k) * STYLE);
    }
  }
  return ws;
}

/** Deno's images of a style-based generator for z, labels, ψ and a noise seed. */
function truncated(
  layer: StyleGANGenerator,
  z: Float32Array,
  labels: number[] | null,
  psi: number,
  means: Float32Array[],
  noiseSeed: number,
): Float32Array {
  return synthesised(layer, everyLayer(layer, stylesOf(layer, z, labels, psi, means)), noiseSeed);
}

/**
 * StyleGAN's mixing figure as the page lays it out, 5 × 5 cells: the corner empty (NaN), B (the
 * grid's samples 5–8) along the top, A (samples 1–4) down the side, and in each cell A's ws
 * with those of `range` taken from B.
 */
function mixingGrid(
  layer: StyleGANGenerator,
  z: Float32Array,
  labelOf: ((i: number) => number) | null,
  psi: number,
  means: Float32Array[],
  noiseSeed: number,
  range: string,
): Float32Array {
  const labels = (from: number) =>
    labelOf ? Array.from({ length: MIX }, (_, i) => labelOf(from + i)) : null;
  const wA = stylesOf(layer, z.slice(0, MIX * LATENT), labels(0), psi, means);
  const wB = stylesOf(layer, z.slice(MIX * LATENT, 2 * MIX * LATENT), labels(MIX), psi, means);
  const fromB = new Set(RANGES[range]);
  const numWs = layer.numWs;
  const mixed = new Float32Array(MIX * MIX * numWs * STYLE);
  for (let r = 0; r < MIX; r++) {
    for (let c = 0; c < MIX; c++) {
      for (let k = 0; k < numWs; k++) {
        const source = fromB.has(k) ? wB.subarray(c * STYLE) : wA.subarray(r * STYLE);
        mixed.set(source.subarray(0, STYLE), ((r * MIX + c) * numWs + k) * STYLE);
      }
    }
  }
  const sourcesB = synthesised(layer, everyLayer(layer, wB), noiseSeed);
  const sourcesA = synthesised(layer, everyLayer(layer, wA), noiseSeed);
  const mixes = synthesised(layer, mixed, noiseSeed);
  const grid = new Float32Array((MIX + 1) * (MIX + 1) * SIZE);
  grid.fill(NaN, 0, SIZE);
  for (let c = 0; c < MIX; c++) {
    grid.set(sourcesB.subarray(c * SIZE, (c + 1) * SIZE), (1 + c) * SIZE);
  }
  for (let r = 0; r < MIX; r++) {
    const row = (r + 1) * (MIX + 1);
    grid.set(sourcesA.subarray(r * SIZE, (r + 1) * SIZE), row * SIZE);
    for (let c = 0; c < MIX; c++) {
      const at = (r * MIX + c) * SIZE;
      grid.set(mixes.subarray(at, at + SIZE), (row + 1 + c) * SIZE);
    }
  }
  return grid;
}

/** A Float32Array of the page's, by expression (`ganExplorer.pixels`). */
async function floats(page: Page, expression: string): Promise<Float32Array> {
  return Float32Array.from(await inPage<number[]>(page, `Array.from(${expression})`));
}

/** A canvas drawn without padding (one image), in [-1, 1]. */
async function canvasPixels(page: Page, selector: string): Promise<Float32Array> {
  const bytes = await inPage<number[]>(
    page,
    `(() => {
      const canvas = document.querySelector(${JSON.stringify(selector)});
      const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      return Array.from(image.data.filter((_, i) => i % 4 === 0));
    })()`,
  );
  return Float32Array.from(bytes, (v) => v / 127.5 - 1);
}

/** The page's grid once it has been drawn for ψ and the noise seed. */
async function pageGrid(page: Page, psi: string, noiseSeed: string): Promise<Float32Array> {
  await until(
    page,
    `document.getElementById("grid").dataset.psi === "${psi}" && ` +
      `document.getElementById("grid").dataset.noiseSeed === "${noiseSeed}"`,
  );
  return floats(page, "ganExplorer.pixels");
}

/**
 * The page's mixing grid once it has been drawn for the range, ψ, the noise seed and the digits
 * ("" for an unconditional generator, "mixed" or the digit picked).
 */
async function pageMixing(
  page: Page,
  range: string,
  psi: string,
  noiseSeed: string,
  labels = "",
): Promise<Float32Array> {
  const canvas = `document.getElementById("mix-grid").dataset`;
  await until(
    page,
    `${canvas}.range === "${range}" && ${canvas}.psi === "${psi}" && ` +
      `${canvas}.noiseSeed === "${noiseSeed}" && ${canvas}.labels === "${labels}"`,
  );
  return floats(page, "ganExplorer.mixPixels");
}

const text = (page: Page, selector: string) => page.textContent(selector).then((t) => t ?? "");

Deno.test({
  name: "style-based and progressive generators in the explorer draw what Deno draws",
  ignore: !executablePath && !required,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!executablePath) {
      throw new Error("GAN_BROWSER_TESTS=required, but chromium is not on the PATH");
    }
    await selectBackend("wasm", { threads: 1 });
    const root = await Deno.makeTempDir();
    const stylegan = createGenerator({ preset: "stylegan", ...SMALL });
    const cstylegan = createGenerator({ preset: "cstylegan", ...SMALL });
    const progan = createGenerator({
      preset: "progan",
      // Pixel norm over 2 channels is ill-conditioned where both are near 0: WebGL and WASM
      // then part by up to 1e-4 (8 channels: 5e-6).
      hiddenUnits: [8, 8, 8],
      latentDim: 8,
      seed: 1,
    });
    setNoiseStrengths(stylegan, 0.25);
    setNoiseStrengths(cstylegan, 0.25);
    // Half-way through fading in 28×28 (60,000 images per phase): the progress the file keeps.
    const grower = progan.layers[0] as ProGANGenerator;
    grower.setImagesSeen(210_000);
    for (const [name, model] of Object.entries({ stylegan, cstylegan, progan })) {
      await saveModel(model, join(root, name), {
        metadata: { ganMnist: { role: "generator", preset: name } },
      });
    }
    const layer = styleLayer(stylegan)!, conditional = styleLayer(cstylegan)!;
    const browser = await chromium.launch({ executablePath, headless: true });
    const errors: string[] = [];
    const server: GanServer = await startServer({ port: 0, root, model: "stylegan/model.json" });
    try {
      const page = await openPage(browser, server.url, errors);
      await until(page, `document.getElementById("explore").dataset.ready === "true"`);
      const z = await floats(page, "ganExplorer.z");
      equal(z.length, COUNT * LATENT);
      const means = averages(layer, 0);
      let plain: Float32Array = new Float32Array();
      let noiseSeed = "0";

      await t.step("the style controls show for a StyleGAN, with their defaults", async () => {
        ok((await text(page, "#model-info")).includes("stylegan"));
        for (const id of ["style-controls", "style-mixing"]) {
          equal(await inPage(page, `document.getElementById("${id}").hidden`), false, id);
        }
        equal(await inPage(page, `document.getElementById("truncation").value`), "1");
        equal(await text(page, "#truncation-value"), "1.00");
        equal(await inPage(page, `document.getElementById("mix-range").value`), "coarse");
        ok(
          (await inPage(page, `document.getElementById("truncation").labels[0].textContent`))
            ?.includes("truncation ψ"),
        );
        equal(
          await inPage(page, `document.getElementById("mix-range").getAttribute("aria-label")`),
          "Styles taken from B",
        );
        deepEqual(
          await inPage<string[]>(
            page,
            `[...document.getElementById("mix-range").options].map((o) => o.textContent)`,
          ),
          [
            "coarse styles from B (7×7)",
            "middle styles from B (14×14)",
            "fine styles from B (28×28)",
          ],
        );
        equal(await text(page, "#resample-noise"), "Resample noise");
        ok(
          (await inPage(page, `document.getElementById("mix-grid").getAttribute("aria-label")`))
            ?.startsWith("Style mixing: rows: samples 1–4 (A)"),
        );
        const invalid = await inPage<string[]>(
          page,
          `[...document.querySelectorAll("#explore input, #explore select")]
            .filter((control) => !control.checkValidity()).map((control) => control.id)`,
        );
        deepEqual(invalid, []);
      });

      await t.step("ψ = 1: the grid, the chosen sample and the mixing are Deno's", async () => {
        plain = await pageGrid(page, "1", "0");
        close(plain, predicted(stylegan, z, null), "grid");
        apart(plain, predicted(stylegan, z, null, 1), "grid with another noise seed");
        // What reaches the canvas is these pixels, to a byte.
        const drawn = await gridImages(page, "#grid", COUNT);
        ok(maxDiff(drawn.pixels, plain) <= BYTE, "the canvas is not the pixels");
        await until(
          page,
          `document.getElementById("focus").dataset.offsets?.endsWith(":0,0,0,0,0,0")`,
        );
        // The chosen sample, drawn alone (sample 1: its noise is its grid cell's, the first).
        const focus = await canvasPixels(page, "#focus");
        const alone = predicted(stylegan, z.slice(0, LATENT), null);
        ok(maxDiff(focus, alone) <= BYTE, "the chosen sample is not Deno's");
        ok(maxDiff(alone, plain.subarray(0, SIZE)) <= CLOSE, "sample 1 alone is not its cell");
        const mixing = await pageMixing(page, "coarse", "1", "0");
        close(mixing, mixingGrid(layer, z, null, 1, means, 0, "coarse"), "mixing, coarse");
      });

      await t.step("the truncation slider pulls every w towards the mean w", async () => {
        await page.locator("#truncation").fill("0.7");
        equal(await text(page, "#truncation-value"), "0.70");
        const grid = await pageGrid(page, "0.7", "0");
        close(grid, truncated(layer, z, null, 0.7, means, 0), "grid at ψ = 0.7");
        apart(grid, plain, "ψ = 0.7 and ψ = 1");
        apart(grid, truncated(layer, z, null, 0.5, means, 0), "ψ = 0.7 and ψ = 0.5");
        const mixing = await pageMixing(page, "coarse", "0.7", "0");
        close(mixing, mixingGrid(layer, z, null, 0.7, means, 0, "coarse"), "mixing at ψ = 0.7");
      });

      await t.step("the mixing grid takes the chosen range of styles from B", async () => {
        let before = await floats(page, "ganExplorer.mixPixels");
        for (const range of ["middle", "fine"]) {
          await page.selectOption("#mix-range", range);
          const mixing = await pageMixing(page, range, "0.7", "0");
          close(mixing, mixingGrid(layer, z, null, 0.7, means, 0, range), `mixing, ${range}`);
          apart(mixing, before, `${range} and the range before`);
          ok((await text(page, "#mix-caption")).includes(`B's ${range} styles`));
          before = mixing;
        }
      });

      await t.step("resample noise: new noise maps on the same ws", async () => {
        const before = await floats(page, "ganExplorer.pixels");
        await page.click("#resample-noise");
        await until(page, `document.getElementById("grid").dataset.noiseSeed !== "0"`);
        noiseSeed = (await inPage(page, `document.getElementById("grid").dataset.noiseSeed`))!;
        const grid = await pageGrid(page, "0.7", noiseSeed);
        close(grid, truncated(layer, z, null, 0.7, means, Number(noiseSeed)), "grid, new noise");
        apart(grid, before, "the new noise and the old");
        const mixing = await pageMixing(page, "fine", "0.7", noiseSeed);
        close(mixing, mixingGrid(layer, z, null, 0.7, means, Number(noiseSeed), "fine"), "mixing");
        equal(await inPage(page, `document.getElementById("truncation").value`), "0.7");
      });

      await t.step("the latent sliders still move the chosen sample, truncated", async () => {
        await page.selectOption("#direction-kind", "dims");
        await page.locator('#sliders input[data-index="0"]').fill("3");
        await until(
          page,
          `document.getElementById("focus").dataset.offsets === "dims:3,0,0,0,0,0"`,
        );
        const moved = z.slice(0, LATENT);
        moved[0] += 3;
        const expected = truncated(layer, moved, null, 0.7, means, Number(noiseSeed));
        const focus = await canvasPixels(page, "#focus");
        ok(maxDiff(focus, expected) <= BYTE, "the moved sample is not Deno's");
        apart(
          focus,
          truncated(layer, z.slice(0, LATENT), null, 0.7, means, Number(noiseSeed)),
          "z[0] + 3",
        );
        await page.click("#reset-sliders");
        await page.selectOption("#direction-kind", "pca");
      });

      await t.step(
        "a conditional StyleGAN: each digit truncated towards its own mean",
        async () => {
          await page.evaluate(`ganExplorer.loadUrl("/files/cstylegan/model.json", "cstylegan")`);
          await until(
            page,
            `document.getElementById("model-info").textContent.includes("cstylegan")`,
          );
          const digitMeans = averages(conditional, CLASSES);
          const mixedDigits = Array.from({ length: COUNT }, (_, i) => i % CLASSES);
          const seed = Number(noiseSeed);
          const grid = await pageGrid(page, "0.7", noiseSeed);
          close(
            grid,
            truncated(conditional, z, mixedDigits, 0.7, digitMeans, seed),
            "mixed digits",
          );
          const shifted = [...digitMeans.slice(1), digitMeans[0]];
          apart(grid, truncated(conditional, z, mixedDigits, 0.7, shifted, seed), "another's mean");
          // A's samples are digits 0–3, B's 4–7: each source truncated towards its own digit's mean.
          close(
            await pageMixing(page, "fine", "0.7", noiseSeed, "mixed"),
            mixingGrid(conditional, z, (i) => i % CLASSES, 0.7, digitMeans, seed, "fine"),
            "mixing of mixed digits",
          );
          await page.click('#digit-buttons [data-digit="3"]');
          await until(page, `document.getElementById("grid").dataset.labels === "3"`);
          const threes = await pageGrid(page, "0.7", noiseSeed);
          const allThree = Array.from({ length: COUNT }, () => 3);
          close(threes, truncated(conditional, z, allThree, 0.7, digitMeans, seed), "digit 3");
          const mixing = await pageMixing(page, "fine", "0.7", noiseSeed, "3");
          close(
            mixing,
            mixingGrid(conditional, z, () => 3, 0.7, digitMeans, seed, "fine"),
            "mixing of threes",
          );
          await page.click('#digit-buttons [data-digit="mixed"]');
        },
      );

      await t.step(
        "a ProGAN loads and draws Deno's images, without the style controls",
        async () => {
          await page.evaluate(`ganExplorer.loadUrl("/files/progan/model.json", "progan")`);
          await until(page, `document.getElementById("model-info").textContent.includes("progan")`);
          await until(page, `document.getElementById("grid").dataset.psi === ""`);
          for (const id of ["style-controls", "style-mixing"]) {
            equal(await inPage(page, `document.getElementById("${id}").hidden`), true, id);
          }
          const grid = await floats(page, "ganExplorer.pixels");
          close(grid, predicted(progan, z, null), "progan");
          grower.setImagesSeen(0);
          apart(grid, predicted(progan, z, null), "progan at 7×7");
          grower.setImagesSeen(210_000);
        },
      );
      await page.close();

      await t.step("a phone's width: the style cards fit the screen", async () => {
        const phone = await openPage(browser, server.url, errors, 390, 844);
        await until(phone, `document.getElementById("explore").dataset.ready === "true"`);
        equal(await inPage(phone, `document.getElementById("style-mixing").hidden`), false);
        const overflow = await inPage<number>(
          phone,
          "document.documentElement.scrollWidth - innerWidth",
        );
        ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
        await phone.close();
      });

      await t.step("no console errors", () => {
        deepEqual(errors, []);
      });
    } finally {
      await server.shutdown();
      await browser.close();
    }
  },
});
