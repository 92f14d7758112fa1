/**
 * The kernels' worker thread ends with the isolate that started it: `deno test` runs each test
 * file in an isolate of its own, and workers left behind by each (one more thread a file) once
 * ended a whole test run with a corrupted native heap at exit.
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";

const linux = (() => {
  try {
    return Deno.statSync("/proc/self/task").isDirectory;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "each test file's kernel worker stops at its end: the process's thread count stays flat",
  ignore: !linux,
  async fn() {
    const dir = await Deno.makeTempDir();
    const select = new URL("../src/backend/select.ts", import.meta.url).href;
    for (let i = 1; i <= 4; i++) {
      await Deno.writeTextFile(
        join(dir, `m${i}_test.ts`),
        `import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from ${JSON.stringify(select)};
Deno.test("module ${i}", async () => {
  const threads = [...Deno.readDirSync("/proc/self/task")].length;
  await selectBackend("wasm", { threads: 2 });
  const a = tf.randomNormal([256, 256]);
  const c = tf.matMul(a, a);
  await c.data();
  tf.dispose([a, c]);
  const after = [...Deno.readDirSync("/proc/self/task")].length;
  console.log("module ${i}: " + threads + " threads before, " + after + " after");
});
`,
      );
    }
    const config = new URL("../deno.json", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", "--config", config, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    equal(code, 0, new TextDecoder().decode(stderr) + out);
    const lines = [...out.matchAll(/module (\d): (\d+) threads before, (\d+) after/g)];
    equal(lines.length, 4, out);
    const before = lines.map((line) => Number(line[2]));
    const after = lines.map((line) => Number(line[3]));
    // Each module did start a worker…
    for (let i = 0; i < 4; i++) ok(after[i] > before[i], `before ${before}, after ${after}`);
    // …and none is left when the next module starts (otherwise one more thread each time).
    ok(before[3] <= before[1], `threads before each module: ${before}`);
    await Deno.remove(dir, { recursive: true });
  },
});
