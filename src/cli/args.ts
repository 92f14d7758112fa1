/**
 * Flag parsing for the CLI on `node:util`'s parseArgs, with the checks every command shares. Each
 * fault becomes a {@linkcode UsageError} whose message names the flag.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeFsError } from "../fs.ts";
import { UsageError } from "./errors.ts";

/** A flag: a string value or a switch. */
export interface FlagSpec {
  /** `"string"` takes a value, `"boolean"` is a switch. */
  type: "string" | "boolean";
  /** A one-letter alias. */
  short?: string;
}

/** Parsed flags: values by flag name (as written, e.g. `"batch-size"`). */
export type Flags = Record<string, string | boolean | undefined>;

/**
 * Parses a command's arguments strictly: unknown flags, missing values and stray arguments are
 * errors. A negative number after a flag (`--epochs -3`) is taken as its value, so that the
 * number's check can say what is wrong with it.
 *
 * @param args The arguments after the command name.
 * @param specs The flags the command takes.
 * @param command The command's name, for "see --help" hints.
 * @returns The values.
 */
export function parseFlags(
  args: string[],
  specs: Record<string, FlagSpec>,
  command: string,
): Flags {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    if (name && specs[name]?.type === "string" && /^-[\d.]/.test(args[i + 1] ?? "")) {
      joined.push(`${args[i]}=${args[++i]}`);
    } else {
      joined.push(args[i]);
    }
  }
  try {
    return parseArgs({ args: joined, options: specs, strict: true, allowPositionals: false })
      .values as Flags;
  } catch (error) {
    const message = (error as Error).message;
    const flag = message.match(/'(-{1,2}[^' ]+)/)?.[1] ?? "";
    const code = (error as { code?: string }).code;
    const hint = `(see "${command} --help")`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(`unknown flag ${flag} ${hint}`);
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const arg = message.match(/argument '([^']*)'/)?.[1] ?? "";
      throw new UsageError(`unexpected argument "${arg}" ${hint}`);
    }
    if (/does not take an argument/.test(message)) {
      throw new UsageError(`${flag} takes no value ${hint}`);
    }
    if (/argument missing|ambiguous/.test(message)) {
      throw new UsageError(`${flag}: missing value ${hint}`);
    }
    throw new UsageError(`${message.split("\n")[0]} ${hint}`);
  }
}

/**
 * An integer flag's value, checked against a range.
 *
 * @param flags The parsed flags.
 * @param name The flag's name without dashes.
 * @param min The smallest allowed value.
 * @param max The largest allowed value.
 * @returns The number, or `undefined` when the flag is absent.
 */
export function intFlag(
  flags: Flags,
  name: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== "string" || !/^[+-]?\d+$/.test(raw.trim()) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name}: expected an integer ${range}, got "${raw}"`);
  }
  return value;
}

/**
 * A number flag's value, checked to lie in the open-closed interval `(low, high]`.
 *
 * @param flags The parsed flags.
 * @param name The flag's name without dashes.
 * @param low The exclusive lower bound.
 * @param high The inclusive upper bound.
 * @returns The number, or `undefined` when the flag is absent.
 */
export function numberFlag(
  flags: Flags,
  name: string,
  low: number,
  high: number,
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (
    typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value) || value <= low ||
    value > high
  ) {
    throw new UsageError(`--${name}: expected a number in (${low}, ${high}], got "${raw}"`);
  }
  return value;
}

/**
 * A flag whose value must be one of a list.
 *
 * @param flags The parsed flags.
 * @param name The flag's name without dashes.
 * @param choices The allowed values.
 * @returns The value, or `undefined` when the flag is absent.
 */
export function choiceFlag<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * A string flag's value, which must not be empty.
 *
 * @param flags The parsed flags.
 * @param name The flag's name without dashes.
 * @returns The value, or `undefined` when the flag is absent.
 */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.trim() === "") throw new UsageError(`--${name}: empty value`);
  return raw;
}

/**
 * A string flag the command cannot do without.
 *
 * @param flags Parsed flags.
 * @param name The flag's name without dashes.
 * @param command The command, for the pointer to its `--help`.
 * @returns The value.
 * @throws {UsageError} If the flag is missing or empty.
 */
export function requiredStringFlag(flags: Flags, name: string, command: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new UsageError(`--${name} is required (see "${command} --help")`);
  return value;
}

/**
 * Checks that a directory named by a flag exists (or, with `mayBeMissing`, that nothing is in the
 * way of making it: not a file, no file on its path).
 *
 * @param name The flag's name without dashes.
 * @param path The directory.
 * @param options `mayBeMissing`: a directory the command will make is fine.
 */
export async function requireDirectory(
  name: string,
  path: string,
  options: { mayBeMissing?: boolean } = {},
): Promise<void> {
  let fault: string | undefined;
  try {
    if (!(await Deno.stat(path)).isDirectory) fault = "not a directory";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) fault = describeFsError(error);
    else if (!options.mayBeMissing) fault = "no such directory";
  }
  if (fault) throw new UsageError(`--${name} ${path}: ${fault}`);
}

/**
 * Checks that Deno grants a permission the command needs, before any work, so that a missing
 * flag is one clear line rather than a failure deep inside tf.js.
 *
 * @param descriptor The permission, e.g. `{ name: "read" }` or `{ name: "write", path: "runs/x" }`.
 * @param flag The flag that grants it, for the message.
 */
export function requirePermission(descriptor: Deno.PermissionDescriptor, flag: string): void {
  if (Deno.permissions.querySync(descriptor).state === "granted") return;
  const what = "path" in descriptor && descriptor.path ? ` to ${descriptor.path}` : "";
  throw new UsageError(
    `this command needs ${descriptor.name} access${what}: run Deno with ${flag} (docs/cli.md#permissions lists the flags)`,
  );
}
