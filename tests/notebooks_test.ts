import { deepEqual, equal, match } from "node:assert/strict";
import { notebookFaults } from "../tools/notebook_check.ts";

/** A 1×1 PNG, base64 (its bytes are not searched for paths). */
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

const markdown = (source: string) => ({ cell_type: "markdown", metadata: {}, source: [source] });
const code = (source: string, outputs: unknown[], executionCount: number | null = 1) => ({
  cell_type: "code",
  execution_count: executionCount,
  metadata: {},
  source: source.split(/(?<=\n)/),
  outputs,
});
const stream = (text: string) => ({ output_type: "stream", name: "stdout", text: [text] });
const display = (data: Record<string, unknown>) => ({
  output_type: "display_data",
  data,
  metadata: {},
});
const notebook = (...cells: unknown[]) => ({
  cells,
  metadata: { kernelspec: { name: "deno", language: "typescript", display_name: "Deno" } },
  nbformat: 4,
  nbformat_minor: 5,
});

/** A notebook that passes: text, an image, a chart, a table. */
const good = () =>
  notebook(
    markdown("# A notebook\n"),
    code('console.log("hello");\n', [stream("hello\n")]),
    code("await show(grid);\n", [display({ "image/png": PNG, "text/plain": "<image>" })], 2),
    code("await svg(chart);\n", [display({ "image/svg+xml": ["<svg>", "</svg>"] })], 3),
    code("await md(table);\n", [display({ "text/markdown": "| a |\n| --- |\n| 1 |" })], 4),
  );

Deno.test("notebookFaults finds nothing wrong with a good executed notebook", () => {
  deepEqual(notebookFaults(good()), []);
});

Deno.test("notebookFaults reports an error output with its cell, name and message", () => {
  const nb = good();
  nb.cells.push(code("throw new RangeError('bad');\n", [{
    output_type: "error",
    ename: "RangeError",
    evalue: "bad option",
    traceback: ["RangeError: bad option", "    at <anonymous>:1:7"],
  }], 5));
  deepEqual(notebookFaults(nb), ["cell 6: error output: RangeError: bad option"]);
});

Deno.test("notebookFaults reports a notebook without any image output", () => {
  const nb = notebook(
    code('console.log("no pictures");\n', [stream("no pictures\n")]),
    code("await md(table);\n", [display({ "text/markdown": "| a |" })], 2),
  );
  deepEqual(notebookFaults(nb), ["no image output (image/png, image/svg+xml or image/gif)"]);
  const gif = notebook(code("await gif();\n", [display({ "image/gif": "R0lGODlh" })]));
  deepEqual(notebookFaults(gif), []);
});

Deno.test("notebookFaults reports a machine path in an output, a source or a traceback", () => {
  const inStream = good();
  inStream.cells.push(code("console.log(Deno.cwd());\n", [stream("/work/wt/nb/notebooks\n")], 5));
  deepEqual(notebookFaults(inStream), ['cell 6 output: machine path "/work/"']);

  const inMarkdown = good();
  inMarkdown.cells.push(
    code("await md(where);\n", [display({ "text/markdown": "saved to /tmp/x/grid.png" })], 5),
  );
  deepEqual(notebookFaults(inMarkdown), ['cell 6 output (text/markdown): machine path "/tmp/"']);

  const inSource = good();
  inSource.cells.push(markdown("Open /root/notes.txt\n"));
  deepEqual(notebookFaults(inSource), ['cell 6 source: machine path "/root/"']);

  const inTraceback = good();
  inTraceback.cells.push(code("boom();\n", [{
    output_type: "error",
    ename: "Error",
    evalue: "boom",
    traceback: ["Error: boom", "    at file:///home/me/gan/src/x.ts:3:9"],
  }], 5));
  const faults = notebookFaults(inTraceback);
  equal(faults.length, 2);
  match(faults[1], /^cell 6 error: machine path "\/home\/"$/);
});

Deno.test("notebookFaults takes further machine paths, and ignores base64 image bytes", () => {
  const nb = good();
  nb.cells.push(code("print(home);\n", [stream("/srv/alice/gan\n")], 5));
  deepEqual(notebookFaults(nb), []);
  deepEqual(notebookFaults(nb, { paths: ["/srv/alice/"] }), [
    'cell 6 output: machine path "/srv/alice/"',
  ]);
  // "/tmp/" is made of base64 letters, so a PNG's bytes can hold it by chance.
  const png = notebook(code("await show(grid);\n", [display({ "image/png": `${PNG}/tmp/A` })]));
  deepEqual(notebookFaults(png), []);
});

Deno.test("notebookFaults reports code cells that were not executed, and JSON that is no notebook", () => {
  const nb = good();
  nb.cells.push(code("await later();\n", [], null));
  deepEqual(notebookFaults(nb), ["cell 6: not executed"]);
  deepEqual(notebookFaults({ worksheets: [] }), ["not a notebook: no list of cells"]);
  deepEqual(notebookFaults(null), ["not a notebook: no list of cells"]);
});

Deno.test("the committed notebooks hold their outputs and pass the checks", async () => {
  const dir = new URL("../notebooks/", import.meta.url);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".ipynb"));
  equal(names.length, 4);
  const root = new URL("..", import.meta.url).pathname;
  for (const name of names.sort()) {
    const nb = JSON.parse(await Deno.readTextFile(new URL(name, dir)));
    deepEqual(notebookFaults(nb, { paths: [root] }), [], name);
    equal(nb.metadata.kernelspec.name, "deno", name);
  }
});
