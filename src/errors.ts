/**
 * The library's error kinds, made in one place so that their wording is consistent.
 *
 * Each names the file (as the caller gave it) and the fault. The CLI prints `message` as one line.
 *
 * @module
 */

/**
 * A data file that cannot be read: missing, truncated, a wrong magic number, a size that does not
 * match its header, or labels and images of different counts.
 *
 * @example Catch a bad IDX file
 * ```ts
 * import { DataFileError, readIdx } from "@gan/mnist";
 *
 * try {
 *   await readIdx("missing-images-idx3-ubyte");
 * } catch (error) {
 *   if (error instanceof DataFileError) console.error(error.message);
 * }
 * ```
 */
export class DataFileError extends Error {
  /** The file as the caller named it. */
  readonly path: string;
  /** What is wrong with it, without the file name. */
  readonly fault: string;

  /**
   * Makes the error; its message reads `Cannot read <kind> "<path>": <fault>`.
   *
   * @param kind What the file should be, e.g. `"IDX file"`.
   * @param path The file as the caller named it.
   * @param fault What is wrong with it.
   */
  constructor(kind: string, path: string, fault: string, options?: ErrorOptions) {
    super(`Cannot read ${kind} "${path}": ${fault}`, options);
    this.name = "DataFileError";
    this.path = path;
    this.fault = fault;
  }
}

/**
 * A model file or directory that cannot be loaded or saved: missing `model.json`, invalid JSON,
 * missing or short weight files, weights that do not fit the topology, a model of the wrong shape.
 *
 * @example Catch a corrupt model
 * ```ts
 * import { loadModel, ModelFileError } from "@gan/mnist";
 *
 * try {
 *   await loadModel("no-such-run/generator");
 * } catch (error) {
 *   if (error instanceof ModelFileError) console.error(error.message);
 * }
 * ```
 */
export class ModelFileError extends Error {
  /** The file or directory as the caller named it. */
  readonly path: string;
  /** What is wrong with it, without the file name. */
  readonly fault: string;

  /**
   * Makes the error; its message reads `Cannot <action> model "<path>": <fault>`.
   *
   * @param action `"load"` or `"save"`.
   * @param path The file or directory as the caller named it.
   * @param fault What is wrong with it.
   */
  constructor(action: "load" | "save", path: string, fault: string, options?: ErrorOptions) {
    super(`Cannot ${action} model "${path}": ${fault}`, options);
    this.name = "ModelFileError";
    this.path = path;
    this.fault = fault;
  }
}

/**
 * Throws a `RangeError` naming the option unless `value` is an integer in `[min, max]`.
 *
 * @param where The function or object the option belongs to, e.g. `"trainGAN"`.
 * @param name The option's name.
 * @param value The value to check.
 * @param min The smallest allowed value.
 * @param max The largest allowed value.
 * @returns `value`, unchanged.
 */
export function checkInteger(
  where: string,
  name: string,
  value: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${where}: ${name} must be an integer ${range}, got ${value}`);
  }
  return value;
}

/**
 * Throws a `RangeError` naming the option unless `value` is `true` or `false` (JavaScript
 * callers can pass anything).
 *
 * @param where The function or object the option belongs to.
 * @param name The option's name.
 * @param value The value to check.
 * @returns `value`, unchanged.
 */
export function checkBoolean(where: string, name: string, value: boolean): boolean {
  if (typeof value !== "boolean") {
    throw new RangeError(`${where}: ${name} must be true or false, got ${value}`);
  }
  return value;
}

/**
 * Throws a `RangeError` naming the option unless `value` is a finite number between `low` and
 * `high`, each bound included or not as `bounds` says (`"[)"`: low included, high excluded).
 *
 * @param where The function or object the option belongs to.
 * @param name The option's name.
 * @param value The value to check.
 * @param low The lower bound.
 * @param high The upper bound.
 * @param bounds Which bounds are allowed values, written as an interval.
 * @returns `value`, unchanged.
 */
export function checkNumber(
  where: string,
  name: string,
  value: number,
  low: number,
  high: number,
  bounds: "[]" | "(]" | "[)" | "()" = "(]",
): number {
  const aboveLow = bounds[0] === "[" ? value >= low : value > low;
  const belowHigh = bounds[1] === "]" ? value <= high : value < high;
  if (!Number.isFinite(value) || !aboveLow || !belowHigh) {
    throw new RangeError(
      `${where}: ${name} must be a number in ${bounds[0]}${low}, ${high}${bounds[1]}, got ${value}`,
    );
  }
  return value;
}

/**
 * A run directory that cannot be used: it exists and holds files (without `force`), it is a file,
 * or it cannot be created.
 *
 * @example
 * ```ts
 * import { RunDirectoryError } from "@gan/mnist";
 *
 * const error = new RunDirectoryError("runs/x", "exists and is not empty");
 * console.log(error.message); // Cannot use run directory "runs/x": exists and is not empty
 * ```
 */
export class RunDirectoryError extends Error {
  /** The directory as the caller named it. */
  readonly path: string;
  /** What is wrong with it. */
  readonly fault: string;

  /**
   * Makes the error; its message reads `Cannot use run directory "<path>": <fault>`.
   *
   * @param path The directory as the caller named it.
   * @param fault What is wrong with it.
   */
  constructor(path: string, fault: string, options?: ErrorOptions) {
    super(`Cannot use run directory "${path}": ${fault}`, options);
    this.name = "RunDirectoryError";
    this.path = path;
    this.fault = fault;
  }
}

/**
 * A checkpoint that cannot be read or written: missing, truncated, damaged (its checksum does not
 * match), from another version, or not fitting the run it should resume; or a directory that
 * cannot take it (no space, no permission), in which case the previous checkpoint is intact.
 *
 * @example
 * ```ts
 * import { CheckpointError } from "@gan/mnist";
 *
 * const error = new CheckpointError("read", "runs/x/checkpoint.ckpt", "truncated");
 * console.log(error.message); // Cannot read checkpoint "runs/x/checkpoint.ckpt": truncated
 * ```
 */
export class CheckpointError extends Error {
  /** The checkpoint file as the caller named it. */
  readonly path: string;
  /** What is wrong. */
  readonly fault: string;

  /**
   * Makes the error; its message reads `Cannot <action> checkpoint "<path>": <fault>`.
   *
   * @param action `"read"`, `"write"`, or `"resume from"` (a checkpoint that does not fit the run).
   * @param path The checkpoint file.
   * @param fault What is wrong.
   */
  constructor(
    action: "read" | "write" | "resume from",
    path: string,
    fault: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot ${action} checkpoint "${path}": ${fault}`, options);
    this.name = "CheckpointError";
    this.path = path;
    this.fault = fault;
  }
}
