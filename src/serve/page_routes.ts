/**
 * The routes of the page and what it loads: `/` (the HTML with its import map and content
 * security policy), `/static/NAME`, `/vendor/VERSION/NAME` (tf.js) and `/core/PATH.ts` (the
 * library core, transpiled). What they serve is found by `assets.ts`; this module answers with it.
 *
 * @module
 */

import {
  coreModules,
  importMap,
  STATIC_FILES,
  staticFile,
  VENDOR_FILES,
  vendorFile,
} from "./assets.ts";
import { HttpError, respond } from "./http.ts";

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The page with its import map filled in, and the content security policy that allows it. */
async function indexPage(): Promise<{ html: string; csp: string }> {
  const template = new TextDecoder().decode(await staticFile("index.html"));
  const map = JSON.stringify(importMap());
  const hash = await sha256Base64(map);
  const html = template.replace(
    "<!-- importmap -->",
    `<script type="importmap">${map}</script>`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join("; ");
  return { html, csp };
}

/**
 * The handler of `/` and `/index.html`: the page, made on the first request and kept.
 *
 * @returns A handler that answers with the page.
 *
 * @example
 * ```ts
 * import { pageRoute } from "./page_routes.ts";
 *
 * const page = pageRoute();
 * console.log((await page()).headers.get("content-type")); // text/html; charset=utf-8
 * ```
 */
export function pageRoute(): () => Promise<Response> {
  let page: Promise<{ html: string; csp: string }> | undefined;
  return async () => {
    page ??= indexPage();
    const { html, csp } = await page;
    return respond(html, 200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "cache-control": "no-cache",
    });
  };
}

/**
 * The handler of `/static/NAME`: one of the page's scripts or its style sheet.
 *
 * @param url The request's URL (its path names the file in an error).
 * @param name The path after `/static/`.
 * @returns The file.
 * @throws {HttpError} 404 for a name that is not one of {@linkcode STATIC_FILES} (or the page).
 *
 * @example
 * ```ts
 * import { staticRoute } from "./page_routes.ts";
 *
 * const url = new URL("http://127.0.0.1:8000/static/app.js");
 * console.log((await staticRoute(url, "app.js")).status); // 200
 * ```
 */
export async function staticRoute(url: URL, name: string): Promise<Response> {
  if (!Object.hasOwn(STATIC_FILES, name) || name === "index.html") {
    throw new HttpError(404, `no such file: ${url.pathname}`);
  }
  return respond(await staticFile(name), 200, {
    "content-type": STATIC_FILES[name],
    "cache-control": "no-cache",
  });
}

/**
 * The handler of `/vendor/VERSION/NAME`: a tf.js bundle, cached for good (the version is in the
 * URL).
 *
 * @param url The request's URL (its path names the file in an error).
 * @param name The path after the vendor prefix.
 * @returns The bundle.
 * @throws {HttpError} 404 for a name that is not one of {@linkcode VENDOR_FILES}.
 *
 * @example
 * ```ts
 * import { vendorRoute } from "./page_routes.ts";
 *
 * const url = new URL("http://127.0.0.1:8000/vendor/4.22.0/tfjs-core.js");
 * console.log((await vendorRoute(url, "tfjs-core.js")).status); // 200
 * ```
 */
export async function vendorRoute(url: URL, name: string): Promise<Response> {
  if (!Object.hasOwn(VENDOR_FILES, name)) throw new HttpError(404, `no such file: ${url.pathname}`);
  return respond(await vendorFile(name), 200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=604800, immutable",
  });
}

/**
 * The handler of `/core/PATH.ts`: a module of the library core, as JavaScript.
 *
 * @param url The request's URL (its path names the module in an error).
 * @param path The path after `/core/`, e.g. `train/train.ts`.
 * @returns The module.
 * @throws {HttpError} 404 for a path that is not a module of the browser core.
 *
 * @example
 * ```ts
 * import { coreRoute } from "./page_routes.ts";
 *
 * const url = new URL("http://127.0.0.1:8000/core/browser.ts");
 * console.log((await coreRoute(url, "browser.ts")).status); // 200
 * ```
 */
export async function coreRoute(url: URL, path: string): Promise<Response> {
  const code = (await coreModules()).get(path);
  if (code === undefined) {
    throw new HttpError(404, `not a module of the browser core: ${url.pathname}`);
  }
  return respond(code, 200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "no-cache",
  });
}
