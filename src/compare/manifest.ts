/**
 * A comparison's `compare.json` (Deno only): the settings every variant shares and which variants
 * are finished, so that running the same comparison again skips those and resumes the rest, and a
 * comparison with other settings is refused rather than mixed in.
 *
 * @module
 */

import { join } from "node:path";
import { RunDirectoryError } from "../errors.ts";
import { describeFsError, writeFileAtomic } from "../fs.ts";
import type { PresetName } from "../models/presets.ts";
import { VERSION } from "../version.ts";
import { COMPARE_LAYOUT } from "./layout.ts";

/** What every variant of a comparison shares, resolved (the preset's values where not given). */
export interface ComparisonSettings {
  /** The preset. */
  preset: PresetName;
  /** The seed of every variant. */
  seed: number;
  /** Epochs of every variant. */
  epochs: number;
  /** Images trained on (null: all). */
  limit: number | null;
  /** Samples per evaluation (one after every epoch). */
  evalSamples: number;
  /** The variants' canonical names, in order. */
  variants: string[];
}

/** How a variant's training ended. */
export interface FinishedVariant {
  /** Epochs trained. */
  epochs: number;
  /** What stopped it early (a health issue such as `"non-finite"`); null when it ran through. */
  stoppedBy: string | null;
}

/** What `compare.json` holds. */
export interface ComparisonManifest {
  /** The library that wrote it, e.g. `@gan/mnist 0.1.0`. */
  library: string;
  /** The settings. */
  settings: ComparisonSettings;
  /** The variants whose training is over, by name. */
  finished: Record<string, FinishedVariant>;
}

/**
 * Reads a comparison's `compare.json`.
 *
 * @param dir The comparison directory.
 * @returns The manifest; undefined when there is none.
 * @throws {RunDirectoryError} If it is there but cannot be read or is not a comparison's.
 *
 * @example
 * ```ts
 * import { readManifest } from "./manifest.ts";
 *
 * console.log(await readManifest(await Deno.makeTempDir())); // undefined
 * ```
 */
export async function readManifest(dir: string): Promise<ComparisonManifest | undefined> {
  const path = join(dir, COMPARE_LAYOUT.manifest);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new RunDirectoryError(dir, `${COMPARE_LAYOUT.manifest}: ${describeFsError(error)}`);
  }
  let parsed: Partial<ComparisonManifest>;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RunDirectoryError(
      dir,
      `${COMPARE_LAYOUT.manifest} is not valid JSON (${(error as Error).message})`,
    );
  }
  const s = parsed?.settings;
  if (
    typeof s !== "object" || s === null || !Array.isArray(s.variants) ||
    typeof parsed.finished !== "object" || parsed.finished === null
  ) {
    throw new RunDirectoryError(dir, `${COMPARE_LAYOUT.manifest} is not a comparison's`);
  }
  return parsed as ComparisonManifest;
}

/**
 * Writes `compare.json` atomically.
 *
 * @param dir The comparison directory (made if missing).
 * @param settings The settings.
 * @param finished The variants finished so far.
 *
 * @example
 * ```ts
 * import { readManifest, writeManifest } from "./manifest.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const settings = { preset: "lite" as const, seed: 1, epochs: 2, limit: null, evalSamples: 500, variants: ["ns"] };
 * await writeManifest(dir, settings, {});
 * console.log((await readManifest(dir))?.settings.epochs); // 2
 * ```
 */
export async function writeManifest(
  dir: string,
  settings: ComparisonSettings,
  finished: Record<string, FinishedVariant>,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const manifest: ComparisonManifest = { library: `@gan/mnist ${VERSION}`, settings, finished };
  await writeFileAtomic(
    join(dir, COMPARE_LAYOUT.manifest),
    new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
  );
}

/**
 * How two comparisons' settings differ, in words.
 *
 * @param recorded The settings in `compare.json`.
 * @param asked The settings asked for now.
 * @returns E.g. `epochs 3, not 2; variants ns,hinge, not ns`; "" when they agree.
 *
 * @example
 * ```ts
 * import { settingsDifference } from "./manifest.ts";
 *
 * const a = { preset: "lite" as const, seed: 1, epochs: 2, limit: null, evalSamples: 500, variants: ["ns"] };
 * console.log(settingsDifference(a, { ...a, epochs: 3 })); // epochs 3, not 2
 * ```
 */
export function settingsDifference(
  recorded: ComparisonSettings,
  asked: ComparisonSettings,
): string {
  const keys: (keyof ComparisonSettings)[] = [
    "preset",
    "seed",
    "epochs",
    "limit",
    "evalSamples",
    "variants",
  ];
  const show = (x: unknown) => Array.isArray(x) ? x.join(",") : x === null ? "all" : String(x);
  return keys
    .filter((key) => show(recorded[key]) !== show(asked[key]))
    .map((key) => `${key} ${show(asked[key])}, not ${show(recorded[key])}`)
    .join("; ");
}
