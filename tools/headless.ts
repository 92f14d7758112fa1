/**
 * Headless Chromium for the browser test and the screenshot script: finding the executable,
 * opening a page of the web interface, and waiting on it.
 *
 * @module
 */

import { join } from "node:path";
import type { Browser, Page } from "playwright-core";

/**
 * Chromium's executable: `$CHROMIUM`, else the first of the usual names on the PATH.
 *
 * @returns Its path, or undefined when there is none.
 */
export function findChromium(): string | undefined {
  const given = Deno.env.get("CHROMIUM");
  if (given) return given;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    for (const name of ["chromium", "chromium-browser", "google-chrome", "chrome"]) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** What to say when there is no Chromium: how to get one. */
export const NO_CHROMIUM = "no chromium on the PATH (apt-get install chromium, or set CHROMIUM)";

/**
 * Evaluates an expression in the page (as text: the page's DOM types are not Deno's).
 *
 * @param page The page.
 * @param expression A JavaScript expression.
 * @returns Its value.
 */
export function inPage<T = string | undefined>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/**
 * Waits until an expression is true in the page. Polled from here: playwright's own
 * `waitForFunction` evaluates strings with `eval`, which the page's content security policy
 * (rightly) forbids.
 *
 * @param page The page.
 * @param expression A JavaScript expression.
 * @param timeout Milliseconds to wait at most.
 */
export async function until(page: Page, expression: string, timeout = 60_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A `data-` attribute of an element, by id.
 *
 * @param page The page.
 * @param id The element's id.
 * @param key The attribute's name in camel case (`globalStep` for `data-global-step`).
 * @returns Its value.
 */
export function dataOf(page: Page, id: string, key: string): Promise<string | undefined> {
  return inPage(page, `document.getElementById(${JSON.stringify(id)}).dataset.${key}`);
}

/**
 * Opens the web interface and waits until it has started, recording console errors and
 * uncaught exceptions.
 *
 * @param browser The browser.
 * @param url The page's URL.
 * @param errors Where to record the page's errors.
 * @param width The viewport's width in CSS pixels.
 * @param height The viewport's height in CSS pixels.
 * @returns The page, ready.
 */
export async function openPage(
  browser: Browser,
  url: string,
  errors: string[],
  width = 1280,
  height = 860,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
  // A console error of a failed load does not name the resource: the response does.
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`http ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  await until(page, "document.body.dataset.ready", 120_000);
  const ready = await inPage(page, "document.body.dataset.ready");
  if (ready !== "true") {
    throw new Error(`the page at ${url} did not start: ${await page.textContent("#fatal")}`);
  }
  return page;
}

/** Grayscale images read back from a page, in the library's format (pixels in [-1, 1]). */
export interface PageImages {
  /** `count × 28 × 28` values in [-1, 1]. */
  pixels: Float32Array;
  /** How many images. */
  count: number;
  /** 28. */
  height: number;
  /** 28. */
  width: number;
  /** 1. */
  channels: number;
}

/**
 * The 28×28 images of a grid canvas of the page (2 pixels of padding around each).
 *
 * @param page The page.
 * @param selector The canvas's CSS selector.
 * @param count How many images to read, row by row.
 * @param columns The grid's columns.
 * @returns The images, in [-1, 1].
 */
export async function gridImages(
  page: Page,
  selector: string,
  count: number,
  columns = 8,
): Promise<PageImages> {
  const { width, data } = await page.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    return { width: image.width, data: Array.from(image.data) };
  })()`) as { width: number; data: number[] };
  const pixels = new Float32Array(count * 784);
  for (let n = 0; n < count; n++) {
    const x0 = 2 + (n % columns) * 30, y0 = 2 + Math.floor(n / columns) * 30;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        pixels[n * 784 + y * 28 + x] = data[((y0 + y) * width + x0 + x) * 4] / 127.5 - 1;
      }
    }
  }
  return { pixels, count, height: 28, width: 28, channels: 1 };
}
