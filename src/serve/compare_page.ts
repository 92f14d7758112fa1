/**
 * The route of a comparison's report: `GET /compare/` answers with the served directory's
 * `report.html` (what `cli.ts compare` writes; `serve --compare DIR` serves it), and
 * `/compare/PATH` with the report's images under the directory: `report.svg` and the variants'
 * sample grids, checked as `/files/` checks paths. `/compare` redirects to `/compare/`, so that
 * the page's relative links resolve.
 *
 * @module
 */

import { join } from "node:path";
import { COMPARE_LAYOUT } from "../compare/layout.ts";
import { HttpError, respond } from "./http.ts";
import { resolveServedFile } from "./files.ts";
import type { RouteHandler } from "./router.ts";

/** The report runs nothing: its style is inline, its images are the directory's. */
const REPORT_CSP =
  "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the report links to: its charts and the sample grids. */
const REPORT_IMAGES = /\.(png|svg)$/;

/**
 * The handler of `/compare` and every path under `/compare/`, for a served directory.
 *
 * @param root The served directory (a comparison directory with `serve --compare`); none if absent.
 * @returns A route handler: given the path after `/compare`, still percent-encoded (`""`, `"/"`,
 * `"/report.svg"`, …), it answers with the page, an image, or a redirect from `/compare` to
 * `/compare/`; it throws {@linkcode HttpError} 404 when no comparison is served or the path names
 * no image of it, 403 for a path that leaves the directory.
 *
 * @example
 * ```ts
 * import { compareRoute } from "./compare_page.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/report.html`, "<!doctype html><title>c</title>");
 * const url = new URL("http://127.0.0.1:8000/compare/");
 * const response = await compareRoute(dir)(new Request(url), url, "/");
 * console.log(response.status, response.headers.get("content-type")); // 200 text/html; charset=utf-8
 * ```
 */
export function compareRoute(root: string | undefined): RouteHandler {
  return (_, url, rest) => answer(root, url, rest);
}

/** The answer to `/compare` + `rest`. */
async function answer(root: string | undefined, url: URL, rest: string): Promise<Response> {
  if (rest !== "" && !rest.startsWith("/")) {
    throw new HttpError(404, `no such page: ${url.pathname}`);
  }
  if (root === undefined) {
    throw new HttpError(404, "no comparison is served (serve --compare DIR serves one)");
  }
  if (rest === "") return respond(null, 308, { location: "/compare/" });
  const path = rest.slice(1);
  if (path === "" || path === COMPARE_LAYOUT.reportHtml) {
    let page: Uint8Array<ArrayBuffer>;
    try {
      page = await Deno.readFile(join(root, COMPARE_LAYOUT.reportHtml));
    } catch {
      throw new HttpError(
        404,
        `no ${COMPARE_LAYOUT.reportHtml} in the served directory (cli.ts compare writes it)`,
      );
    }
    return respond(page, 200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": REPORT_CSP,
      "cache-control": "no-cache",
    });
  }
  if (!REPORT_IMAGES.test(path)) throw new HttpError(404, `not an image of the report: ${path}`);
  const file = await resolveServedFile(root, path);
  return respond(await Deno.readFile(file.path), 200, {
    "content-type": file.type,
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "cache-control": "no-cache",
  });
}
