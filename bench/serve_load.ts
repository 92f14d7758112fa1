/**
 * Load test of `serve`: N concurrent clients (default 200) for S seconds (default 60) against
 * `cli.ts serve --run DIR` on 127.0.0.1, started as its own process with the narrow
 * permissions of docs/cli.md. Each client loops until the deadline (and at most 100,000 requests) over the page,
 * `/api/info` and the run's files (model.json, weights, grid, chart), reading every body; any
 * status but 200, or a failed request, is an error. Prints requests, errors, requests per second
 * and latency percentiles (p50, p99, max); exit code 1 if any request failed.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-run --allow-net=127.0.0.1 bench/serve_load.ts
 * deno run --allow-read --allow-write --allow-run --allow-net=127.0.0.1 bench/serve_load.ts \
 *   --clients 50 --seconds 10 --run runs/lite --json
 * ```
 *
 * Without `--run` it first trains a small run (tutorial, one epoch of 640 digits) to serve.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "200" },
    seconds: { type: "string", default: "60" },
    run: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients), seconds = Number(values.seconds);
if (!(Number.isInteger(clients) && clients > 0 && seconds > 0 && seconds <= 3600)) {
  console.error("error: --clients: a positive integer; --seconds: a number in (0, 3600]");
  Deno.exit(2);
}
const cli = new URL("../cli.ts", import.meta.url).pathname;
const deno = (args: string[], permissions: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, cli, ...args],
    stdout: "piped",
    stderr: "inherit",
  });

let run = values.run;
let temporary: string | undefined;
if (run === undefined) {
  temporary = await Deno.makeTempDir({ prefix: "gan-serve-load-" });
  run = join(temporary, "run");
  const train = ["train", "--preset", "tutorial", "--epochs", "1", "--limit", "640", "--out", run];
  const { success } = await deno(train, ["--allow-read", `--allow-write=${run}`]).output();
  if (!success) throw new Error("could not train the run to serve");
}

// The server: its own process, with serve's permissions from docs/cli.md.
const server = deno(["serve", "--run", run, "--port", "0"], [
  "--allow-read",
  "--allow-net=127.0.0.1",
]).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let url = "";
while (!url) {
  const { value, done } = await lines.read();
  if (done) throw new Error("serve exited before it listened");
  url = value.match(/serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1] ?? "";
}
void (async () => {
  while (!(await lines.read()).done) { /* drain */ }
})();

const model = JSON.parse(await (await fetch(new URL("files/generator/model.json", url))).text());
const paths = [
  "",
  "api/info",
  "files/generator/model.json",
  `files/generator/${model.weightsManifest[0].paths[0]}`,
  "files/samples/epoch-001.png",
  "files/loss.svg",
];
const latencies: number[] = [];
let errors = 0;
const firstErrors: string[] = [];
const deadline = performance.now() + seconds * 1000;
const client = async (id: number) => {
  for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
    const path = paths[(id + i) % paths.length];
    const t0 = performance.now();
    try {
      const response = await fetch(new URL(path, url));
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${path}: status ${response.status}`);
      latencies.push(performance.now() - t0);
    } catch (error) {
      errors++;
      if (firstErrors.length < 5) firstErrors.push((error as Error).message);
    }
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
const elapsed = (performance.now() - started) / 1000;
server.kill("SIGTERM");
await server.status;
if (temporary) await Deno.remove(temporary, { recursive: true });

latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
const result = {
  clients,
  seconds: Number(elapsed.toFixed(1)),
  requests: latencies.length + errors,
  errors,
  requests_per_second: Number((latencies.length / elapsed).toFixed(0)),
  p50_ms: Number(at(0.5).toFixed(2)),
  p99_ms: Number(at(0.99).toFixed(2)),
  max_ms: Number(latencies[latencies.length - 1].toFixed(2)),
};
console.log(
  values.json ? JSON.stringify(result) : [
    `${clients} clients for ${result.seconds} s against ${url}: ${result.requests} requests, ` +
    `${errors} errors, ${result.requests_per_second} requests/s`,
    `latency p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms`,
    ...firstErrors.map((e) => `error: ${e}`),
  ].join("\n"),
);
Deno.exit(errors === 0 ? 0 : 1);
