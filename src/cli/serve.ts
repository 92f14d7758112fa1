/**
 * `serve`: the web interface for a run or a model directory (and `train --serve`'s server).
 *
 * @module
 */

import { dirname, join, relative, sep } from "node:path";
import { selectBackend } from "../backend/select.ts";
import { COMPARE_LAYOUT } from "../compare/layout.ts";
import { findModelJson, loadModel } from "../io/model_files.ts";
import { generatorShape } from "../sample/sample.ts";
import { RunFollower } from "../serve/follow.ts";
import { RUN_LAYOUT } from "../train/run/layout.ts";
import { type LiveRunInfo, LiveTraining } from "../serve/live.ts";
import { type GanServer, type ServeOptions, startServer } from "../serve/server.ts";
import {
  type Flags,
  intFlag,
  parseFlags,
  requireDirectory,
  requirePermission,
  stringFlag,
} from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `serve`'s flags, in the order `serve --help` lists them. */
const SERVE_FLAGS: FlagTable = {
  run: {
    type: "string",
    value: "DIR",
    help: [
      'a run directory, also one that "train" is still writing: the page',
      "follows its log.jsonl and shows its generator/ (reloaded every epoch)",
    ],
  },
  model: {
    type: "string",
    value: "DIR",
    help: [
      "a trained generator to explore: a run directory (its generator/), a",
      "model directory or a model.json",
    ],
  },
  compare: {
    type: "string",
    value: "DIR",
    help: [
      'a comparison directory ("compare" writes it): its report at /compare/',
      "(the table, the charts, each variant's last samples)",
    ],
  },
  port: {
    type: "string",
    value: "N",
    help: ["the port, 0 for any free one                       (default: 8000)"],
  },
  host: {
    type: "string",
    value: "ADDR",
    help: [
      "the address to listen on; anything but 127.0.0.1 shows the page",
      "to your network, and control then needs the token printed in its",
      "URL                                                (default: 127.0.0.1)",
    ],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const SERVE_HELP = `Usage: cli.ts serve [--run DIR | --model DIR | --compare DIR] [options]

Serve the web interface: a live view of a run (loss curves, D(x) and D(G(z)), the
fixed-noise grid of every epoch, quality metrics, ETA), an explorer that runs a
generator in the browser with stock tf.js (samples, latent sliders, interpolation,
digit picker, PNG download), and training a small GAN in the browser tab itself.
Nothing is fetched from the internet; the page reads only files of DIR.

Options:
${optionsHelp(SERVE_FLAGS, 17)}

Without --run or --model, the page offers training in the tab only.
To watch a run and pause, resume or stop it from the page: cli.ts train --serve.

Examples:
  cli.ts serve --model runs/lite
  cli.ts serve --run runs/standard-s0 --port 8080
  cli.ts serve --compare runs/losses               (then open http://127.0.0.1:8000/compare/)
  cli.ts train --preset lite --epochs 20 --serve
`;

/** `--port` and `--host`, checked, and Deno's permission to listen there. */
export function listenFlags(flags: Flags): { port: number; hostname: string } {
  const port = intFlag(flags, "port", 0, 65535) ?? 8000;
  const hostname = stringFlag(flags, "host") ?? "127.0.0.1";
  if (!/^[\w.:-]+$/.test(hostname)) {
    throw new UsageError(`--host: expected an address such as 127.0.0.1, got "${hostname}"`);
  }
  // With a port, --allow-net=HOST:PORT suffices; any free port (0) needs the whole host.
  const where = port === 0
    ? hostname
    : `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  requirePermission({ name: "net", host: where }, `--allow-net (or --allow-net=${where})`);
  return { port, hostname };
}

/** Starts the server, turning a taken port or a bad address into one clear line. */
export async function listen(options: ServeOptions): Promise<GanServer> {
  try {
    return await startServer(options);
  } catch (error) {
    const message = String((error as Error).message ?? error).split("\n")[0];
    if (error instanceof Deno.errors.AddrInUse) {
      throw new UsageError(
        `--port ${options.port}: already in use (choose another, or --port 0 for any free one)`,
      );
    }
    if (error instanceof Deno.errors.PermissionDenied && !/Requires net/.test(message)) {
      throw new UsageError(`--port ${options.port}: not allowed to listen there (${message})`);
    }
    if (error instanceof Deno.errors.AddrNotAvailable || error instanceof TypeError) {
      throw new UsageError(`--host ${options.hostname}: cannot listen there (${message})`);
    }
    throw error;
  }
}

/** The notice of a server beyond loopback: who can open the page, and what the token is for. */
function beyondLoopback(hostname: string): string {
  return `notice: listening on ${hostname}: other machines can open the page and read what it ` +
    `shows; pausing, stepping or stopping a run needs the token in the URL above`;
}

/** Resolves when the user presses Ctrl-C. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const onInterrupt = () => {
      Deno.removeSignalListener("SIGINT", onInterrupt);
      resolve();
    };
    Deno.addSignalListener("SIGINT", onInterrupt);
  });
}

/** What to serve for `--model PATH`: the directory the page may read and the model in it. */
async function modelRoot(path: string): Promise<{ root: string; model: string }> {
  const json = await findModelJson(path);
  // Checked here, so that a broken file is one clear line now rather than an error in the page.
  await selectBackend("cpu");
  const { model } = await loadModel(json);
  try {
    generatorShape(model);
  } finally {
    model.dispose();
  }
  const isDir = await Deno.stat(path).then((info) => info.isDirectory, () => false);
  const root = isDir ? path : dirname(json);
  return { root, model: relative(root, json).split(sep).join("/") };
}

/** Checks that `--compare DIR` has a report to show. */
async function comparisonReport(dir: string): Promise<void> {
  try {
    await Deno.stat(join(dir, COMPARE_LAYOUT.reportHtml));
  } catch {
    throw new UsageError(
      `--compare ${dir}: no ${COMPARE_LAYOUT.reportHtml} (not a comparison? "cli.ts compare ` +
        `--report-only --out ${dir}" rebuilds it)`,
    );
  }
}

/**
 * Runs `serve`.
 *
 * @param args The arguments after `serve`.
 * @returns The exit code.
 */
export async function serveCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(SERVE_FLAGS), "serve");
  if (flags.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const run = stringFlag(flags, "run");
  const modelPath = stringFlag(flags, "model");
  const compare = stringFlag(flags, "compare");
  if (run !== undefined && modelPath !== undefined) {
    throw new UsageError("--run and --model: give one of them (a run directory holds its model)");
  }
  if (compare !== undefined && (run !== undefined || modelPath !== undefined)) {
    throw new UsageError(
      `--compare and --${run !== undefined ? "run" : "model"}: give one of them`,
    );
  }
  const { port, hostname } = listenFlags(flags);
  requirePermission({ name: "read" }, "--allow-read");
  let options: ServeOptions = { port, hostname };
  let follower: RunFollower | undefined;
  let what = "training in the tab";
  if (run !== undefined) {
    await requireDirectory("run", run);
    const live = new LiveTraining({ controllable: false });
    follower = new RunFollower(run, live);
    await follower.poll();
    follower.start();
    options = { ...options, root: run, model: RUN_LAYOUT.generatorModel, live };
    what = `the run in ${run}`;
  } else if (compare !== undefined) {
    await requireDirectory("compare", compare);
    await comparisonReport(compare);
    options = { ...options, root: compare };
    what = `the comparison in ${compare}`;
  } else if (modelPath !== undefined) {
    if (!modelPath.endsWith(".json")) await requireDirectory("model", modelPath);
    const { root, model } = await modelRoot(modelPath);
    options = { ...options, root, model };
    what = `${root}/${model}`;
  }
  const server = await listen(options);
  try {
    // The report only reads: its URL needs no token.
    const at = compare === undefined ? server.url : new URL("/compare/", server.url).href;
    console.log(`serving ${what} at ${at} (Ctrl-C to stop)`);
    if (server.token !== null) console.log(beyondLoopback(hostname));
    await Promise.race([interrupted(), server.finished]);
  } finally {
    await follower?.stop();
    await server.shutdown();
  }
  return 0;
}

/** A live run's server, for `train --serve`. */
export interface TrainingServer {
  /** The hub to report the run to. */
  live: LiveTraining;
  /** The page's URL. */
  url: string;
  /**
   * After training: keeps serving until Ctrl-C (at once if training did not finish, i.e. it
   * threw), then closes.
   */
  serveUntilInterrupted(): Promise<void>;
}

/**
 * Starts the web interface for a run this process trains (`train --serve`), before training.
 *
 * @param flags The parsed `train` flags (`--serve`, `--port`, `--host`).
 * @param run The run's preset, epochs and directory, and the signal of a Ctrl-C (which must
 * also end a pause).
 * @returns The hub and the server, or undefined without `--serve`.
 */
export async function trainingServer(
  flags: Flags,
  run: LiveRunInfo & { out: string; signal: AbortSignal },
): Promise<TrainingServer | undefined> {
  if (!flags.serve) {
    const stray = flags.port !== undefined ? "port" : flags.host !== undefined ? "host" : null;
    if (stray) throw new UsageError(`--${stray} goes with --serve (see "train --help")`);
    return undefined;
  }
  const { port, hostname } = listenFlags(flags);
  const live = new LiveTraining();
  const server = await listen({
    port,
    hostname,
    root: run.out,
    model: RUN_LAYOUT.generatorModel,
    live,
  });
  run.signal.addEventListener("abort", () => live.stop(), { once: true });
  live.start({ preset: run.preset, epochs: run.epochs, out: run.out });
  console.log(`live view: ${server.url}`);
  if (server.token !== null) console.log(beyondLoopback(hostname));
  return {
    live,
    url: server.url,
    async serveUntilInterrupted() {
      try {
        if (live.state === "done" || live.state === "stopped") {
          console.log(`still serving ${server.url} to explore the run (Ctrl-C to stop)`);
          await Promise.race([interrupted(), server.finished]);
        }
      } finally {
        live.close();
        await server.shutdown();
      }
    },
  };
}
