/**
 * The checks a request passes before anything is read for it: the URL's length, the `Host`
 * header (against DNS rebinding, when bound to a loopback address), no body on GET or HEAD, and
 * a POST body no larger than a limit, whatever `Content-Length` says.
 *
 * @module
 */

import { HttpError } from "./http.ts";

/** The longest URL answered (414 beyond). */
export const MAX_URL_LENGTH = 2048;

/** The names of the loopback addresses, as a `Host` header or `hostname` option spells them. */
export const LOOPBACK: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Parses the request's URL, refusing one longer than {@linkcode MAX_URL_LENGTH}.
 *
 * @param request The request.
 * @returns Its URL.
 * @throws {HttpError} 414 for a URL that is too long.
 * @throws {TypeError} For a URL that does not parse.
 *
 * @example
 * ```ts
 * import { requestUrl } from "./request_checks.ts";
 *
 * console.log(requestUrl(new Request("http://127.0.0.1:8000/api/info")).pathname); // /api/info
 * ```
 */
export function requestUrl(request: Request): URL {
  if (request.url.length > MAX_URL_LENGTH) {
    throw new HttpError(414, `the URL may be at most ${MAX_URL_LENGTH} characters long`);
  }
  return new URL(request.url);
}

/**
 * Refuses a request whose `Host` is not a loopback name, when the server listens on one.
 *
 * @param request The request.
 * @param url Its URL (what `Host` is checked against when the header is missing).
 * @param loopbackOnly Whether the server is bound to a loopback address (else anything passes).
 * @throws {HttpError} 403 for another host, or none.
 *
 * @example
 * ```ts
 * import { checkHost } from "./request_checks.ts";
 *
 * const request = new Request("http://127.0.0.1:8000/", { headers: { host: "evil.example" } });
 * try {
 *   checkHost(request, new URL(request.url), true);
 * } catch (error) {
 *   console.log((error as Error).message); // unexpected Host "evil.example"
 * }
 * ```
 */
export function checkHost(request: Request, url: URL, loopbackOnly: boolean): void {
  if (!loopbackOnly) return;
  const host = request.headers.get("host");
  // A page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its
  // own name here.
  if (host !== null && !LOOPBACK.has(new URL(`http://${host}`).hostname)) {
    throw new HttpError(403, `unexpected Host "${host}"`);
  }
  if (host === null && !LOOPBACK.has(url.hostname)) throw new HttpError(403, "no Host header");
}

/**
 * Refuses a GET or HEAD request that carries a body.
 *
 * @param request The request.
 * @throws {HttpError} 400 if it declares a body.
 *
 * @example
 * ```ts
 * import { checkNoBody } from "./request_checks.ts";
 *
 * checkNoBody(new Request("http://127.0.0.1:8000/")); // passes
 * ```
 */
export function checkNoBody(request: Request): void {
  if (
    Number(request.headers.get("content-length") ?? "0") !== 0 ||
    request.headers.has("transfer-encoding")
  ) {
    throw new HttpError(400, `a ${request.method} request takes no body`);
  }
}

/**
 * Reads a request body up to `limit` bytes; 413 beyond it, whatever Content-Length says.
 *
 * @param request The request.
 * @param limit The most bytes accepted.
 * @returns The body.
 * @throws {HttpError} 413 for a larger body.
 *
 * @example
 * ```ts
 * import { readBody } from "./request_checks.ts";
 *
 * const request = new Request("http://127.0.0.1:8000/", { method: "POST", body: "{}" });
 * console.log((await readBody(request, 1024)).length); // 2
 * ```
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new HttpError(413, `the body may hold at most ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.length;
      if (size > limit) throw new HttpError(413, `the body may hold at most ${limit} bytes`);
      chunks.push(chunk);
    }
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
