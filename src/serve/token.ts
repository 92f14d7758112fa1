/**
 * The control token of a server that listens beyond loopback (`--host 0.0.0.0`), as Jupyter
 * has one: made at start from `crypto.getRandomValues` ({@linkcode TOKEN_BYTES} bytes), printed
 * in the page's URL (`http://HOST:PORT/?token=…`), and required on every control request as
 * `Authorization: Bearer TOKEN`, compared in constant time. On loopback there is none: the `Host`
 * check and the page's own `Origin` guard control there.
 *
 * @module
 */

import { HttpError } from "./http.ts";

/** Random bytes in a token: 192 bits, written as 48 hexadecimal digits. */
export const TOKEN_BYTES = 24;

/**
 * A fresh token: {@linkcode TOKEN_BYTES} bytes from `crypto.getRandomValues`, in hexadecimal.
 *
 * @returns 48 hexadecimal digits.
 *
 * @example
 * ```ts
 * import { newToken } from "./token.ts";
 *
 * console.log(newToken().length); // 48
 * ```
 */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether `given` is `expected`, in a time that depends on `expected`'s length only (not on where
 * the first differing character is, nor on `given`'s length).
 *
 * @param given What the request carries.
 * @param expected The server's token.
 * @returns Whether they are equal.
 *
 * @example
 * ```ts
 * import { sameToken } from "./token.ts";
 *
 * console.log(sameToken("abc", "abc"), sameToken("abd", "abc")); // true false
 * ```
 */
export function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i % Math.max(1, a.length)] ?? 0) ^ b[i];
  return diff === 0;
}

/**
 * Refuses a request that does not carry the token as `Authorization: Bearer TOKEN`.
 *
 * @param request The request.
 * @param token The server's token; null for none (everything passes).
 * @throws {HttpError} 403 without the header, or with another token.
 *
 * @example
 * ```ts
 * import { checkToken } from "./token.ts";
 *
 * const request = new Request("http://0.0.0.0:8000/api/control", {
 *   headers: { authorization: "Bearer 0123" },
 * });
 * checkToken(request, "0123"); // passes
 * ```
 */
export function checkToken(request: Request, token: string | null): void {
  if (token === null) return;
  const header = request.headers.get("authorization");
  if (header === null) {
    throw new HttpError(
      403,
      "this server listens beyond loopback: control needs its token (open the URL it printed, " +
        "with ?token=…, or send Authorization: Bearer TOKEN)",
    );
  }
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
  if (!sameToken(given, token)) {
    throw new HttpError(403, "wrong token: use the one in the URL the server printed");
  }
}
