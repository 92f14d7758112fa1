/**
 * Routes a request to its handler through a table of routes: a method, a path (exact, or ending
 * in `*` for every path under a prefix) and the function that answers. POST goes only to the
 * POST routes; GET and HEAD (answered alike, HEAD without the body) to the GET routes, and carry
 * no body; any other method is refused.
 *
 * @module
 */

import { HttpError } from "./http.ts";
import { checkNoBody } from "./request_checks.ts";

/**
 * What answers a route.
 *
 * @param request The request.
 * @param url Its URL.
 * @param rest For a prefix route, the path after the prefix (still percent-encoded); else "".
 */
export type RouteHandler = (
  request: Request,
  url: URL,
  rest: string,
) => Response | Promise<Response>;

/** One line of the route table. */
export interface Route {
  /** The method it answers (a GET route answers HEAD too). */
  method: "GET" | "POST";
  /** The path, e.g. `/api/info`; ending in `*`, every path that starts with what comes before. */
  path: string;
  /** What answers it. */
  handle: RouteHandler;
}

/** The route for `method` and `path`, and the path after its prefix; undefined if none. */
function find(
  routes: readonly Route[],
  method: Route["method"],
  path: string,
): { route: Route; rest: string } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    if (route.path.endsWith("*")) {
      const prefix = route.path.slice(0, -1);
      if (path.startsWith(prefix)) return { route, rest: path.slice(prefix.length) };
    } else if (route.path === path) {
      return { route, rest: "" };
    }
  }
  return undefined;
}

/**
 * Answers a request (whose URL and host are checked already) by the route table.
 *
 * @param routes The route table.
 * @param request The request.
 * @param url Its URL.
 * @returns The route's answer.
 * @throws {HttpError} 405 for a method or a POST no route takes, 400 for a GET or HEAD with a
 * body, 404 for a path no route takes; and whatever the route throws.
 *
 * @example
 * ```ts
 * import { dispatch, type Route } from "./router.ts";
 *
 * const routes: Route[] = [
 *   { method: "GET", path: "/hello/*", handle: (_, __, rest) => new Response(`hello ${rest}`) },
 * ];
 * const request = new Request("http://127.0.0.1:8000/hello/you");
 * console.log(await (await dispatch(routes, request, new URL(request.url))).text()); // hello you
 * ```
 */
export async function dispatch(
  routes: readonly Route[],
  request: Request,
  url: URL,
): Promise<Response> {
  const path = url.pathname;
  const method = request.method;
  if (method === "POST") {
    const found = find(routes, "POST", path);
    if (found) return await found.route.handle(request, url, found.rest);
    const posts = routes.filter((route) => route.method === "POST").map((route) => route.path);
    throw new HttpError(405, `only ${posts.join(", ")} takes POST`);
  }
  if (method !== "GET" && method !== "HEAD") {
    throw new HttpError(405, `method ${method} not allowed`);
  }
  checkNoBody(request);
  const found = find(routes, "GET", path);
  if (!found) throw new HttpError(404, `no such page: ${path}`);
  return await found.route.handle(request, url, found.rest);
}
