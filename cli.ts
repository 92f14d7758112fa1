/**
 * The @gan/mnist command line: `train`, `sample`, `eval` and `bench`, with `--help` on each.
 *
 * ```sh
 * deno run -A jsr:@gan/mnist/cli train --preset lite --epochs 10 --seed 1 --out runs/lite
 * deno run -A jsr:@gan/mnist/cli sample --model runs/lite --n 100 --out grid.png
 * deno run -A jsr:@gan/mnist/cli eval --model runs/lite --n 10000 --json
 * ```
 *
 * From a checkout: `deno task cli train …`. Narrow permissions suffice: `--allow-read`, writing
 * only the output (`--allow-write=runs`), and for `serve` listening on one address
 * (`--allow-net=127.0.0.1:8000`); docs/cli.md lists them for each command. A run stopped by Ctrl-C,
 * a crash or a kill goes on with `train --resume DIR`.
 *
 * @module
 */

import { main } from "./src/cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
