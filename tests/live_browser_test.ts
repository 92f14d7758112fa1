/**
 * The live view's control in headless Chromium, beyond loopback: the page takes the token from
 * its URL (and drops it from the address bar), keeps it over a reload and sends it with every
 * control message; a page without it watches only.
 *
 * Without Chromium the test is skipped with a message, unless `GAN_BROWSER_TESTS=required`.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { LiveTraining } from "../src/serve/live.ts";
import { startServer } from "../src/serve/server.ts";
import { findChromium, inPage, NO_CHROMIUM, openPage, until } from "../tools/headless.ts";

const executablePath = findChromium();
const required = Deno.env.get("GAN_BROWSER_TESTS") === "required";
if (!executablePath && !required) console.log(`browser tests skipped: ${NO_CHROMIUM}`);

/** Waits until the live view shows `state`. */
const showsState = (page: Page, state: string) =>
  until(page, `document.getElementById("live-view").dataset.state === ${JSON.stringify(state)}`);

Deno.test({
  name: "the live view sends the token of a server beyond loopback, and watches only without it",
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
      deepEqual(errors, []);
    } finally {
      await server.shutdown();
      live.close();
      await browser.close();
    }
  },
});
