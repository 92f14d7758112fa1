/**
 * Checks of an executed Jupyter notebook (nbformat 4 JSON), for `deno task notebooks`: no error
 * output, every code cell run, at least one image, no absolute path of the machine it ran on.
 * Pure functions on the parsed JSON: no file access.
 *
 * @module
 */

/** The media types that count as an image output. */
export const IMAGE_TYPES: readonly string[] = ["image/png", "image/svg+xml", "image/gif"];

/** Binary media types (base64): not searched for paths, where `/tmp/` can occur by chance. */
const BINARY_TYPES = ["image/png", "image/gif", "image/jpeg", "application/pdf"];

/**
 * Path prefixes that are machine-specific wherever they appear: a notebook shared with others
 * must not show where it ran.
 */
export const MACHINE_PATHS: readonly string[] = [
  "/work/",
  "/tmp/",
  "/root/",
  "/home/",
  "/Users/",
  "/private/var/",
  "C:\\Users\\",
];

/** Options of {@linkcode notebookFaults}. */
export interface NotebookCheckOptions {
  /**
   * Further machine-specific strings to refuse (the home directory, the checkout's path).
   * @default {[]}
   */
  paths?: readonly string[];
}

interface Output {
  output_type?: unknown;
  ename?: unknown;
  evalue?: unknown;
  text?: unknown;
  traceback?: unknown;
  data?: Record<string, unknown>;
}

interface Cell {
  cell_type?: unknown;
  source?: unknown;
  outputs?: unknown;
  execution_count?: unknown;
}

/** A notebook field's text: nbformat keeps multi-line strings as a string or a list of lines. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : "")).join("");
  return "";
}

/** The first line of a text, shortened, for a one-line message. */
function oneLine(value: string): string {
  // deno-lint-ignore no-control-regex
  const line = value.replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/**
 * Everything that is wrong with an executed notebook, one line per fault (empty when it passes):
 * a cell's output of type "error", a code cell that was not executed, no image output in the
 * whole notebook, or a machine path (see {@linkcode MACHINE_PATHS}) in a cell's source or in an
 * output's text (binary images are not searched).
 *
 * @param notebook The parsed notebook JSON.
 * @param options More strings to treat as machine paths.
 * @returns The faults, in cell order; the "no image" fault last.
 *
 * @example A notebook without outputs has no image
 * ```ts
 * import { notebookFaults } from "./notebook_check.ts";
 *
 * console.log(notebookFaults({ cells: [] })); // ["no image output (image/png, image/svg+xml or image/gif)"]
 * ```
 */
export function notebookFaults(notebook: unknown, options: NotebookCheckOptions = {}): string[] {
  const cells = (notebook as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return ["not a notebook: no list of cells"];
  const paths = [...MACHINE_PATHS, ...(options.paths ?? []).filter((p) => p.length > 1)];
  const faults: string[] = [];
  let images = 0;
  const searchPaths = (where: string, value: string) => {
    const found = paths.find((path) => value.includes(path));
    if (found) faults.push(`${where}: machine path "${found}"`);
  };
  cells.forEach((raw, index) => {
    const cell = raw as Cell;
    const where = `cell ${index + 1}`;
    searchPaths(`${where} source`, text(cell.source));
    if (cell.cell_type !== "code") return;
    const outputs = Array.isArray(cell.outputs) ? cell.outputs as Output[] : [];
    if (cell.execution_count == null) faults.push(`${where}: not executed`);
    for (const output of outputs) {
      if (output.output_type === "error") {
        const message = oneLine(`${text(output.ename)}: ${text(output.evalue)}`);
        faults.push(`${where}: error output: ${message}`);
        searchPaths(`${where} error`, text(output.traceback));
      }
      if (output.output_type === "stream") searchPaths(`${where} output`, text(output.text));
      for (const [type, value] of Object.entries(output.data ?? {})) {
        if (IMAGE_TYPES.includes(type)) images++;
        if (BINARY_TYPES.includes(type)) continue;
        const content = typeof value === "object" && !Array.isArray(value)
          ? JSON.stringify(value)
          : text(value);
        searchPaths(`${where} output (${type})`, content);
      }
    }
  });
  if (images === 0) faults.push("no image output (image/png, image/svg+xml or image/gif)");
  return faults;
}
