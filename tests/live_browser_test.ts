/**
 * The live view's control in headless Chromium, beyond loopback: the page takes the token from
 * its URL (and drops it from the address bar), keeps it over a reload and sends it with every
 * control message; a page without it watches only. Then the stepper on a tiny real run
 * (tutorial, 256 digits): the page's D, G and D + G buttons take one step each and show its part,
 * its numbers and the grid after it; slow motion plays until Pause.
 *
 * Without Chromium the test is skipped with a message, unless `GAN_BROWSER_TESTS=required`.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { selectBackend } from "../src/backend/select.ts";
import { LiveTraining } from "../src/serve/live.ts";
import { startServer } from "../src/serve/server.ts";
import { trainRun } from "../src/train/run/mod.ts";
import { findChromium, inPage, NO_CHROMIUM, openPage, until } from "../tools/headless.ts";

const executablePath = findChromium();
const required = Deno.env.get("GAN_BROWSER_TESTS") === "required";
if (!executablePath && !required) console.log(`browser tests skipped: ${NO_CHROMIUM}`);

/** Waits until the live view shows `state`. */
const showsState = (page: Page, state: string) =>
  until(page, `document.getElementById("live-view").dataset.state === ${JSON.stringify(state)}`);

/** A `data-` attribute of the live view (`stepped`, `steppedPart`, `stepGrid`, …). */
const liveData = (page: Page, key: string) =>
  inPage(page, `document.getElementById("live-view").dataset.${key}`);

/** Clicks a stepper button and waits until the page shows the step after `after`. */
async function stepFromPage(page: Page, part: string, after: number): Promise<void> {
  await page.click(`#live-view [data-step="${part}"]`);
  await until(
    page,
    `Number(document.getElementById("live-view").dataset.stepGrid) > ${after} && ` +
      `Number(document.getElementById("live-view").dataset.stepped) > ${after}`,
  );
}

/** The stepper's buttons on a tiny real run that `live` reports (the page already open). */
async function stepper(page: Page, live: LiveTraining): Promise<void> {
  await selectBackend("wasm", { threads: 1 });
  ok(
    !(await inPage<boolean>(
      page,
      `document.querySelector('#live-view [data-role="stepper"]').hidden`,
    )),
  );
  await page.click('#live-view [data-action="pause"]');
  await showsState(page, "paused");
  const out = join(await Deno.makeTempDir(), "run");
  const training = trainRun({
    preset: "tutorial",
    epochs: 1,
    dataLimit: 256,
    seed: 1,
    out,
    ...live.hooks(),
  });
  // The run takes its first step and waits after it.
  await until(page, `document.getElementById("live-view").dataset.globalStep === "1"`);
  let at = 1;
  for (const part of ["discriminator", "generator", "both"]) {
    await stepFromPage(page, part, at);
    at++;
    equal(await liveData(page, "stepped"), String(at));
    equal(await liveData(page, "steppedPart"), part);
    equal(await liveData(page, "state"), "paused");
    const text = await page.textContent('#live-view [data-role="stepped"]');
    match(
      text ?? "",
      new RegExp(
        `^step ${at} \\(${
          { discriminator: "D only", generator: "G only", both: "D \\+ G" }[part]
        }\\): loss D \\d`,
      ),
    );
    const caption = await page.textContent('#live-view [data-role="grid-caption"]');
    equal(caption, `Fixed noise after step ${at}`);
    ok(
      await inPage<boolean>(
        page,
        `(() => {
        const image = document.querySelector('#live-view [data-role="grid-image"]');
        return image.src.startsWith("data:image/png;base64,") && image.complete &&
          image.naturalWidth > 0;
      })()`,
      ),
    );
  }
  equal(live.snapshot().progress.globalStep, at, "the run took more steps than the page asked");
  // Slow motion at 10 steps a second plays until Pause.
  await page.selectOption('#live-view [data-role="slow-rate"]', "10");
  await page.selectOption('#live-view [data-role="slow-part"]', "generator");
  await page.click('#live-view [data-role="slow-play"]');
  await showsState(page, "slow");
  deepEqual(live.snapshot().slow, { part: "generator", rate: 10 });
  await until(page, `Number(document.getElementById("live-view").dataset.stepped) >= ${at + 2}`);
  equal(await liveData(page, "steppedPart"), "generator");
  await page.click('#live-view [data-action="pause"]');
  await showsState(page, "paused");
  const paused = live.snapshot().progress.globalStep;
  await new Promise((resolve) => setTimeout(resolve, 400));
  equal(live.snapshot().progress.globalStep, paused, "slow motion went on after Pause");
  await page.click('#live-view [data-action="stop"]');
  const run = await training;
  live.finish(run.result.aborted);
  ok(run.result.aborted);
  equal(run.result.steps, paused);
  await showsState(page, "stopped");
}

Deno.test({
  name:
    "the live view sends the token of a server beyond loopback, watches only without it, and steps a run",
  ignore: !executablePath && !required,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!executablePath) {
      throw new Error("GAN_BROWSER_TESTS=required, but chromium is not on the PATH");
    }
    const browser = await chromium.launch({ executablePath, headless: true });
    const live = new LiveTraining({ flushMs: 5 });
    const server = await startServer({ hostname: "0.0.0.0", port: 0, live });
    const errors: string[] = [];
    try {
      live.start({ preset: "tutorial", epochs: 1 });
      const page = await openPage(browser, server.url, errors);
      await until(page, `!document.getElementById("tab-live").hidden`);
      // The token left the address bar, and stays in this tab.
      equal(await inPage(page, "location.search"), "");
      equal(await inPage(page, `sessionStorage.getItem("gan-token")`), server.token);
      await page.click('#live-view [data-action="pause"]');
      await showsState(page, "paused");
      equal(live.state, "paused");
      await page.reload();
      await until(page, `document.body.dataset.ready === "true"`);
      await page.click('#live-view [data-action="resume"]');
      await showsState(page, "running");
      equal(live.state, "running");
      await page.close();

      // A page opened without the token watches only, and says why.
      const watcher = await openPage(browser, `http://127.0.0.1:${server.port}/`, errors);
      await until(watcher, `!document.getElementById("tab-live").hidden`);
      ok(
        await inPage<boolean>(
          watcher,
          `document.querySelector('#live-view [data-role="controls"]').hidden`,
        ),
      );
      const note = await watcher.textContent('#live-view [data-role="control-note"]');
      ok(note?.includes("?token="), note ?? "");
      await watcher.close();
      equal(live.state, "running");

      // The stepper, on a real run (the hub is running: the page pauses it first).
      const stepping = await openPage(browser, server.url, errors);
      await until(stepping, `!document.getElementById("tab-live").hidden`);
      await stepper(stepping, live);
      await stepping.close();
      deepEqual(errors, []);
    } finally {
      await server.shutdown();
      live.close();
      await browser.close();
    }
  },
});
