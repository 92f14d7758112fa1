/**
 * The server's answers: the headers every response carries, JSON, and the one-line errors that a
 * refused request gets (`403 unexpected Host "evil.example"`), as text or, for the control route,
 * as JSON.
 *
 * @module
 */

/**
 * A request the server answers with an error status and a one-line reason.
 *
 * @example
 * ```ts
 * import { errorResponse, HttpError } from "./http.ts";
 *
 * const response = errorResponse(new HttpError(404, "no such page: /x"));
 * console.log(response.status, await response.text()); // 404 "404 no such page: /x\n"
 * ```
 */
export class HttpError extends Error {
  /** The HTTP status, 4xx. */
  readonly status: number;
  /**
   * @param status The HTTP status.
   * @param message One line saying what is wrong with the request.
   */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}

/** Headers every response carries. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
});

/**
 * A response with {@linkcode BASE_HEADERS} and the given ones.
 *
 * @param body The body (null for none).
 * @param status The HTTP status.
 * @param headers The headers besides the base ones (content type, caching, policy).
 * @returns The response.
 *
 * @example
 * ```ts
 * import { respond } from "./http.ts";
 *
 * const response = respond("hi", 200, { "content-type": "text/plain; charset=utf-8" });
 * console.log(response.headers.get("x-frame-options")); // DENY
 * ```
 */
export function respond(
  body: BodyInit | null,
  status: number,
  headers: Record<string, string>,
): Response {
  return new Response(body, { status, headers: { ...BASE_HEADERS, ...headers } });
}

/**
 * A JSON response, never cached.
 *
 * @param data What to send, as `JSON.stringify` writes it.
 * @param status The HTTP status.
 * @default {200} status
 * @returns The response.
 *
 * @example
 * ```ts
 * import { json } from "./http.ts";
 *
 * console.log(await json({ state: "paused" }).text()); // {"state":"paused"}
 * ```
 */
export function json(data: unknown, status = 200): Response {
  return respond(JSON.stringify(data), status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
}

/**
 * The plain-text answer to a refused request: `STATUS reason`, one line.
 *
 * @param error The refusal.
 * @returns The response.
 *
 * @example
 * ```ts
 * import { errorResponse, HttpError } from "./http.ts";
 *
 * console.log(errorResponse(new HttpError(405, "method PUT not allowed")).status); // 405
 * ```
 */
export function errorResponse(error: HttpError): Response {
  return respond(`${error.status} ${error.message}\n`, error.status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
}

/**
 * The JSON answer to a refused request, for the API routes a script calls:
 * `{"error": "reason", "status": 403}`.
 *
 * @param error The refusal.
 * @returns The response.
 *
 * @example
 * ```ts
 * import { HttpError, jsonError } from "./http.ts";
 *
 * const response = jsonError(new HttpError(403, "wrong token"));
 * console.log(response.status, await response.json()); // 403 { error: "wrong token", status: 403 }
 * ```
 */
export function jsonError(error: HttpError): Response {
  return json({ error: error.message, status: error.status }, error.status);
}
