/**
 * Every CLI command runs with exactly the narrow permission flags docs/cli.md shows (the page the
 * README sends readers to for them): the block between `<!-- permissions -->` and
 * `<!-- /permissions -->` is run line by line, as written, in a fresh directory (only `cli.ts`
 * becomes its path in this checkout, and serve's port a free one).
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { readUntil } from "./helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** The permission block of docs/cli.md, one command per line. */
async function documentedCommands(): Promise<string[][]> {
  const page = await Deno.readTextFile(new URL("../docs/cli.md", import.meta.url));
  const block = page.match(
    /<!-- permissions -->\s*```sh\n([\s\S]*?)```\s*<!-- \/permissions -->/,
  );
  if (!block) throw new Error("docs/cli.md has no permissions block");
  return block[1].trim().split("\n").map((line) => line.trim().split(/\s+/));
}

/** A port nothing listens on now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("every command runs with the narrow permissions docs/cli.md shows, and only with them", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  ok(readme.includes("(docs/cli.md#permissions)"), "the README links to the permissions");
  const commands = await documentedCommands();
  const names = commands.map((c) => c[c.indexOf("cli.ts") + 1]);
  for (const command of ["train", "sample", "eval", "bench", "serve"]) {
    ok(names.includes(command), `docs/cli.md shows no permissions for ${command}`);
  }
  const cwd = await Deno.makeTempDir({ prefix: "gan-permissions-" });
  const port = String(freePort());
  for (const words of commands) {
    equal(words.slice(0, 2).join(" "), "deno run");
    const at = words.indexOf("cli.ts");
    const permissions = words.slice(2, at);
    ok(permissions.every((p) => /^--allow-(read|write|net)(=|$)/.test(p)), words.join(" "));
    const args = words.slice(at + 1).map((w) => w.replace("8000", port));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...permissions.map((p) => p.replace("8000", port)), CLI, ...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    if (args[0] === "serve") {
      // Serving: the page answers, then Ctrl-C ends it.
      const { said, reader } = await readUntil(child.stdout, "serving");
      const page = await fetch(`http://127.0.0.1:${port}/`);
      equal(page.status, 200, said);
      await page.body?.cancel();
      child.kill("SIGINT");
      await reader.cancel();
      const status = await child.status;
      await child.stderr.cancel();
      ok(status.code === 0 || status.code === 130, `serve exited with ${status.code}`);
      continue;
    }
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    equal(code, 0, `${words.join(" ")}\n${text}`);
  }
  // What they wrote, where the flags allow.
  for (const file of ["runs/t/checkpoint.ckpt", "runs/t/generator/model.json", "runs/t/grid.png"]) {
    ok((await Deno.stat(join(cwd, file))).isFile, file);
  }
  await Deno.remove(cwd, { recursive: true });
});
