/**
 * Function and file lengths of the library's hand-written code, against the limits that
 * docs/architecture.md states: no function longer than 120 lines, no file longer than 500.
 *
 * A function's length is the lines from its first to its last, closures included (a closure is
 * also counted on its own). Generated files (their first line says so) are left out.
 *
 * ```sh
 * deno task lengths            # what exceeds the limits; exit code 1 if anything does
 * deno task lengths --top 20   # the 20 longest functions and files, within the limits or not
 * ```
 *
 * @module
 */
import ts from "typescript";
import { parseArgs } from "node:util";
import { extname, join, relative } from "node:path";

/** The longest a function may be, in lines. */
export const MAX_FUNCTION_LINES = 120;
/** The longest a hand-written file may be, in lines. */
export const MAX_FILE_LINES = 500;

/** One measured function or file. */
export interface Length {
  /** The file, relative to the project root. */
  file: string;
  /** The function's name as its declaration spells it (or `(file)` for the whole file). */
  name: string;
  /** Its first line, 1-based. */
  line: number;
  /** Its length in lines. */
  lines: number;
}

/** A file is generated when its first lines say so; those are not measured. */
export function isGenerated(text: string): boolean {
  return /generated/i.test(text.split("\n", 3).join("\n"));
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  if (parent && ts.isCallExpression(parent)) {
    return `(callback of ${parent.expression.getText(source).slice(0, 40)})`;
  }
  return "(anonymous)";
}

/** Every function (declaration, method, arrow, expression, accessor) in one TypeScript text. */
export function functionLengths(file: string, text: string): Length[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Length[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file, name: nameOf(node, source), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Lines of JavaScript-like or C code in a function, for the files the TypeScript parser reads. */
const PARSED = new Set([".ts", ".js"]);
const MEASURED = new Set([".ts", ".js", ".c", ".css", ".html", ".sh", ".py"]);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (MEASURED.has(extname(entry.name))) yield path;
  }
}

/** Measures every hand-written file under `dirs` (relative to `root`). */
export async function measure(
  root: string,
  dirs: string[],
): Promise<{ functions: Length[]; files: Length[] }> {
  const functions: Length[] = [];
  const files: Length[] = [];
  for (const dir of dirs) {
    for await (const path of walk(join(root, dir))) {
      const text = await Deno.readTextFile(path);
      if (isGenerated(text)) continue;
      const file = relative(root, path);
      const lines = text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length;
      files.push({ file, name: "(file)", line: 1, lines });
      if (PARSED.has(extname(path))) functions.push(...functionLengths(file, text));
    }
  }
  functions.sort((a, b) => b.lines - a.lines);
  files.sort((a, b) => b.lines - a.lines);
  return { functions, files };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string" }, dirs: { type: "string", default: "src,mod.ts,cli.ts" } },
  });
  const root = new URL("..", import.meta.url).pathname;
  const dirs = values.dirs.split(",");
  const single = dirs.filter((d) => d.endsWith(".ts"));
  const { functions, files } = await measure(root, dirs.filter((d) => !d.endsWith(".ts")));
  for (const file of single) {
    const text = await Deno.readTextFile(join(root, file));
    files.push({ file, name: "(file)", line: 1, lines: text.split("\n").length - 1 });
    functions.push(...functionLengths(file, text));
  }
  functions.sort((a, b) => b.lines - a.lines);
  files.sort((a, b) => b.lines - a.lines);
  const top = values.top === undefined ? undefined : Number(values.top);
  const show = (rows: Length[], limit: number) =>
    rows.filter((r, i) => top === undefined ? r.lines > limit : i < top);
  const longFunctions = show(functions, MAX_FUNCTION_LINES);
  const longFiles = show(files, MAX_FILE_LINES);
  console.log(`functions (limit ${MAX_FUNCTION_LINES} lines):`);
  for (const f of longFunctions) console.log(`  ${f.lines}\t${f.file}:${f.line}\t${f.name}`);
  console.log(`files (limit ${MAX_FILE_LINES} lines):`);
  for (const f of longFiles) console.log(`  ${f.lines}\t${f.file}`);
  const over = functions.filter((f) => f.lines > MAX_FUNCTION_LINES).length +
    files.filter((f) => f.lines > MAX_FILE_LINES).length;
  if (over > 0) {
    console.log(`${over} over the limits`);
    Deno.exit(1);
  }
}
