/**
 * Every command as a user first meets it: only its required arguments, the permissions of
 * `deno task cli`, in a fresh working directory, with the bundled MNIST. Each must exit 0 and
 * write what its `--help` promises. Only `train --epochs 1` and `eval --n 2000` are shortened,
 * where the full default run (10 epochs; 10,000 samples) would make the suite too long; every
 * other value is the command's own default (`serve` on its own port 8000, `bench` with its
 * 200 steps and every peer it finds, with the permissions the README gives it). `cifar10` is left
 * out: it unpacks a 160 MB npm package, and tests/cifar_test.ts runs it on a small one.
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_PRESET } from "../src/models/presets.ts";
import { readUntil } from "./helpers.ts";
import { decode } from "fast-png";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const tasks = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
).tasks as Record<string, string>;
/** The permissions `deno task cli` gives the CLI. */
const PERMISSIONS = tasks.cli.split(" ").filter((word) => word.startsWith("--allow-"));

const cwd = await Deno.makeTempDir({ prefix: "gan-defaults-" });

/** `bench` runs its peers: the README gives it `deno run --allow-read --allow-run`. */
const BENCH_PERMISSIONS = ["--allow-read", "--allow-run"];

function command(args: string[]): Deno.Command {
  const permissions = args[0] === "bench" ? BENCH_PERMISSIONS : PERMISSIONS;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, CLI, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const output = await command(args).output();
  const decoder = new TextDecoder();
  const result = { stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
  equal(output.code, 0, `cli.ts ${args.join(" ")} exited ${output.code}:\n${result.stderr}`);
  return result;
}

async function png(path: string): Promise<{ width: number; height: number }> {
  const image = decode(await Deno.readFile(join(cwd, path)));
  return { width: image.width, height: image.height };
}

const exists = async (path: string) => {
  try {
    await Deno.stat(join(cwd, path));
    return true;
  } catch {
    return false;
  }
};

Deno.test({
  name: "every command with only its required arguments exits 0 and writes what it promises",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step("--help of every command", async () => {
      for (const name of ["train", "sample", "eval", "serve", "bench"]) {
        const { stdout } = await cli(name, "--help");
        ok(stdout.startsWith(`Usage: cli.ts ${name}`), `${name} --help: ${stdout.slice(0, 80)}`);
      }
      const { stdout } = await cli("--help");
      for (const name of ["train", "sample", "eval", "bench", "serve", "cifar10"]) {
        match(stdout, new RegExp(`^  ${name} `, "m"));
      }
    });

    const run = `runs/${DEFAULT_PRESET}-s0`;
    await t.step(
      `train --epochs 1: the default preset (${DEFAULT_PRESET}) into ${run}`,
      async () => {
        await cli("train", "--epochs", "1");
        // What train --help promises: models, log.jsonl, loss.svg, the epoch's grid, the
        // time-lapse, config.json (and the checkpoint --resume reads).
        for (
          const file of [
            "generator/model.json",
            "discriminator/model.json",
            "log.jsonl",
            "loss.svg",
            "samples/epoch-001.png",
            "samples/progress.gif",
            "config.json",
            "checkpoint.ckpt",
          ]
        ) ok(await exists(join(run, file)), `${run}/${file} is missing`);
        const config = JSON.parse(await Deno.readTextFile(join(cwd, run, "config.json")));
        equal(config.settings.preset, DEFAULT_PRESET);
        const gif = await Deno.readFile(join(cwd, run, "samples", "progress.gif"));
        equal(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
        const svg = await Deno.readTextFile(join(cwd, run, "loss.svg"));
        ok(svg.includes("<svg") && svg.includes("</svg>"));
        const grid = await png(join(run, "samples", "epoch-001.png"));
        ok(grid.width >= 8 * 28 && grid.width === grid.height, JSON.stringify(grid));
      },
    );

    await t.step("sample --model RUN --out grid.png: 64 images, 8 a row", async () => {
      await cli("sample", "--model", run, "--out", "grid.png");
      const grid = await png("grid.png");
      ok(grid.width >= 8 * 28 && grid.width < 9 * 28 + 20, JSON.stringify(grid));
      equal(grid.width, grid.height);
    });

    await t.step("eval --model RUN --n 2000, and eval FILE.idx of sample's", async () => {
      const { stdout } = await cli("eval", "--model", run, "--n", "2000");
      match(stdout, /FID/);
      match(stdout, /IS/);
      match(stdout, /precision/);
      await cli("sample", "--model", run, "--n", "1000", "--out", "samples.idx");
      const idx = await Deno.readFile(join(cwd, "samples.idx"));
      equal(idx.length, 16 + 1000 * 784);
      match((await cli("eval", "samples.idx")).stdout, /FID/);
    });

    await t.step(
      "serve --model RUN: the page and the model on port 8000, Ctrl-C exits 0",
      async () => {
        const child = command(["serve", "--model", run]).spawn();
        const { said, reader } = await readUntil(child.stdout, "http://");
        match(said, /http:\/\/(127\.0\.0\.1|localhost):8000/);
        const page = await fetch("http://127.0.0.1:8000/");
        equal(page.status, 200);
        match(await page.text(), /<title>/);
        const info = await fetch("http://127.0.0.1:8000/api/info");
        equal(info.status, 200);
        await info.body?.cancel();
        child.kill("SIGINT");
        // Read on to the end: the stream closes when serve exits.
        while (!(await reader.read()).done);
        const status = await child.status;
        await child.stderr.cancel();
        equal(status.code, 0, "serve did not exit 0 on Ctrl-C");
      },
    );

    await t.step("bench: the default step timed, ours beside the peers", async () => {
      const { stdout } = await cli("bench");
      match(stdout, /ours/i);
      match(stdout, /ms/);
    });

    await Deno.remove(cwd, { recursive: true });
  },
});
