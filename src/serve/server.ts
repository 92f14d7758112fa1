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
 * POST /api/control          {"action": "pause" | "resume" | "stop"}
 * GET  /api/mnist/NAME.idx   the first N MNIST training images or labels (?count=N)
 * ```
 *
 * Bound to 127.0.0.1 by default. Requests are checked before anything is read: the `Host`
 * header (against DNS rebinding, when bound to a loopback address), the method, the URL's length,
 * the path (no way out of the served directory), and for POST the origin, the content type and
 * the body's size.
 *
 * @module
 */

import { bundledMnistDir } from "../data/mnist.ts";
import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray } from "../data/idx.ts";
import { readIdx } from "../data/idx_file.ts";
import { join } from "node:path";
import { VERSION } from "../version.ts";
import {
  coreModules,
  importMap,
  STATIC_FILES,
  staticFile,
  VENDOR_FILES,
  VENDOR_PREFIX,
  vendorFile,
} from "./assets.ts";
import { HttpError, resolveServedFile } from "./files.ts";
import type { LiveEvent, LiveTraining } from "./live.ts";

/** Options of {@linkcode startServer}. */
export interface ServeOptions {
  /**
   * The port; 0 for any free one.
   * @default {8000}
   */
  port?: number;
  /**
   * The address to listen on. Anything but a loopback address exposes the page (and the
   * pause/stop buttons of a live run) to the network.
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
  /** The page's URL, e.g. `http://127.0.0.1:8000/`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Resolves when the server has closed. */
  readonly finished: Promise<void>;
  /** Closes the server (live event streams included) and waits for it. */
  shutdown(): Promise<void>;
}

/** The longest URL answered (414 beyond). */
export const MAX_URL_LENGTH = 2048;
/** The largest request body accepted (413 beyond); control messages are tiny. */
export const MAX_BODY_BYTES = 1024;
/** The most MNIST images the page may ask for at once. */
export const MAX_MNIST_IMAGES = 60_000;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Headers every response carries. */
const BASE_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** Files of the served directory are data, never a page: no scripts even if opened directly. */
const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

function respond(body: BodyInit | null, status: number, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...BASE_HEADERS, ...headers } });
}

function json(data: unknown, status = 200): Response {
  return respond(JSON.stringify(data), status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
}

function errorResponse(error: HttpError): Response {
  return respond(`${error.status} ${error.message}\n`, error.status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
}

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

/** Reads a request body up to `limit` bytes; 413 beyond it, whatever Content-Length says. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
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

const mnistCache = new Map<string, Promise<Uint8Array>>();

/** The first `count` MNIST training images or labels, as an IDX file. */
function mnistIdx(kind: "images" | "labels", count: number): Promise<Uint8Array> {
  const key = `${kind}-${count}`;
  let bytes = mnistCache.get(key);
  if (!bytes) {
    bytes = (async () => {
      const dir = await bundledMnistDir();
      const [name, magic] = kind === "images"
        ? ["train-images-idx3-ubyte", IDX_IMAGES_MAGIC]
        : ["train-labels-idx1-ubyte", IDX_LABELS_MAGIC];
      const all = await readIdx(join(dir, name), { magic });
      const size = all.shape.slice(1).reduce((a, b) => a * b, 1);
      const n = Math.min(count, all.shape[0]);
      return encodeIdx({
        type: all.type,
        shape: [n, ...all.shape.slice(1)],
        data: all.data.subarray(0, n * size),
      } as IdxArray);
    })();
    if (mnistCache.size > 8) mnistCache.clear();
    mnistCache.set(key, bytes);
    bytes.catch(() => mnistCache.delete(key));
  }
  return bytes;
}

/**
 * The request handler, without a listening socket (what {@linkcode startServer} serves).
 *
 * @param options The served directory, the model and the live run; `hostname` and `port` say
 * which `Host` headers are the server's own.
 * @returns A handler for `Deno.serve`, and a function that closes its event streams.
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
} {
  const hostname = options.hostname ?? "127.0.0.1";
  const loopbackOnly = LOOPBACK.has(hostname);
  const streams = new Set<() => void>();
  let page: Promise<{ html: string; csp: string }> | undefined;

  const checkHost = (request: Request, url: URL) => {
    if (!loopbackOnly) return;
    const host = request.headers.get("host");
    // A page of another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its
    // own name here.
    if (host !== null && !LOOPBACK.has(new URL(`http://${host}`).hostname)) {
      throw new HttpError(403, `unexpected Host "${host}"`);
    }
    if (host === null && !LOOPBACK.has(url.hostname)) throw new HttpError(403, "no Host header");
  };

  const modelInfo = async () => {
    if (options.root === undefined || options.model === undefined) return null;
    const urlPath = options.model.split("/").map(encodeURIComponent).join("/");
    try {
      await resolveServedFile(options.root, urlPath);
      return `/files/${urlPath}`;
    } catch {
      return null; // not written yet (a run that has not finished an epoch)
    }
  };

  const events = (): Response => {
    const live = options.live;
    if (!live) throw new HttpError(404, "no live run here");
    const encoder = new TextEncoder();
    let close = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (event: LiveEvent) => {
          try {
            controller.enqueue(
              encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`),
            );
          } catch {
            close();
          }
        };
        send({ type: "snapshot", data: live.snapshot() });
        const unsubscribe = live.subscribe(send);
        // A comment line now and then keeps proxies and idle timeouts from closing the stream.
        const keepAlive = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
          } catch {
            close();
          }
        }, 15_000);
        close = () => {
          unsubscribe();
          clearInterval(keepAlive);
          streams.delete(close);
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        streams.add(close);
      },
      cancel() {
        close();
      },
    });
    return respond(body, 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
    });
  };

  const control = async (request: Request, url: URL): Promise<Response> => {
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== url.origin) {
      throw new HttpError(403, `a page of ${origin} may not control this run`);
    }
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new HttpError(415, "send the control message as application/json");
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    let message: unknown;
    try {
      message = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const action = (message as { action?: unknown } | null)?.action;
    if (action !== "pause" && action !== "resume" && action !== "stop") {
      throw new HttpError(400, `"action" must be "pause", "resume" or "stop"`);
    }
    const live = options.live;
    if (!live) throw new HttpError(404, "no live run here");
    if (!live.controllable) {
      throw new HttpError(409, "this run is written by another process: stop it there");
    }
    const state = action === "pause"
      ? live.pause()
      : action === "resume"
      ? live.resume()
      : live.stop();
    return json({ state });
  };

  const mnist = async (url: URL, name: string): Promise<Response> => {
    const kind = name === "train-images.idx"
      ? "images"
      : name === "train-labels.idx"
      ? "labels"
      : undefined;
    if (!kind) throw new HttpError(404, `no such data: ${name}`);
    const raw = url.searchParams.get("count") ?? "10000";
    const count = Number(raw);
    if (!/^\d{1,6}$/.test(raw) || count < 1 || count > MAX_MNIST_IMAGES) {
      throw new HttpError(400, `count must be an integer from 1 to ${MAX_MNIST_IMAGES}`);
    }
    const bytes = await mnistIdx(kind, count);
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new CompressionStream("gzip"),
    );
    return respond(stream, 200, {
      "content-type": "application/octet-stream",
      "content-encoding": "gzip",
      "cache-control": "public, max-age=3600",
    });
  };

  const route = async (request: Request): Promise<Response> => {
    if (request.url.length > MAX_URL_LENGTH) {
      throw new HttpError(414, `the URL may be at most ${MAX_URL_LENGTH} characters long`);
    }
    const url = new URL(request.url);
    checkHost(request, url);
    const path = url.pathname;
    const method = request.method;
    if (method === "POST") {
      if (path === "/api/control") return await control(request, url);
      throw new HttpError(405, "only /api/control takes POST");
    }
    if (method !== "GET" && method !== "HEAD") {
      throw new HttpError(405, `method ${method} not allowed`);
    }
    if (
      Number(request.headers.get("content-length") ?? "0") !== 0 ||
      request.headers.has("transfer-encoding")
    ) {
      throw new HttpError(400, `a ${method} request takes no body`);
    }
    if (path === "/" || path === "/index.html") {
      page ??= indexPage();
      const { html, csp } = await page;
      return respond(html, 200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": csp,
        "cache-control": "no-cache",
      });
    }
    if (path.startsWith("/static/")) {
      const name = path.slice("/static/".length);
      if (!Object.hasOwn(STATIC_FILES, name) || name === "index.html") {
        throw new HttpError(404, `no such file: ${path}`);
      }
      return respond(await staticFile(name), 200, {
        "content-type": STATIC_FILES[name],
        "cache-control": "no-cache",
      });
    }
    if (path.startsWith(VENDOR_PREFIX)) {
      const name = path.slice(VENDOR_PREFIX.length);
      if (!Object.hasOwn(VENDOR_FILES, name)) throw new HttpError(404, `no such file: ${path}`);
      return respond(await vendorFile(name), 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "public, max-age=604800, immutable",
      });
    }
    if (path.startsWith("/core/")) {
      const code = (await coreModules()).get(path.slice("/core/".length));
      if (code === undefined) throw new HttpError(404, `not a module of the browser core: ${path}`);
      return respond(code, 200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-cache",
      });
    }
    if (path.startsWith("/files/")) {
      if (options.root === undefined) throw new HttpError(404, "no directory is served");
      const file = await resolveServedFile(options.root, path.slice("/files/".length));
      const bytes = await Deno.readFile(file.path);
      return respond(bytes, 200, {
        "content-type": file.type,
        "content-security-policy": FILE_CSP,
        "cache-control": "no-cache",
      });
    }
    if (path === "/api/info") {
      return json({
        version: VERSION,
        model: await modelInfo(),
        live: options.live !== undefined,
        controllable: options.live?.controllable ?? false,
      });
    }
    if (path === "/api/events") return events();
    if (path.startsWith("/api/mnist/")) return await mnist(url, path.slice("/api/mnist/".length));
    throw new HttpError(404, `no such page: ${path}`);
  };

  const handler = async (request: Request): Promise<Response> => {
    try {
      const response = await route(request);
      return request.method === "HEAD" ? new Response(null, response) : response;
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error);
      if (error instanceof TypeError && /Invalid URL/i.test(error.message)) {
        return errorResponse(new HttpError(400, "malformed request"));
      }
      console.error(`serve: ${request.method} ${request.url}: ${(error as Error).message}`);
      return respond("500 internal error\n", 500, { "content-type": "text/plain; charset=utf-8" });
    }
  };

  return {
    handler,
    closeStreams: () => {
      for (const close of [...streams]) close();
    },
  };
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
  const { handler, closeStreams } = createHandler(options);
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
    url: `http://${shown}:${addr.port}/`,
    port: addr.port,
    finished: server.finished,
    shutdown,
  };
}
