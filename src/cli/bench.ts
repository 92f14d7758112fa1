/**
 * `bench`: our training step next to stock tf.js-wasm, tf.js cpu and PyTorch on the CPU, all
 * timed in one run, in alternating rounds so that a busy moment of the machine falls on all of
 * them alike.
 *
 * @module
 */

import { CONV_PRESETS, type ConvBenchOptions, convsCommand } from "./bench/convs.ts";
import { findPeerPython, type PeerPython, timePeerSteps } from "./bench/peer.ts";
import { profileLines, profileStep } from "./bench/profile.ts";
import { presetProducts, productGflops, timeSteps } from "./bench/step.ts";
import { selectBackend } from "../backend/select.ts";
import { getPreset, PRESET_NAMES, type PresetName } from "../models/presets.ts";
import { choiceFlag, type Flags, intFlag, parseFlags, requirePermission } from "./args.ts";
import { UsageError } from "./errors.ts";
import { flagDefault, flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `bench`'s flags, in the order `bench --help` lists them. */
const BENCH_FLAGS: FlagTable = {
  preset: {
    type: "string",
    value: "NAME",
    help: [
      "standard | lite | tutorial | dcgan          (default: $default)",
      "(with --profile: any preset; with --convs: dcgan, cdcgan, dcgan32)",
    ],
    default: "standard",
  },
  recipe: {
    type: "string",
    value: "WHICH",
    help: [
      "original: the preset as first written (train --faithful; standard:",
      "no BatchNorm in G, 1 G update per step; for dcgan 1 G update per",
      "step); trained: as train runs it (standard: BatchNorm in G, 2 G",
      "updates per step; dcgan: 2 G updates per step)  (default: $default)",
    ],
    default: "original",
  },
  steps: {
    type: "string",
    value: "N",
    help: ["timed steps of ours and of PyTorch             (default: $default)"],
    default: 200,
  },
  compare: {
    type: "string",
    value: "WHAT",
    help: ["all | pytorch | tfjs | none                    (default: $default)"],
    default: "all",
  },
  threads: {
    type: "string",
    value: "N",
    help: ["1 | 2: threads of our kernels    (default: 2 where there are 2 cores)"],
  },
  rounds: {
    type: "string",
    value: "N",
    help: ["alternating rounds the steps are spread over        (default: $default)"],
    default: 4,
  },
  "no-gflops": { type: "boolean", help: ["skip the table of matrix-product speeds"] },
  profile: {
    type: "boolean",
    help: [
      "where our step's time goes instead: each tf.js kernel's time per step",
      "(products, normalisation, optimiser, the rest) and what is left for",
      "tf.js's bookkeeping; --steps N steps timed for the wall time",
    ],
  },
  convs: {
    type: "boolean",
    help: [
      "each convolution of dcgan, cdcgan and dcgan32 (or --preset's) instead:",
      "forward, input and filter gradient, ours and PyTorch's (1 torch",
      "thread), ms and GFLOPS; --steps N runs of each pass (default: 20)",
    ],
  },
  json: {
    type: "boolean",
    help: ['end with one JSON line: {"ms_per_step", "peer_ms_per_step", "ratio", …}'],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const BENCH_HELP = `Usage: cli.ts bench [options]

Time our training step (one D update on a real and a fake batch, one G update) next to stock
tf.js-wasm, tf.js cpu and PyTorch on the CPU running the same model and step, in one run. Ours
is the direct step (the MLP's forward and backward passes written out as calls of our WASM
kernels); with tfjs in --compare, also the same step as tf.js operations differentiated by
tf.js's autograd on our kernels.

Options:
${optionsHelp(BENCH_FLAGS)}

PyTorch runs tools/peer/gan_mnist_torch.py with a Python that has torch (Debian's python3-torch
and libopenblas0: deno task peer:install); in its fastest setting here, 1 torch thread with
OpenBLAS left free, and also with 2 threads. Without it the bench says so and reports the rest.
The autograd step runs min(steps, 100) steps; stock tf.js-wasm and tf.js cpu are slow: they run
min(steps, 40) and min(steps, 10). For convolutional presets tf.js cpu is not timed (about a
minute a step), and stock tf.js-wasm cannot train them at all (it has no Conv2DBackpropFilter):
the bench says so.

--convs times single convolutions instead: each distinct one of the convolutional presets' models
(batch 64), each pass (forward, input gradient, filter gradient; a transposed convolution runs
the same three), ours and PyTorch's (gan_mnist_torch.py convs) in alternating rounds, one table
per shape with ms, GFLOPS (2·B·outH·outW·fh·fw·inC·outC a pass) and ours / PyTorch. Stock
tf.js-wasm's convolutions: deno bench --allow-read bench/conv_bench.ts.
`;

const COMPARE = ["all", "pytorch", "tfjs", "none"] as const;
const RECIPES = ["original", "trained"] as const;

interface Row {
  name: string;
  ms: number[];
  /** Why it has no time: it cannot run this step. */
  failed?: string;
}

const SAME = "the same as ours (a convolutional step is always tf.js ops + autograd)";

/** Times one round of a row, or records why it cannot run (then skips it in later rounds). */
async function timeRow(row: Row, time: () => Promise<number>): Promise<void> {
  if (row.failed) return;
  try {
    row.ms.push(await time());
  } catch (error) {
    row.failed = (error as Error).message.split("\n")[0];
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));

/** What the flags ask the bench to time. */
interface BenchSettings {
  preset: PresetName;
  /** `--recipe original`. */
  faithful: boolean;
  steps: number;
  compare: (typeof COMPARE)[number];
  threadsFlag?: 1 | 2;
  rounds: number;
  gflops: boolean;
  json: boolean;
}

/** The rows to time and the PyTorch peer's Python, if any. */
interface BenchRows {
  rows: Row[];
  withTfjs: boolean;
  peer?: PeerPython;
  /** The threads our kernels run on. */
  threads: 1 | 2;
}

/**
 * Runs `bench`: the flags, the rows to time, the alternating rounds, then the table of times (and
 * of our matrix products' speeds) and, with `--json`, one JSON line.
 *
 * @param args The arguments after `bench`.
 * @returns The exit code.
 */
export async function benchCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(BENCH_FLAGS), "bench");
  if (flags.help) {
    console.log(BENCH_HELP);
    return 0;
  }
  const steps = intFlag(flags, "steps", 1, 100_000) ?? flagDefault<number>(BENCH_FLAGS, "steps");
  const bench: BenchSettings = {
    preset: choiceFlag(flags, "preset", PRESET_NAMES) ?? flagDefault(BENCH_FLAGS, "preset"),
    faithful: (choiceFlag(flags, "recipe", RECIPES) ?? flagDefault(BENCH_FLAGS, "recipe")) ===
      "original",
    steps,
    compare: choiceFlag(flags, "compare", COMPARE) ?? flagDefault(BENCH_FLAGS, "compare"),
    threadsFlag: intFlag(flags, "threads", 1, 2) as 1 | 2 | undefined,
    rounds: Math.min(
      intFlag(flags, "rounds", 1, 100) ?? flagDefault<number>(BENCH_FLAGS, "rounds"),
      steps,
    ),
    gflops: flags["no-gflops"] !== true,
    json: flags.json === true,
  };
  requirePermission({ name: "read" }, "--allow-read");
  const log = (line: string) => (bench.json ? console.error(line) : console.log(line));
  if (flags.convs === true) return await convsCommand(convsOptions(flags, bench), log);
  if (flags.profile === true) return await profileCommand(bench, log);
  const { rows, withTfjs, peer, threads } = await benchRows(bench, log);
  log(
    `bench: ${bench.preset} preset, batch ${getPreset(bench.preset).training.batchSize}, ${
      bench.faithful ? "the original recipe" : "the recipe train uses"
    }, ${steps} steps of ours and PyTorch in ${bench.rounds} rounds`,
  );
  for (let r = 0; r < bench.rounds; r++) await timeRound(bench, rows, withTfjs, peer, threads);
  const ourMs = mean(rows[0].ms);
  const peerRows = rows.filter((row) => row.name.startsWith("PyTorch"));
  const peerMs = peerRows.length ? Math.min(...peerRows.map((row) => mean(row.ms))) : null;
  logTimes(rows, peerMs, log);
  const gflops = bench.gflops ? await logGflops(bench.preset, threads, log) : {};
  if (bench.json) {
    console.log(JSON.stringify({
      preset: bench.preset,
      steps,
      ms_per_step: round(ourMs),
      peer_ms_per_step: peerMs === null ? null : round(peerMs),
      ratio: peerMs === null ? null : round(ourMs / peerMs),
      results: Object.fromEntries(
        rows.map((row) => [row.name, row.failed ? null : round(mean(row.ms))]),
      ),
      gflops,
    }));
  }
  return 0;
}

/** Default runs of each pass with `--convs`. */
const CONV_RUNS = 20;

/** `bench --convs`'s settings: the convolutional presets (or `--preset`), runs, PyTorch or not. */
function convsOptions(flags: Flags, bench: BenchSettings): ConvBenchOptions {
  if (flags.profile === true) throw new UsageError("--convs and --profile: one at a time");
  const preset = choiceFlag(flags, "preset", PRESET_NAMES);
  if (preset && !CONV_PRESETS.includes(preset)) {
    throw new UsageError(
      `--preset ${preset}: has no convolutions (--convs times ${CONV_PRESETS.join(", ")})`,
    );
  }
  const runs = intFlag(flags, "steps", 1, 100_000) ?? CONV_RUNS;
  const peer = bench.compare === "all" || bench.compare === "pytorch";
  if (peer) requirePermission({ name: "run" }, "--allow-run");
  return {
    presets: preset ? [preset] : CONV_PRESETS,
    runs,
    rounds: Math.min(
      intFlag(flags, "rounds", 1, 100) ?? flagDefault<number>(BENCH_FLAGS, "rounds"),
      runs,
    ),
    threads: bench.threadsFlag,
    peer,
    json: bench.json,
  };
}

/** `bench --profile`: one step's time by kernel, and what is left for bookkeeping. */
async function profileCommand(bench: BenchSettings, log: (line: string) => void): Promise<number> {
  const profile = await profileStep({
    preset: bench.preset,
    faithful: bench.faithful,
    steps: bench.steps,
    threads: bench.threadsFlag,
  });
  log(
    `bench --profile: ${bench.preset} preset, batch ${
      getPreset(bench.preset).training.batchSize
    }, ${bench.faithful ? "the original recipe" : "the recipe train uses"}, wasm with our kernels`,
  );
  for (const line of profileLines(profile)) log(line);
  if (bench.json) {
    console.log(JSON.stringify({
      preset: bench.preset,
      kind: profile.kind,
      ms_per_step: round(profile.stepMs),
      groups: Object.fromEntries(Object.entries(profile.groups).map(([k, v]) => [k, round(v)])),
      bookkeeping_ms: round(profile.bookkeepingMs),
      kernels: profile.kernels.map((k) => ({ ...k, ms: round(k.ms) })),
    }));
  }
  return 0;
}

/** Starts our backend and lists the rows `--compare` asks for (PyTorch's where it is found). */
async function benchRows(bench: BenchSettings, log: (line: string) => void): Promise<BenchRows> {
  const ours = await selectBackend("wasm", { threads: bench.threadsFlag });
  // Every architecture but the MLP is convolutional (dcgan, progan, stylegan).
  const conv = (getPreset(bench.preset).generator.architecture ?? "mlp") !== "mlp";
  const threads = (ours.description.includes("2 threads") ? 2 : 1) as 1 | 2;
  const rows: Row[] = [{ name: `ours: ${ours.description}`, ms: [] }];
  const withTfjs = bench.compare === "all" || bench.compare === "tfjs";
  const withPeer = bench.compare === "all" || bench.compare === "pytorch";
  if (withTfjs) {
    rows.push(
      // A convolutional step is always an autograd step: the row would repeat ours.
      {
        name: "ours, as tf.js ops + autograd (our kernels)",
        ms: [],
        failed: conv ? SAME : undefined,
      },
      { name: "stock tf.js wasm", ms: [] },
      // Plain JavaScript convolutions take about a minute a DCGAN step.
      { name: "tf.js cpu", ms: [], failed: conv ? "not timed: about a minute a step" : undefined },
    );
  }
  if (!withPeer) return { rows, withTfjs, threads };
  requirePermission({ name: "run" }, "--allow-run");
  const peer = await findPeerPython();
  if ("python" in peer) {
    rows.push(
      { name: `PyTorch ${peer.torch} CPU, 1 torch thread`, ms: [] },
      { name: `PyTorch ${peer.torch} CPU, 2 torch threads`, ms: [] },
    );
  } else {
    log(`PyTorch peer: ${peer.missing}`);
  }
  return { rows, withTfjs, peer, threads };
}

/** One round: each row's share of the steps, in the rows' order. */
async function timeRound(
  bench: BenchSettings,
  rows: Row[],
  withTfjs: boolean,
  peer: PeerPython | undefined,
  threads: 1 | 2,
): Promise<void> {
  const { preset, faithful, steps } = bench;
  const perRound = (n: number) => Math.max(1, Math.round(n / bench.rounds));
  rows[0].ms.push(
    await timeSteps({ preset, faithful, steps: perRound(steps), backend: "wasm", threads }),
  );
  if (withTfjs) {
    await timeRow(rows[1], () =>
      timeSteps({
        preset,
        faithful,
        steps: perRound(Math.min(steps, 100)),
        backend: "wasm",
        threads,
        autograd: true,
      }));
    await timeRow(rows[2], () =>
      timeSteps({
        preset,
        faithful,
        steps: perRound(Math.min(steps, 40)),
        backend: "wasm",
        kernels: "stock",
      }));
    await timeRow(rows[3], () =>
      timeSteps({
        preset,
        faithful,
        steps: perRound(Math.min(steps, 10)),
        backend: "cpu",
        warmup: 1,
      }));
  }
  if (peer && "python" in peer) {
    const at = withTfjs ? 4 : 1;
    rows[at].ms.push(await timePeerSteps(peer.python, preset, faithful, perRound(steps), 1));
    rows[at + 1].ms.push(await timePeerSteps(peer.python, preset, faithful, perRound(steps), 2));
  }
}

/** The table of times: each row's ms a step and how it compares with ours. */
function logTimes(rows: Row[], peerMs: number | null, log: (line: string) => void): void {
  const ourMs = mean(rows[0].ms);
  const width = Math.max(...rows.map((row) => row.name.length));
  log("");
  log(`${"".padEnd(width)}  ms/step   against ours`);
  for (const row of rows) {
    if (row.failed) {
      const why = row.failed === SAME || row.failed.startsWith("not timed")
        ? row.failed
        : `cannot train this model: ${row.failed}`;
      log(`${row.name.padEnd(width)}        –   ${why}`);
      continue;
    }
    const ms = mean(row.ms);
    const ratio = ms / ourMs;
    const against = row === rows[0]
      ? "1.00×"
      : ratio >= 1
      ? `${ratio.toFixed(2)}× slower`
      : `${(1 / ratio).toFixed(2)}× faster`;
    log(`${row.name.padEnd(width)}  ${ms.toFixed(2).padStart(7)}   ${against}`);
  }
  if (peerMs !== null) {
    log(`\nours / PyTorch (its fastest setting): ${(ourMs / peerMs).toFixed(2)}`);
  }
}

/** The speeds of the step's matrix products on our kernel, logged and returned by shape. */
async function logGflops(
  preset: PresetName,
  threads: 1 | 2,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const gflops: Record<string, number> = {};
  await selectBackend("wasm", { threads });
  log(
    `\nmatrix products of the ${preset} step, our kernel (${threads} thread${
      threads === 1 ? "" : "s"
    }):`,
  );
  for (const shape of presetProducts(preset)) {
    const name =
      `${shape.transposeA ? "(" : ""}${shape.m}×${shape.k}${shape.transposeA ? ")ᵀ" : ""} · ` +
      `${shape.transposeB ? "(" : ""}${shape.k}×${shape.n}${shape.transposeB ? ")ᵀ" : ""}`;
    gflops[name] = round(productGflops(shape), 3);
    log(`  ${name.padEnd(24)} ${gflops[name].toFixed(1).padStart(6)} GFLOPS`);
  }
  return gflops;
}
