/**
 * `deno task gallery`: trains every preset with its defaults as a user would (`cli.ts train
 * --preset P --seed 1`, each in its own process, timed), runs the demo exactly as the README
 * writes it (`deno task demo`), scores each generator on 10,000 samples (`cli.ts eval --n 10000
 * --seed 2`, and the independent PyTorch judge of tools/peer/judge.py where Python has torch and
 * scipy), writes one grid per preset into docs/gallery/ and the table between the
 * `<!-- presets table -->` markers of README.md and docs/presets.md.
 *
 * ```sh
 * deno task gallery                          # everything: about 75 minutes on 2 cores
 * deno task gallery --presets lite,tutorial  # only these (the table keeps the others' rows)
 * deno task gallery --presets lite-faithful  # the original recipe too (standard-, tutorial-)
 * deno task gallery --reuse                  # rebuild grids and table from runs/gallery/
 * ```
 *
 * Wall times are the machine's: run it alone on the machine (they are what the README reports).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { bundledMnistDir, evaluate, loadMnist, selectBackend } from "../mod.ts";
import { findPeerPython } from "../src/cli/bench/peer.ts";

/** The rows of the table, in order: the demo, then every MNIST preset. */
const ENTRIES = ["demo", "quick", "standard", "lite", "tutorial", "dcgan", "cgan", "cdcgan"];
/**
 * The original projects' recipes (`--faithful`) of the presets whose defaults differ from them:
 * rows beside the defaults', trained only when asked for (`--presets lite-faithful,…`).
 */
const FAITHFUL = ["standard-faithful", "lite-faithful", "tutorial-faithful"];
/** Every row, in the table's order. */
const ROWS = ENTRIES.flatMap((name) => [name, ...FAITHFUL.filter((f) => f === `${name}-faithful`)]);

/** What the gallery keeps of one default run (docs/gallery/results.json, by name). */
interface GalleryRecord {
  name: string;
  epochs: number;
  wallSeconds: number;
  fid: number;
  is: number;
  coverage: number;
  precision: number;
  recall: number;
  judgeFid?: number;
  judgeClasses?: number;
  date: string;
  cores: number;
}

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = join(ROOT, "runs", "gallery");
const GALLERY = join(ROOT, "docs", "gallery");
const RESULTS = join(GALLERY, "results.json");

/** Runs a command in the project's root; its output goes to `log` (and the terminal). */
async function run(
  args: string[],
  log?: string,
): Promise<{ seconds: number; stdout: string; output: string }> {
  const started = performance.now();
  const child = new Deno.Command(args[0], {
    args: args.slice(1),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [out, status] = await Promise.all([child.output(), child.status]);
  const seconds = (performance.now() - started) / 1000;
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (log) await Deno.writeTextFile(log, stdout + stderr);
  if (!status.success) {
    throw new Error(`${args.join(" ")} failed (exit ${status.code}):\n${stderr.slice(-2000)}`);
  }
  return { seconds, stdout, output: stdout + stderr };
}

const cli = (
  ...args: string[]
) => ["deno", "run", "--allow-read", "--allow-write", "cli.ts", ...args];

/** The independent judge's FID and classes ≥ 5% of an IDX file, or undefined without torch. */
async function judge(idx: string): Promise<{ fid: number; classes: number } | undefined> {
  const peer = await findPeerPython();
  if ("missing" in peer) return undefined;
  const python = peer.python;
  const { output } = await run([
    python,
    "tools/peer/judge.py",
    "--data",
    await bundledMnistDir(),
    idx,
  ]);
  const match = output.match(/FID ([\d.]+), classes >=5%: (\d+)/);
  return match ? { fid: Number(match[1]), classes: Number(match[2]) } : undefined;
}

/** Trains (or, for the demo, runs the demo), samples, scores: the record of one entry. */
async function measure(name: string): Promise<GalleryRecord> {
  const out = join(RUNS, name);
  let seconds: number;
  let model = out;
  console.log(`gallery: ${name}: training…`);
  if (name === "demo") {
    ({ seconds } = await run(["deno", "task", "demo"], `${out}.log`));
    model = join(ROOT, "runs", "demo");
    await Deno.copyFile(join(model, "grid.png"), join(GALLERY, "demo.png"));
  } else {
    const [preset, faithful] = name.split("-");
    const recipe = ["--preset", preset, ...(faithful ? ["--faithful"] : [])];
    ({ seconds } = await run(
      cli("train", ...recipe, "--seed", "1", "--out", out, "--force"),
      `${out}.log`,
    ));
    await run(
      cli(
        "sample",
        "--model",
        out,
        "--n",
        "100",
        "--seed",
        "1",
        "--out",
        join(GALLERY, `${name}.png`),
      ),
    );
  }
  const config = JSON.parse(await Deno.readTextFile(join(model, "config.json")));
  console.log(`gallery: ${name}: ${seconds.toFixed(0)} s; scoring…`);
  const { stdout } = await run([
    ...cli("eval", "--model", model, "--n", "10000", "--seed", "2", "--json"),
  ]);
  const scores = JSON.parse(stdout.trim().split("\n").at(-1)!);
  const idx = join(RUNS, `${name}-10k.idx`);
  await run(cli("sample", "--model", model, "--n", "10000", "--seed", "2", "--out", idx));
  const judged = await judge(idx);
  await Deno.remove(idx);
  return {
    name,
    epochs: config.settings.training?.epochs ?? config.settings.epochs,
    wallSeconds: Math.round(seconds),
    fid: scores.fid,
    is: scores.is,
    coverage: scores.coverage,
    precision: scores.precision,
    recall: scores.recall,
    ...(judged ? { judgeFid: judged.fid, judgeClasses: judged.classes } : {}),
    date: new Date().toISOString().slice(0, 10),
    cores: navigator.hardwareConcurrency,
  };
}

const minutes = (s: number) => `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;

/** The markdown table of the records, with real digits' scores as the last row. */
function table(
  records: GalleryRecord[],
  real: { fid: number; is: number; precision: number; recall: number },
): string {
  const head =
    "| preset | epochs | wall time, 2-core CPU | FID | IS | classes ≥ 5% | precision | recall | judge's FID (classes) |";
  const rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const label = (name: string) =>
    name === "demo"
      ? "`deno task demo`"
      : name.endsWith("-faithful")
      ? `\`${name.split("-")[0]} --faithful\``
      : `\`${name}\``;
  const rows = records.map((r) =>
    `| ${label(r.name)} | ${r.epochs} | ${minutes(r.wallSeconds)} | ${r.fid.toFixed(2)} | ${
      r.is.toFixed(2)
    } | ${r.coverage}/10 | ${r.precision.toFixed(3)} | ${r.recall.toFixed(3)} | ${
      r.judgeFid === undefined ? "–" : `${r.judgeFid.toFixed(1)} (${r.judgeClasses}/10)`
    } |`
  );
  const realRow = `| real MNIST digits | – | – | ${real.fid.toFixed(2)} | ${
    real.is.toFixed(2)
  } | 10/10 | ${real.precision.toFixed(3)} | ${real.recall.toFixed(3)} | – |`;
  return [head, rule, ...rows, realRow].join("\n");
}

/** Replaces what stands between the presets-table markers of a file. */
async function writeTable(path: string, markdown: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  const start = "<!-- presets table -->", end = "<!-- /presets table -->";
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${path} has no ${start} … ${end} markers`);
  await Deno.writeTextFile(
    path,
    `${text.slice(0, a + start.length)}\n\n${markdown}\n\n${text.slice(b)}`,
  );
}

const flags = parseArgs({
  args: Deno.args,
  options: { presets: { type: "string" }, reuse: { type: "boolean" } },
});
const chosen = flags.values.presets?.split(",") ?? ENTRIES;
for (const name of chosen) {
  if (!ROWS.includes(name)) {
    throw new Error(`--presets: unknown "${name}" (one of ${ROWS.join(", ")})`);
  }
}
await Deno.mkdir(RUNS, { recursive: true });
await Deno.mkdir(GALLERY, { recursive: true });
let results: Record<string, GalleryRecord> = {};
try {
  results = JSON.parse(await Deno.readTextFile(RESULTS));
} catch (error) {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}
if (!flags.values.reuse) {
  for (const name of chosen) {
    results[name] = await measure(name);
    await Deno.writeTextFile(RESULTS, JSON.stringify(results, null, 2) + "\n");
    console.log(`gallery: ${name}: ${JSON.stringify(results[name])}`);
  }
}
const records = ROWS.filter((name) => results[name]).map((name) => results[name]);
await selectBackend("wasm");
const real = await evaluate(await loadMnist({ split: "train", limit: 10_000 }));
const markdown = table(records, real);
await writeTable(join(ROOT, "README.md"), markdown);
await writeTable(join(ROOT, "docs", "presets.md"), markdown);
console.log(markdown);
