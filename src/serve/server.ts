/**
 * The web interface's server: one static page, stock tf.js, the browser core, the files of one
 * run or model directory, live training as Server-Sent Events, and MNIST for training in the tab.
 *
 * ```
 * GET  /                     the page
 * GET  /static/NAME          its scripts and style sheet
 * GET  /vendor/4.22.0/NAME   tf.js's ES module bundles (from the npm packages)
 * GET  /core/PATH.ts         the library core, transpiled for the browser
 * GET  /files/PATH           a file of the served directory (model.json, weights, PNG, SVG, logs)
 * GET  /api/info             what is served: the generator's URL, whether a run is live
 * GET  /api/events           the live run as Server-Sent Events (a snapshot, then updates)
 * POST /api/control          {"action": "pause" | "resume" | "stop" | "step" | "slow", …}
 *                            (beyond loopback: with the token)
 * GET  /api/mnist/NAME.idx   the first N MNIST training images or labels (?count=N)
 * GET  /compare/             with `--compare DIR`: the comparison's report and its images
 * ```
 *
 * Bound to 127.0.0.1 by default. Requests are checked before anything is read: the `Host`
 * header (against DNS rebinding, when bound to a loopback address), the method, the URL's length,
 * the path (no way out of the served directory), and for POST the origin, the content type and
 * the body's size. Bound beyond loopback, the server makes a token (`token.ts`) that control
 * requests must carry; its URL carries it (`?token=…`) for the page to send. What only reads
 * (the page, files, events) needs none.
 *
 * This module holds the route table ({@linkcode createHandler}) and the listening socket
 * ({@linkcode startServer}); each route's handler is in its own module: `page_routes.ts` (the page,
 * `/static/`, `/vendor/`, `/core/`), `files.ts` (`/files/`), `event_stream.ts` (`/api/events`),
 * `control.ts` (`/api/control`), `mnist.ts` (`/api/mnist/`). `request_checks.ts` checks a request
 * before it is routed, `router.ts` routes it, `http.ts` makes the responses.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { VENDOR_PREFIX } from "./assets.ts";
import { compareRoute } from "./compare_page.ts";
import { control } from "./control.ts";
import { EventStreams } from "./event_stream.ts";
import { fileRoute, modelUrl } from "./files.ts";
import { errorResponse, HttpError, json, respond } from "./http.ts";
import type { LiveTraining } from "./live.ts";
import { mnistRoute } from "./mnist.ts";
import { coreRoute, pageRoute, staticRoute, vendorRoute } from "./page_routes.ts";
import { checkHost, LOOPBACK, requestUrl } from "./request_checks.ts";
import { dispatch, type Route } from "./router.ts";
import { newToken } from "./token.ts";

export { MAX_BODY_BYTES } from "./control.ts";
export { MAX_MNIST_IMAGES } from "./mnist.ts";
export { MAX_URL_LENGTH } from "./request_checks.ts";

/** Options of {@linkcode startServer}. */
export interface ServeOptions {
  /**
   * The port; 0 for any free one.
   * @default {8000}
   */
  port?: number;
  /**
   * The address to listen on. Anything but a loopback address shows the page to the network,
   * and makes control (pause, resume, stop, step) need the token in {@linkcode GanServer.url}.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The directory whose files the page may read (a run or a model directory); none if absent. */
  root?: string;
  /** The generator's `model.json`, relative to `root` (e.g. `"generator/model.json"`). */
  model?: string;
  /** The live run, if one is trained or followed. */
  live?: LiveTraining;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

/** A running server. */
export interface GanServer {
  /**
   * The page's URL, e.g. `http://127.0.0.1:8000/`; beyond loopback with the token,
   * `http://127.0.0.1:8000/?token=…`.
   */
  readonly url: string;
  /** The token control requests must carry (beyond loopback); null on loopback. */
  readonly token: string | null;
  /** The port it listens on. */
  readonly port: number;
  /** Resolves when the server has closed. */
  readonly finished: Promise<void>;
  /** Closes the server (live event streams included) and waits for it. */
  shutdown(): Promise<void>;
}

/** `GET /api/info`: what is served, and whether control needs the token. */
async function info(options: ServeOptions, token: string | null): Promise<Response> {
  return json({
    version: VERSION,
    model: await modelUrl(options.root, options.model),
    live: options.live !== undefined,
    controllable: options.live?.controllable ?? false,
    token: token !== null,
  });
}

/** The route table: every path the server answers, and what answers it. */
function routes(options: ServeOptions, streams: EventStreams, token: string | null): Route[] {
  const page = pageRoute();
  return [
    { method: "GET", path: "/", handle: page },
    { method: "GET", path: "/index.html", handle: page },
    { method: "GET", path: "/static/*", handle: (_, url, name) => staticRoute(url, name) },
    { method: "GET", path: `${VENDOR_PREFIX}*`, handle: (_, url, name) => vendorRoute(url, name) },
    { method: "GET", path: "/core/*", handle: (_, url, path) => coreRoute(url, path) },
    { method: "GET", path: "/files/*", handle: (_, __, path) => fileRoute(options.root, path) },
    { method: "GET", path: "/api/info", handle: () => info(options, token) },
    { method: "GET", path: "/api/events", handle: () => streams.open(options.live) },
    {
      method: "POST",
      path: "/api/control",
      handle: (request, url) => control(request, url, options.live, token),
    },
    { method: "GET", path: "/api/mnist/*", handle: (_, url, name) => mnistRoute(url, name) },
    { method: "GET", path: "/compare*", handle: compareRoute(options.root) },
  ];
}

/** The answer to a request that failed: its own status for a refusal, else 400 or 500. */
function failure(request: Request, error: unknown): Response {
  if (error instanceof HttpError) return errorResponse(error);
  if (error instanceof TypeError && /Invalid URL/i.test(error.message)) {
    return errorResponse(new HttpError(400, "malformed request"));
  }
  console.error(`serve: ${request.method} ${request.url}: ${(error as Error).message}`);
  return respond("500 internal error\n", 500, { "content-type": "text/plain; charset=utf-8" });
}

/**
 * The request handler, without a listening socket (what {@linkcode startServer} serves).
 *
 * @param options The served directory, the model and the live run; `hostname` and `port` say
 * which `Host` headers are the server's own, and whether control needs a token.
 * @returns A handler for `Deno.serve`, a function that closes its event streams, and the token
 * control needs (a fresh one beyond loopback; null on loopback).
 *
 * @example Answer one request without a network
 * ```ts
 * import { createHandler } from "./server.ts";
 *
 * const { handler } = createHandler({ hostname: "127.0.0.1", port: 8000 });
 * const response = await handler(new Request("http://127.0.0.1:8000/api/info"));
 * console.log(response.status, await response.json()); // 200 { … }
 * ```
 */
export function createHandler(options: ServeOptions = {}): {
  handler: (request: Request) => Promise<Response>;
  closeStreams: () => void;
  token: string | null;
} {
  const loopbackOnly = LOOPBACK.has(options.hostname ?? "127.0.0.1");
  const token = loopbackOnly ? null : newToken();
  const streams = new EventStreams();
  const table = routes(options, streams, token);
  const handler = async (request: Request): Promise<Response> => {
    try {
      const url = requestUrl(request);
      checkHost(request, url, loopbackOnly);
      const response = await dispatch(table, request, url);
      return request.method === "HEAD" ? new Response(null, response) : response;
    } catch (error) {
      return failure(request, error);
    }
  };
  return { handler, closeStreams: () => streams.closeAll(), token };
}

/**
 * Starts the web interface.
 *
 * @param options The port and address, the served directory and model, the live run.
 * @returns The running server, once it listens.
 * @throws {Deno.errors.AddrInUse} If the port is taken.
 *
 * @example Explore a trained generator in the browser
 * ```ts
 * import { startServer } from "@gan/mnist";
 *
 * const server = await startServer({ root: "runs/lite", model: "generator/model.json" });
 * console.log(`open ${server.url}`); // http://127.0.0.1:8000/
 * await server.finished;
 * ```
 */
export async function startServer(options: ServeOptions = {}): Promise<GanServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const { handler, closeStreams, token } = createHandler(options);
  const controller = new AbortController();
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    port: options.port ?? 8000,
    hostname,
    signal: controller.signal,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    onError: (error) => {
      console.error(`serve: ${(error as Error).message}`);
      return new Response("500 internal error\n", { status: 500 });
    },
  }, handler);
  const addr = await listening.promise;
  const shutdown = async () => {
    closeStreams();
    if (!controller.signal.aborted) controller.abort();
    await server.finished;
  };
  options.signal?.addEventListener("abort", () => shutdown(), { once: true });
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const shown = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${addr.port}/${token === null ? "" : `?token=${token}`}`,
    token,
    port: addr.port,
    finished: server.finished,
    shutdown,
  };
}
