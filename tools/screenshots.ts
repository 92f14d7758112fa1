/**
 * Regenerates the web interface's screenshots in `docs/` from real trained models, through the
 * library's own CLI and server, in headless Chromium (playwright-core):
 *
 * - `serve-explorer.png`: `serve --model` on a trained `cdcgan`, digit 7 picked;
 * - `serve-phone.png`: the same page at a phone's width (390 px), digits mixed;
 * - `serve-live.png`: `train --serve` on a `cgan` run, caught during its last epoch: the curves
 *   so far, the grid and the evaluator's metrics of the epochs before, Pause and Stop;
 * - `serve-run.png`: `serve --run` on the cdcgan run: its `log.jsonl` and last grid, as a run
 *   that another process wrote.
 *
 * The cdcgan run is trained once into `--runs DIR` (default `runs/screenshots`) and then reused:
 * a run there is resumed (`train --resume`), which does nothing when it has finished, so a rerun
 * costs only the live run; `--retrain` trains it again. The live run is trained every time (it is
 * what the live view shows). The script checks its explorer shots with the built-in evaluator's
 * classifier and fails when the picked digit is not what the generator draws.
 *
 * End to end on 2 CPU cores (wasm, `--threads 1`): about 30 minutes, nearly all of it the
 * cdcgan (2 epochs of 937 steps at about 0.5 s a step); with the cdcgan reused, about 2 minutes.
 *
 * Usage: `deno task screenshots [--runs DIR] [--out DIR] [--threads 1|2] [--retrain]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { selectBackend } from "../src/backend/select.ts";
import { classifyImages, loadClassifier } from "../src/eval/classifier.ts";
import { dataOf, findChromium, gridImages, NO_CHROMIUM, openPage, until } from "./headless.ts";

// The runs, as `train` takes them. The cdcgan: the fewest epochs whose digits are clean and of
// the picked class. The live run: enough epochs for the curves to have a shape.
const CDCGAN_RUN = ["--preset", "cdcgan", "--epochs", "3", "--seed", "1", "--eval-every", "1"];
const LIVE_RUN = [
  ["--preset", "cgan", "--epochs", "6", "--seed", "1"],
  ["--eval-every", "1", "--eval-samples", "1000"],
].flat();
/** The digit the explorer shot picks. */
const DIGIT = 7;
/** Of the 64 samples of that digit, how many the classifier must read as it. */
const DIGIT_HITS = 56;

const HELP = `Usage: deno task screenshots [--runs DIR] [--out DIR] [--threads 1|2] [--retrain]

Trains (or reuses) a cdcgan run and trains a live cgan run, serves them with cli.ts
(serve --model, serve --run, train --serve) and writes the web interface's screenshots
(serve-explorer.png, serve-phone.png, serve-live.png, serve-run.png) into --out.

  --runs DIR     where the runs are trained and reused      (default: runs/screenshots)
  --out DIR      where the screenshots go                   (default: docs)
  --threads N    threads of the wasm kernels, as train's --threads
  --retrain      train the cdcgan again even if DIR holds it
`;

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-net=127.0.0.1"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `cli.ts` in a child process, its output passed through to ours and kept to be watched. */
class CliProcess {
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #output = "";
  #ended = false;
  #command: string;

  constructor(args: string[]) {
    this.#command = `cli.ts ${args[0]}`;
    console.log(`$ ${this.#command} ${args.slice(1).join(" ")}`);
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, CLI, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.status = this.#pump().then(() => this.#child.status).finally(() => this.#ended = true);
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      await Deno.stdout.write(chunk);
      this.#output += decoder.decode(chunk, { stream: true });
    }
  }

  /** The first match of `pattern` in the output, once it is there. */
  async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const match = pattern.exec(this.#output);
      if (match) return match;
      if (this.#ended) {
        const { code } = await this.status;
        throw new Error(`${this.#command} ended (exit code ${code}) before printing ${pattern}`);
      }
      await sleep(100);
    }
  }

  /** Waits for the command to end, and fails unless it succeeded. */
  async done(): Promise<void> {
    const { success, code } = await this.status;
    if (!success) throw new Error(`${this.#command} failed (exit code ${code})`);
  }

  /** Ctrl-C, and the end. */
  async interrupt(): Promise<void> {
    if (!this.#ended) this.#child.kill("SIGINT");
    await this.done();
  }

  /** Ends the command at once (after a failure elsewhere). */
  async kill(): Promise<void> {
    if (!this.#ended) this.#child.kill("SIGTERM");
    await this.status;
  }
}

/**
 * Runs a `serve` (or `train --serve`) command while `use` uses its page's URL, then presses
 * Ctrl-C (after the output shows `finish`, if given).
 */
async function serving(
  args: string[],
  use: (url: string) => Promise<void>,
  finish?: RegExp,
): Promise<void> {
  const server = new CliProcess([...args, "--port", "0"]);
  try {
    const [, url] = await server.waitFor(/(?:at|live view:) (http:\/\/\S+\/)/);
    await use(url);
    if (finish) await server.waitFor(finish);
  } catch (error) {
    await server.kill();
    throw error;
  }
  await server.interrupt();
}

/** Where the page's content ends (the viewport's bottom at most), for a shot without the void. */
async function contentHeight(page: Page, viewport: number): Promise<number> {
  const bottom = await page.evaluate(`(() => {
    const panel = [...document.querySelectorAll("[role=tabpanel]")].find((p) => !p.hidden);
    return Math.ceil(panel.getBoundingClientRect().bottom);
  })()`) as number;
  return Math.min(viewport, bottom + 24);
}

/** The explorer shots: digit {@linkcode DIGIT} picked at 1280 px, and a phone's width, mixed. */
async function explorerShots(browser: Browser, url: string, out: string, errors: string[]) {
  const page = await openPage(browser, url, errors, 1280, 860);
  await until(page, `document.getElementById("explore").dataset.ready === "true"`, 300_000);
  await page.click(`#digit-buttons [data-digit="${DIGIT}"]`);
  await until(page, `document.getElementById("grid").dataset.labels === "${DIGIT}"`, 300_000);
  await until(page, `document.getElementById("focus").dataset.renders !== undefined`);
  await selectBackend("wasm", { threads: 1 });
  const { probabilities } = await classifyImages(
    await loadClassifier(),
    await gridImages(page, "#grid", 64),
  );
  let hits = 0;
  for (let i = 0; i < 64; i++) {
    const p = [...probabilities.subarray(i * 10, i * 10 + 10)];
    if (p.indexOf(Math.max(...p)) === DIGIT) hits++;
  }
  console.log(`the evaluator's classifier reads ${hits} of the 64 samples as ${DIGIT}`);
  if (hits < DIGIT_HITS) {
    throw new Error(
      `only ${hits} of 64 samples of digit ${DIGIT} read as ${DIGIT} (${DIGIT_HITS} needed): ` +
        `the cdcgan needs more training (--retrain after raising its epochs)`,
    );
  }
  await sleep(500);
  await page.screenshot({ path: join(out, "serve-explorer.png"), fullPage: true });
  await page.close();

  const phone = await openPage(browser, url, errors, 390, 844);
  await until(phone, `document.getElementById("explore").dataset.ready === "true"`, 300_000);
  await sleep(500);
  await phone.screenshot({ path: join(out, "serve-phone.png"), fullPage: true });
  await phone.close();
}

/** The live view of `train --serve`, caught a quarter into its last epoch. */
async function liveShot(page: Page, out: string) {
  await until(
    page,
    `(() => {
        const view = document.getElementById("live-view");
        const progress = view.querySelector('[data-role="progress"]').textContent;
        const at = /epoch (\\d+)\\/(\\d+) · step (\\d+)\\/(\\d+)/.exec(progress);
        const image = view.querySelector('[data-role="grid-image"]');
        return view.dataset.state === "done" || view.dataset.state === "running" && at !== null &&
          at[1] === at[2] && Number(at[3]) >= Number(at[4]) / 4 && image.complete &&
          image.naturalWidth > 0 && !view.querySelector('[data-role="quality"]').hidden;
      })()`,
    600_000,
  );
  const caught = await dataOf(page, "live-view", "state");
  if (caught !== "running") {
    throw new Error("the live run finished before it was caught in its last epoch");
  }
  await sleep(400); // the progress bar's transition
  const height = await contentHeight(page, 860);
  await page.screenshot({
    path: join(out, "serve-live.png"),
    clip: { x: 0, y: 0, width: 1280, height },
  });
}

async function main(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "runs/screenshots" },
      out: { type: "string", default: "docs" },
      threads: { type: "string" },
      retrain: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const executablePath = findChromium();
  if (!executablePath) throw new Error(NO_CHROMIUM);
  if (!(await Deno.stat(executablePath).then((info) => info.isFile, () => false))) {
    throw new Error(`no chromium at ${executablePath} (from $CHROMIUM)`);
  }
  const threads = flags.threads === undefined ? [] : ["--threads", flags.threads];
  const cdcgan = join(flags.runs, "cdcgan"), live = join(flags.runs, "live");
  const started = Date.now();

  const trained = await Deno.stat(join(cdcgan, "config.json")).then(() => true, () => false);
  await new CliProcess(
    trained && !flags.retrain
      ? ["train", "--resume", cdcgan, ...threads]
      : ["train", ...CDCGAN_RUN, ...threads, "--out", cdcgan, "--force"],
  ).done();

  await Deno.mkdir(flags.out, { recursive: true });
  const browser = await chromium.launch({ executablePath, headless: true });
  const errors: string[] = [];
  try {
    await serving(
      ["serve", "--model", cdcgan],
      (url) => explorerShots(browser, url, flags.out, errors),
    );

    await serving(["serve", "--run", cdcgan], async (url) => {
      const page = await openPage(browser, url, errors, 1280, 860);
      await until(page, `document.getElementById("explore").dataset.ready === "true"`, 300_000);
      await until(page, `document.querySelector('#live-view [data-role="grid-image"]').complete`);
      await sleep(500);
      const height = await contentHeight(page, 860);
      await page.screenshot({
        path: join(flags.out, "serve-run.png"),
        clip: { x: 0, y: 0, width: 1280, height },
      });
      await page.close();
    });

    const training = ["train", ...LIVE_RUN, ...threads, "--out", live, "--force", "--serve"];
    await serving(training, async (url) => {
      const page = await openPage(browser, url, errors, 1280, 860);
      await liveShot(page, flags.out);
      await page.close();
    }, /still serving/);
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join("; ")}`);
  } finally {
    await browser.close();
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`screenshots written to ${flags.out} in ${minutes} min`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`screenshots: ${(error as Error).message ?? error}`);
    Deno.exit(1);
  }
}
