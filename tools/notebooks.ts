/**
 * `deno task notebooks`: executes every notebook in notebooks/ headless (Jupyter's nbconvert with
 * the Deno kernel), one at a time and timed, then checks each executed copy
 * (tools/notebook_check.ts): no error output, every cell run, at least one image, no path of this
 * machine in it, executed in at most 180 s, under 1 MB. Exits 1 with one line per fault.
 *
 * ```sh
 * deno task notebooks               # execute into a temporary directory and check
 * deno task notebooks --write       # the same, then replace each notebook that passed by its executed copy
 * deno task notebooks 02 04         # only the notebooks whose names start so
 * ```
 *
 * Needs `jupyter` (with nbconvert) on the PATH and the Deno kernel installed
 * (`deno jupyter --install`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { notebookFaults } from "./notebook_check.ts";

/** The longest a notebook may take to execute, kernel start included. */
const MAX_SECONDS = 180;
/** The largest an executed notebook may be. */
const MAX_BYTES = 1_000_000;
/** nbconvert's limit per cell, above any sane cell so that the total is what is checked. */
const CELL_TIMEOUT = 300;

const ROOT = new URL("..", import.meta.url).pathname;
const NOTEBOOKS = join(ROOT, "notebooks");

/** Executes one notebook into `outDir`; returns the seconds it took and nbconvert's stderr. */
async function execute(
  path: string,
  outDir: string,
): Promise<{ seconds: number; ok: boolean; stderr: string }> {
  const started = performance.now();
  const output = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      `--ExecutePreprocessor.timeout=${CELL_TIMEOUT}`,
      "--output-dir",
      outDir,
      path,
    ],
    cwd: NOTEBOOKS,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    seconds: (performance.now() - started) / 1000,
    ok: output.success,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** The line of nbconvert's stderr that says what failed (a cell's exception, usually). */
function failureLine(stderr: string): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("Warning") && !l.startsWith("[NbConvertApp]"));
  const error = lines.findLast((l) => /^[A-Za-z.]*(Error|Exception)\b/.test(l));
  return (error ?? lines.at(-1) ?? "no message").slice(0, 200);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { write: { type: "boolean", default: false }, help: { type: "boolean" } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log("usage: deno task notebooks [--write] [NAME_PREFIX ...]");
    return 0;
  }
  const names = [...Deno.readDirSync(NOTEBOOKS)]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".ipynb"))
    .filter((name) =>
      positionals.length === 0 || positionals.some((p: string) => name.startsWith(p))
    )
    .sort();
  if (names.length === 0) {
    console.error("notebooks: no notebook matches");
    return 1;
  }
  const home = Deno.env.get("HOME");
  const paths = [ROOT, ...(home && home !== "/" ? [`${home}/`] : [])];
  const outDir = await Deno.makeTempDir({ prefix: "gan-notebooks-" });
  const faults: string[] = [];
  try {
    for (const name of names) {
      console.log(`notebooks: ${name}: executing…`);
      const run = await execute(join(NOTEBOOKS, name), outDir);
      const took = `${run.seconds.toFixed(0)} s`;
      if (!run.ok) {
        faults.push(`${name}: execution failed after ${took}: ${failureLine(run.stderr)}`);
        continue;
      }
      const executed = join(outDir, name);
      const bytes = await Deno.readFile(executed);
      const found = notebookFaults(JSON.parse(new TextDecoder().decode(bytes)), { paths })
        .map((fault) => `${name}: ${fault}`);
      if (run.seconds > MAX_SECONDS) {
        found.push(`${name}: executed in ${took}, over the ${MAX_SECONDS} s allowed`);
      }
      if (bytes.length > MAX_BYTES) {
        found.push(`${name}: ${bytes.length} bytes executed, over the ${MAX_BYTES} allowed`);
      }
      const size = `${(bytes.length / 1024).toFixed(0)} KB`;
      console.log(`notebooks: ${name}: ${took}, ${size}, ${found.length ? "FAILED" : "ok"}`);
      faults.push(...found);
      if (values.write && found.length === 0) {
        await Deno.copyFile(executed, join(NOTEBOOKS, basename(name)));
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
  for (const fault of faults) console.error(fault);
  if (values.write) {
    console.log(`notebooks: ${faults.length ? "wrote only those that passed" : "all written"}`);
  }
  return faults.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
