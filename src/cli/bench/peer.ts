/**
 * The PyTorch peer: tools/peer/gan_mnist_torch.py (embedded), run with a Python that has torch,
 * timing the same model and step. Deno only (it starts a process).
 *
 * @module
 */

import type { PresetName } from "../../models/presets.ts";
import { PEER_SCRIPT } from "./peer_script.ts";

/** A Python with torch, or why there is none. */
export type PeerPython = { python: string; torch: string } | { missing: string };

/** Where Debian's python3-torch lives, and whatever python3 is first on the PATH. */
const CANDIDATES = ["python3", "/usr/bin/python3"];

const HOW_TO_INSTALL =
  "install Debian's python3-torch and libopenblas0 (deno task peer:install, as root)";

/**
 * Finds a Python that imports torch.
 *
 * @returns Its command and torch's version, or why there is none.
 */
export async function findPeerPython(): Promise<PeerPython> {
  for (const python of CANDIDATES) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (out.success) return { python, torch: new TextDecoder().decode(out.stdout).trim() };
    } catch {
      // not there
    }
  }
  return { missing: `no Python with torch found (${CANDIDATES.join(", ")}); ${HOW_TO_INSTALL}` };
}

/**
 * Times the peer's training step: `gan_mnist_torch.py time`.
 *
 * @param python The Python to run.
 * @param preset The preset.
 * @param faithful The original recipe as written (`--faithful`), or the preset as we train it.
 * @param steps Steps to time.
 * @param threads torch's thread count (OpenBLAS's is left as it is).
 * @returns Milliseconds per step.
 */
export async function timePeerSteps(
  python: string,
  preset: PresetName,
  faithful: boolean,
  steps: number,
  threads: number,
): Promise<number> {
  const line = await runPeer(python, [
    "time",
    "--preset",
    preset,
    ...(faithful ? ["--faithful"] : []),
    "--steps",
    String(steps),
    "--threads",
    String(threads),
  ]);
  return JSON.parse(line).ms_per_step;
}

/**
 * Runs the embedded peer script with arguments and returns the last line it printed.
 *
 * @param python The Python to run.
 * @param args The script's arguments (`time …`, `convs …`).
 * @returns Its last line on stdout (the JSON answer).
 * @throws {Error} If it fails, with its last line on stderr.
 * @example
 * ```ts ignore
 * const line = await runPeer("python3", ["convs", "--threads", "1", "--json"]);
 * ```
 */
export async function runPeer(python: string, args: string[]): Promise<string> {
  const child = new Deno.Command(python, {
    args: ["-", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(PEER_SCRIPT));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    const error = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
    throw new Error(`the PyTorch peer failed: ${error}`);
  }
  return text.split("\n").pop()!;
}
