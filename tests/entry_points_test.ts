import { deepEqual, equal, ok } from "node:assert/strict";
import * as everything from "../mod.ts";

const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const exports: Record<string, string> = config.exports;
const NARROW = ["./data", "./eval", "./serve"];

Deno.test("deno.json exports the narrow entry points beside . and ./cli", () => {
  deepEqual(Object.keys(exports).sort(), [".", "./cli", ...NARROW].sort());
});

for (const name of NARROW) {
  Deno.test(`${name} exports a part of mod.ts's exports, the very same values`, async () => {
    const module: Record<string, unknown> = await import(new URL(exports[name], root).href);
    const names = Object.keys(module);
    ok(names.length > 0, `${name} exports nothing`);
    const all = everything as Record<string, unknown>;
    for (const key of names) {
      ok(Object.hasOwn(all, key), `${name} exports ${key}, mod.ts does not`);
      equal(module[key], all[key], `${name}'s ${key} is not mod.ts's`);
    }
  });
}

Deno.test("./eval's module graph holds no training code", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", exports["./eval"]],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  equal(code, 0);
  const graph: { modules: { specifier: string }[] } = JSON.parse(new TextDecoder().decode(stdout));
  const local = graph.modules.map((m) => m.specifier).filter((s) => s.startsWith(root.href));
  ok(local.some((s) => s.endsWith("src/eval/evaluate.ts")), "the graph misses evaluate.ts");
  ok(local.some((s) => s.endsWith("src/eval/classifier_weights.json")), "no MNIST weights");
  const training = local.filter((s) => s.startsWith(new URL("src/train/", root).href));
  deepEqual(training, []);
});
