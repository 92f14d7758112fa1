/**
 * The web interface in a real browser: Debian's Chromium, headless, driven by playwright-core.
 * The page must load without console errors, draw a non-blank grid with stock tf.js from our
 * model files, change the chosen sample when a slider moves, draw the digit the picker asks for
 * (read back from the canvas and judged by the built-in evaluator's classifier), follow a short
 * training run live (pause, resume, stop from the page), train in the tab with the library core,
 * and fit a phone's width. The explorer is checked on a stand-in generator built here (not a
 * trained GAN), the live view on a run of 20 steps: the screenshots in `docs/`, of real trained
 * models, come from `deno task screenshots` (`tools/screenshots.ts`), not from this test.
 *
 * Without Chromium the test is skipped with a message, unless `GAN_BROWSER_TESTS=required`
 * (set by `.ci/run`), where it fails.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { chromium } from "playwright-core";
import { selectBackend } from "../src/backend/select.ts";
import { loadMnist } from "../src/data/mnist.ts";
import { classifyImages, loadClassifier } from "../src/eval/classifier.ts";
import { saveModel } from "../src/io/model_files.ts";
import { LiveTraining } from "../src/serve/live.ts";
import { type GanServer, startServer } from "../src/serve/server.ts";
import { trainRun } from "../src/train/run/mod.ts";
import type { LayersModel } from "../src/tf_types.ts";
import {
  dataOf,
  findChromium,
  gridImages,
  inPage,
  NO_CHROMIUM,
  openPage,
  type PageImages,
  until,
} from "../tools/headless.ts";

const executablePath = findChromium();
const required = Deno.env.get("GAN_BROWSER_TESTS") === "required";
if (!executablePath && !required) {
  console.log(`browser tests skipped: ${NO_CHROMIUM}`);
}

/**
 * A conditional generator made, not trained: z and the one-hot digit choose (softmax) among six
 * real test digits of that class, which the last Dense layer holds as its weights. Its samples
 * are blends of real digits of the asked class, so that what the tests check is the page
 * (labels reaching the model, pixels reaching the canvas), not how well some GAN trained.
 */
async function standInGenerator(): Promise<LayersModel> {
  const perClass = 6, latentDim = 16, classes = 10;
  const digits = await loadMnist({ split: "test", limit: 1000 });
  const { probabilities } = await classifyImages(await loadClassifier(), digits);
  const chosen: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < digits.count; i++) {
    const label = digits.labels![i];
    if (probabilities[i * classes + label] > 0.99 && chosen[label].length < perClass) {
      chosen[label].push(i);
    }
  }
  const units = perClass * classes;
  const z = tfl.input({ shape: [latentDim], name: "z" });
  const label = tfl.input({ shape: [classes], name: "digit" });
  const joined = tfl.layers.concatenate().apply([z, label]) as tfl.SymbolicTensor;
  const choose = tfl.layers.dense({ units, useBias: false, activation: "softmax", name: "choose" })
    .apply(joined) as tfl.SymbolicTensor;
  const blend = tfl.layers.dense({ units: 784, useBias: false, name: "digits" })
    .apply(choose) as tfl.SymbolicTensor;
  const images = tfl.layers.reshape({ targetShape: [28, 28, 1] }).apply(
    blend,
  ) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: [z, label], outputs: images });
  const chooser = new Float32Array((latentDim + classes) * units);
  let seed = 7;
  const uniform = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < latentDim * units; i++) {
    chooser[i] = 0.7 * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  for (let c = 0; c < classes; c++) {
    for (let u = 0; u < units; u++) {
      chooser[(latentDim + c) * units + u] = Math.floor(u / perClass) === c ? 0 : -40;
    }
  }
  const exemplars = new Float32Array(units * 784);
  for (let c = 0; c < classes; c++) {
    chosen[c].forEach((index, k) => {
      exemplars.set(
        digits.pixels.subarray(index * 784, (index + 1) * 784),
        (c * perClass + k) * 784,
      );
    });
  }
  model.setWeights([
    tf.tensor2d(chooser, [latentDim + classes, units]),
    tf.tensor2d(exemplars, [units, 784]),
  ]);
  return model;
}

async function classesOf(images: PageImages): Promise<number[]> {
  const { probabilities } = await classifyImages(await loadClassifier(), images);
  return Array.from({ length: images.count }, (_, i) => {
    const p = [...probabilities.subarray(i * 10, i * 10 + 10)];
    return p.indexOf(Math.max(...p));
  });
}

const std = (values: ArrayLike<number>) => {
  let sum = 0, squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    squares += values[i] * values[i];
  }
  const mean = sum / values.length;
  return Math.sqrt(squares / values.length - mean * mean);
};

Deno.test({
  name: "the web interface in headless Chromium: explorer, live view, training in the tab",
  ignore: !executablePath && !required,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!executablePath) {
      throw new Error("GAN_BROWSER_TESTS=required, but chromium is not on the PATH");
    }
    await selectBackend("wasm", { threads: 1 });
    const browser = await chromium.launch({ executablePath, headless: true });
    const errors: string[] = [];
    try {
      const modelDir = await Deno.makeTempDir();
      const standIn = await standInGenerator();
      await saveModel(standIn, join(modelDir, "generator"), {
        metadata: { ganMnist: { role: "generator", preset: "stand-in (blends of real digits)" } },
      });
      standIn.dispose();
      let server: GanServer = await startServer({
        port: 0,
        root: modelDir,
        model: "generator/model.json",
      });
      try {
        const page = await openPage(browser, server.url, errors);

        await t.step(
          "the explorer draws a non-blank grid with stock tf.js from our files",
          async () => {
            await until(page, `document.getElementById("explore").dataset.ready === "true"`);
            const grid = await gridImages(page, "#grid", 64);
            ok(std(grid.pixels) > 0.3, "the grid is blank");
            for (let n = 0; n < 64; n++) {
              ok(std(grid.pixels.subarray(n * 784, (n + 1) * 784)) > 0.2, `sample ${n} is blank`);
            }
            const info = await page.textContent("#model-info");
            ok(info?.includes("conditional, 10 classes"), info ?? "");
            ok((await page.textContent("#backend"))?.includes("webgl"));
          },
        );

        await t.step(
          "every control of the page is valid with the values it starts with",
          async () => {
            const invalid = await inPage<string[]>(
              page,
              `[...document.querySelectorAll("input, select")]
              .filter((control) => !control.checkValidity())
              .map((control) => (control.name || control.id || control.dataset.index) + ": " +
                control.validationMessage)`,
            );
            deepEqual(invalid, []);
            ok(
              await inPage<boolean>(page, `document.getElementById("train-form").checkValidity()`),
            );
          },
        );

        await t.step(
          "the explorer's own controls, as the page starts, change the image",
          async () => {
            // A slider moved with the keyboard (its End key: no value typed in), then put back.
            await until(
              page,
              `document.getElementById("focus").dataset.offsets?.endsWith(":0,0,0,0,0,0")`,
            );
            const before = await gridImages(page, "#focus", 1, 1);
            await page.focus('#sliders input[data-index="0"]');
            await page.keyboard.press("End");
            await until(
              page,
              `document.getElementById("focus").dataset.offsets.endsWith(":3,0,0,0,0,0")`,
            );
            const moved = await gridImages(page, "#focus", 1, 1);
            const changed = moved.pixels.filter((v, i) => Math.abs(v - before.pixels[i]) > 0.25);
            ok(changed.length >= 20, `the slider changed only ${changed.length} pixels`);
            await page.click("#reset-sliders");
            await until(
              page,
              `document.getElementById("focus").dataset.offsets.endsWith(":0,0,0,0,0,0")`,
            );
            const reset = await gridImages(page, "#focus", 1, 1);
            const off = reset.pixels.filter((v, i) => Math.abs(v - before.pixels[i]) > 0.05);
            equal(off.length, 0, "reset did not put the sample back");
            // "a click picks the interpolation's end": a click on another sample changes the strip.
            const strip = await gridImages(page, "#interp-strip", 8, 8);
            await page.click('[data-click-sets="b"]');
            const box = (await page.locator("#grid").boundingBox())!;
            const at = (column: number) => (2 + 30 * column + 14) * box.width / 242;
            await page.click("#grid", { position: { x: at(5), y: at(6) } });
            await until(
              page,
              `document.getElementById("interp-caption").textContent.endsWith("sample ${
                6 * 8 + 6
              }")`,
            );
            const ended = await gridImages(page, "#interp-strip", 8, 8);
            ok(
              std(ended.pixels.map((v, i) => v - strip.pixels[i])) > 0.05,
              "the strip is the same",
            );
            await page.click('[data-click-sets="a"]');
            // Pause stops the playing interpolation, Play starts it again.
            await page.click("#interp-toggle");
            equal(await page.textContent("#interp-toggle"), "Play");
            await new Promise((resolve) => setTimeout(resolve, 200));
            const still = await gridImages(page, "#interp-play", 1, 1);
            await new Promise((resolve) => setTimeout(resolve, 400));
            const later = await gridImages(page, "#interp-play", 1, 1);
            deepEqual([...later.pixels], [...still.pixels], "the paused interpolation still plays");
            await page.click("#interp-toggle");
            equal(await page.textContent("#interp-toggle"), "Pause");
          },
        );

        await t.step("moving a slider changes the chosen sample", async () => {
          // The middle of sample 10 (row 2, column 2): 2 + 30 + 14 canvas pixels from the corner.
          const box = (await page.locator("#grid").boundingBox())!;
          const at = 46 * box.width / 242;
          await page.click("#grid", { position: { x: at, y: at } });
          await until(
            page,
            `document.getElementById("focus-caption").textContent.startsWith("sample 10")`,
          );
          const before = await gridImages(page, "#focus", 1, 1);
          for (const kind of ["pca", "dims"]) {
            await page.selectOption("#direction-kind", kind);
            await until(
              page,
              `document.getElementById("focus").dataset.offsets === "${kind}:0,0,0,0,0,0"`,
            );
            await page.locator('#sliders input[data-index="0"]').fill("3");
            await until(
              page,
              `document.getElementById("focus").dataset.offsets === "${kind}:3,0,0,0,0,0"`,
            );
            const after = await gridImages(page, "#focus", 1, 1);
            let changed = 0;
            for (let i = 0; i < 784; i++) {
              changed += Math.abs(after.pixels[i] - before.pixels[i]) > 0.25 ? 1 : 0;
            }
            ok(changed >= 20, `${kind}: only ${changed} pixels changed`);
          }
          await page.click("#reset-sliders");
        });

        await t.step(
          "the digit picker: the built-in evaluator reads the digit asked for",
          async () => {
            for (const digit of [3, 7]) {
              await page.click(`#digit-buttons [data-digit="${digit}"]`);
              await until(page, `document.getElementById("grid").dataset.labels === "${digit}"`);
              const classes = await classesOf(await gridImages(page, "#grid", 64));
              const hits = classes.filter((c) => c === digit).length;
              ok(
                hits >= 60,
                `digit ${digit}: ${hits} of 64 read as ${digit} (${classes.join("")})`,
              );
            }
            await page.click('#digit-buttons [data-digit="mixed"]');
            await until(page, `document.getElementById("grid").dataset.labels === "mixed"`);
            const mixed = await classesOf(await gridImages(page, "#grid", 64));
            ok(new Set(mixed).size >= 9, `mixed: ${mixed.join("")}`);
          },
        );

        await t.step("new samples, the interpolation and the PNG download", async () => {
          const before = await gridImages(page, "#grid", 64);
          const renders = Number(await dataOf(page, "grid", "renders"));
          await page.click("#new-samples");
          await until(page, `Number(document.getElementById("grid").dataset.renders) > ${renders}`);
          const after = await gridImages(page, "#grid", 64);
          ok(
            std(after.pixels.map((v, i) => v - before.pixels[i])) > 0.1,
            "new samples are the old ones",
          );
          const strip = await gridImages(page, "#interp-strip", 8, 8);
          const first = strip.pixels.subarray(0, 784), last = strip.pixels.subarray(7 * 784);
          ok(std(first.map((v, i) => v - last[i])) > 0.1, "the interpolation's ends are alike");
          const [download] = await Promise.all([
            page.waitForEvent("download"),
            page.click("#download"),
          ]);
          ok(download.suggestedFilename().endsWith(".png"));
          const png = await Deno.readFile((await download.path())!);
          equal([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
        });

        await t.step("a phone's width: one column, nothing wider than the screen", async () => {
          const phone = await openPage(browser, server.url, errors, 390, 844);
          await until(phone, `document.getElementById("explore").dataset.ready === "true"`);
          const overflow = await inPage<number>(
            phone,
            "document.documentElement.scrollWidth - innerWidth",
          );
          ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
          await phone.close();
        });

        await t.step(
          "train in the tab with the page's own defaults: it starts and draws epoch 1's grid",
          async () => {
            await page.click('[role=tab][data-tab="train"]');
            await page.click("#train-start");
            await until(
              page,
              `document.getElementById("train-view").dataset.epochs === "1"`,
              600_000,
            );
            const status = await page.textContent("#train-status");
            ok(status?.startsWith("10000 digits, quick, batch 64"), status ?? "");
            const grid = await gridImages(page, '#train-view [data-role="grid-canvas"]', 64);
            ok(std(grid.pixels) > 0.05, "the tab's grid is blank");
            await page.click('#train-view [data-action="stop"]');
            await until(
              page,
              `document.getElementById("train-view").dataset.state === "stopped"`,
              120_000,
            );
          },
        );

        await t.step("train in the tab: the library core trains a GAN in the browser", async () => {
          await page.click('[role=tab][data-tab="train"]');
          await page.selectOption('select[name="preset"]', "tutorial");
          await page.fill('input[name="epochs"]', "1");
          await page.fill('input[name="images"]', "256");
          await page.click("#train-start");
          await until(
            page,
            `document.getElementById("train-view").dataset.state === "done"`,
            300_000,
          );
          equal(await dataOf(page, "train-view", "globalStep"), "8");
          const grid = await gridImages(page, '#train-view [data-role="grid-canvas"]', 64);
          ok(std(grid.pixels) > 0.05, "the tab's grid is blank");
          await page.click("#train-explore");
          await until(
            page,
            `document.getElementById("model-info").textContent.startsWith("trained in this tab")`,
          );
        });
        await page.close();
      } finally {
        await server.shutdown();
      }

      await t.step(
        "the live view follows a short training run; pause, resume and stop from the page",
        async () => {
          const out = join(await Deno.makeTempDir(), "run");
          const live = new LiveTraining();
          server = await startServer({ port: 0, root: out, model: "generator/model.json", live });
          try {
            const page = await openPage(browser, server.url, errors);
            const gate = Promise.withResolvers<void>();
            const hooks = live.hooks();
            live.start({ preset: "lite", epochs: 2, out });
            const training = trainRun({
              preset: "lite",
              epochs: 2,
              dataLimit: 640,
              seed: 1,
              out,
              evalEvery: 1,
              evalSamples: 200,
              ...hooks,
              onStep: async (info) => {
                const paused = hooks.onStep(info);
                if (info.globalStep === 5) await gate.promise;
                await paused;
              },
            });
            const liveView = (key: string) => dataOf(page, "live-view", key);
            await until(page, `document.getElementById("live-view").dataset.globalStep === "5"`);
            await page.click('#live-view [data-action="pause"]');
            await until(page, `document.getElementById("live-view").dataset.state === "paused"`);
            gate.resolve();
            // Training takes step 6 and then waits in the paused hook.
            await until(page, `document.getElementById("live-view").dataset.globalStep === "6"`);
            await new Promise((resolve) => setTimeout(resolve, 300));
            equal(live.snapshot().progress.globalStep, 6);
            equal(await liveView("globalStep"), "6");
            await page.click('#live-view [data-action="resume"]');
            const run = await training;
            live.finish(run.result.aborted);
            equal(run.result.steps, 20);
            await until(page, `document.getElementById("live-view").dataset.state === "done"`);
            equal(await liveView("globalStep"), "20");
            equal(await liveView("epochs"), "2");
            await until(
              page,
              `(() => {
              const image = document.querySelector('#live-view [data-role="grid-image"]');
              return image && image.complete && image.naturalWidth > 0;
            })()`,
            );
            const progress = await page.textContent('#live-view [data-role="progress"]');
            ok(progress?.startsWith("lite · epoch 2/2 · step 10/10"), progress ?? "");
            // Evaluation is on: the quality panel shows the evaluator's FID after each epoch.
            const quality = await page.textContent('#live-view [data-role="metrics"]');
            ok(/epoch 2.*FID ↓\s*\d/s.test(quality ?? ""), quality ?? "");
            // The explorer picked up the run's generator after its epochs.
            await until(page, `document.getElementById("model-info").textContent.includes("lite")`);
            await page.close();
          } finally {
            await server.shutdown();
          }

          const stopOut = join(await Deno.makeTempDir(), "run");
          const stopLive = new LiveTraining();
          server = await startServer({
            port: 0,
            root: stopOut,
            model: "generator/model.json",
            live: stopLive,
          });
          try {
            const page = await openPage(browser, server.url, errors);
            const gate = Promise.withResolvers<void>();
            const hooks = stopLive.hooks();
            stopLive.start({ preset: "lite", epochs: 2, out: stopOut });
            const training = trainRun({
              preset: "lite",
              epochs: 2,
              dataLimit: 640,
              seed: 1,
              out: stopOut,
              ...hooks,
              onStep: async (info) => {
                const paused = hooks.onStep(info);
                if (info.globalStep === 3) await gate.promise;
                await paused;
              },
            });
            await until(page, `document.getElementById("live-view").dataset.globalStep === "3"`);
            await page.click('#live-view [data-action="stop"]');
            await until(page, `document.getElementById("live-view").dataset.state === "stopping"`);
            gate.resolve();
            const run = await training;
            stopLive.finish(run.result.aborted);
            ok(run.result.aborted);
            equal(run.result.steps, 3);
            await until(page, `document.getElementById("live-view").dataset.state === "stopped"`);
            await page.close();
          } finally {
            await server.shutdown();
          }
        },
      );

      await t.step("no console errors on any page", () => {
        deepEqual(errors, []);
      });
    } finally {
      await browser.close();
    }
  },
});
