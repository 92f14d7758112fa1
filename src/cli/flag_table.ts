/**
 * A command's flags as one table: each row's type, default, help text and whether `train --resume`
 * may change it. The parser ({@linkcode flagSpecs}), `--help` ({@linkcode optionsHelp}) and the
 * resume check ({@linkcode resumeFlags}) all read it, so a flag is described once.
 *
 * @module
 */

import { type Preset, PRESET_NAMES, PRESETS } from "../models/presets.ts";
import type { FlagSpec } from "./args.ts";

/** One flag: how it parses, what `--help` says of it, how it goes with `--resume`. */
export interface FlagRow {
  /** `"string"` takes a value, `"boolean"` is a switch. */
  type: "string" | "boolean";
  /** A one-letter alias (`-h`). */
  short?: string;
  /** The value's name in `--help` (`N`, `DIR`); none for a switch. */
  value?: string;
  /**
   * The help text, one string a line as `--help` shows it (the first beside the flag).
   * `$default` stands for {@linkcode FlagRow.default}.
   */
  help: readonly string[];
  /** The value when the flag is absent, where it is one value for every preset. */
  default?: string | number;
  /**
   * The value when the flag is absent, where each preset has its own: read from the preset's data,
   * and shown under the help as `(default: quick 0.001; the others 0.0002)`.
   */
  presetDefault?: (preset: Preset) => string | number;
  /**
   * With `train --resume`: `"changes"`, it may change the resumed run (`--epochs` extends it);
   * `"kept"`, it may be given but the run keeps its settings (`--preset` must match); absent,
   * it is refused.
   */
  resume?: "changes" | "kept";
  /** `sample`'s walk flags, which its `--help` lists in a section of their own. */
  walk?: boolean;
}

/** A command's flags by name (without dashes), in the order `--help` lists them. */
export type FlagTable = Readonly<Record<string, FlagRow>>;

/**
 * The table as `parseFlags` takes it: each flag's type and alias.
 *
 * @param table The command's flags.
 * @returns The specs by flag name.
 * @example
 * ```ts ignore
 * const flags = parseFlags(args, flagSpecs(TRAIN_FLAGS), "train");
 * ```
 */
export function flagSpecs(table: FlagTable): Record<string, FlagSpec> {
  return Object.fromEntries(
    Object.entries(table).map((
      [name, row],
    ) => [name, row.short ? { type: row.type, short: row.short } : { type: row.type }]),
  );
}

/**
 * The "Options:" block of a command's `--help`: each flag, then its help lines indented to
 * `column` (on the next line where the flag is too long), then its per-preset default.
 *
 * @param table The command's flags.
 * @param column Where the help text starts.
 * @param only Which rows to list (all by default).
 * @returns The lines, without a trailing newline.
 * @example
 * ```ts ignore
 * console.log(`Options:\n${optionsHelp(TRAIN_FLAGS)}`);
 * ```
 */
export function optionsHelp(
  table: FlagTable,
  column = 21,
  only: (row: FlagRow) => boolean = () => true,
): string {
  const indent = " ".repeat(column);
  const lines: string[] = [];
  for (const [name, row] of Object.entries(table).filter(([, row]) => only(row))) {
    const head = `  ${row.short ? `-${row.short}, ` : ""}--${name}${
      row.value ? ` ${row.value}` : ""
    }`;
    const help = row.help.map((line) => line.replace("$default", String(row.default)));
    if (head.length < column) lines.push(head.padEnd(column) + help[0]);
    else lines.push(head, indent + help[0]);
    lines.push(...help.slice(1).map((line) => indent + line));
    if (row.presetDefault) lines.push(...presetDefaults(row.presetDefault, column));
  }
  return lines.join("\n");
}

/**
 * A setting's default in every preset, from the presets' data, wrapped under a flag's help:
 * `(default: quick 0.001; the others 0.0002)`, the most common value last.
 */
function presetDefaults(value: (preset: Preset) => string | number, column: number): string[] {
  const groups = new Map<string, string[]>();
  for (const name of PRESET_NAMES) {
    const key = String(value(PRESETS[name]));
    groups.set(key, [...groups.get(key) ?? [], name]);
  }
  const sorted = [...groups].sort((a, b) => a[1].length - b[1].length);
  const parts = sorted.map(([key, names], i) =>
    i === sorted.length - 1 && sorted.length > 1
      ? `the others ${key}`
      : `${names.join(", ")} ${key}`
  );
  const words = `(default: ${parts.length === 1 ? sorted[0][0] : parts.join("; ")})`.split(" ");
  const lines = [""];
  for (const word of words) {
    if (lines.at(-1)!.length + word.length + 1 > 66) lines.push("");
    lines[lines.length - 1] += (lines.at(-1) ? " " : "") + word;
  }
  return lines.map((line) => " ".repeat(column) + line);
}

/**
 * The flags that may come with `--resume`.
 *
 * @param table The command's flags.
 * @param which `"changes"`: only those that may change the resumed run; `"any"`: those and the
 * ones it keeps.
 * @returns Their names.
 * @example
 * ```ts ignore
 * resumeFlags(TRAIN_FLAGS, "changes"); // ["epochs", "backend", "threads", "checkpoint-every", "on-nan"]
 * ```
 */
export function resumeFlags(table: FlagTable, which: "changes" | "any"): string[] {
  return Object.entries(table)
    .filter(([, row]) => row.resume === "changes" || (which === "any" && row.resume === "kept"))
    .map(([name]) => name);
}

/**
 * A flag's default from the table.
 *
 * @param table The command's flags.
 * @param name The flag.
 * @returns Its `default`.
 * @example
 * ```ts ignore
 * const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1) ?? flagDefault(TRAIN_FLAGS, "seed");
 * ```
 */
export function flagDefault<T extends string | number>(table: FlagTable, name: string): T {
  const value = table[name]?.default;
  if (value === undefined) throw new TypeError(`Flag --${name} has no default in its table`);
  return value as T;
}
