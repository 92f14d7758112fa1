/**
 * The README and the pages of docs/ as a reader meets them: no dead link, anchor or image, every
 * page reachable from the README, and a README that stays a short guide. The checker itself is
 * tested first, on a small made-up repository with one of each fault.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkDocs, githubSlug, headingAnchors, markdownLinks } from "./doc_links.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("githubSlug gives GitHub's anchors: lower case, punctuation gone, spaces as hyphens", () => {
  equal(
    githubSlug("Training that survives crashes, bad input and long runs"),
    "training-that-survives-crashes-bad-input-and-long-runs",
  );
  equal(
    githubSlug("Why standard is not the original recipe"),
    "why-standard-is-not-the-original-recipe",
  );
  equal(githubSlug("standard --faithful"), "standard---faithful");
  equal(
    githubSlug("dcgan's FID: what was tried (2026-11-23 to 2026-11-24)"),
    "dcgans-fid-what-was-tried-2026-11-23-to-2026-11-24",
  );
  equal(githubSlug("Über snake_case × 2"), "über-snake_case--2");
});

Deno.test("headingAnchors renders markup away and numbers repeated headings", () => {
  const page = [
    "# The `--serve` flag",
    "## Presets: [lite](presets.md) and _tutorial_",
    "## Again",
    "## Again",
    "```",
    "# not a heading",
    "```",
    "Setext",
    "------",
    '<a id="custom"></a>',
  ].join("\n");
  deepEqual([...headingAnchors(page)], [
    "the---serve-flag",
    "presets-lite-and-tutorial",
    "again",
    "again-1",
    "setext",
    "custom",
  ]);
});

Deno.test("markdownLinks finds links and images, nested too, and skips code and comments", () => {
  const page = [
    '[a](a.md) and ![b](b.png "title") and [![c](c.png)](d.md#x)',
    "`[not](code.md)` <!-- [not](comment.md) -->",
    "```ts",
    "[not](fence.md)",
    "```",
    '<img src="e.png"> [ref]: f.md',
    "[ref]: g.md",
  ].join("\n");
  deepEqual(markdownLinks(page).map((l) => `${l.line} ${l.image ? "image" : "link"} ${l.target}`), [
    "1 link a.md",
    "1 image b.png",
    "1 link d.md#x",
    "1 image c.png",
    "6 image e.png",
    "7 link g.md",
  ]);
});

Deno.test("checkDocs reports each dead link, dead anchor, missing image and unreachable page", async () => {
  const root = await Deno.makeTempDir({ prefix: "gan-docs-" });
  await Deno.mkdir(join(root, "docs", "sub"), { recursive: true });
  const write = (path: string, text: string) => Deno.writeTextFile(join(root, path), text);
  await write(
    "README.md",
    [
      "# Title",
      "[guide](docs/guide.md), [its part](docs/guide.md#part-two), [gone](docs/gone.md)",
      "[bad anchor](docs/guide.md#nowhere), ![missing](docs/missing.png), [a folder](docs/sub/)",
      "[self](#title), [web](https://example.com/x.md), [root](/etc/passwd), [up](../outside.md)",
      "`[in code](docs/code.md)` <!-- [hidden](docs/hidden.md) -->",
      "```sh",
      "[in a fence](docs/fence.md)",
      "```",
    ].join("\n"),
  );
  await write(
    "docs/guide.md",
    [
      "# Guide",
      "## Part two",
      "## Part two",
      "[back](../README.md#title) [the second](#part-two-1) ![picture](pic.png)",
      "[![nested](nope.png)](sub/deep.md)",
    ].join("\n"),
  );
  await write("docs/pic.png", "");
  await write("docs/sub/deep.md", "# Deep\n[folder as image](../sub/) ![x](../sub)");
  await write("docs/orphan.md", "# Nobody links here\n[guide](guide.md)");
  const problems = await checkDocs(root);
  deepEqual(problems.sort(), [
    "README.md:2: docs/gone.md: no such file (docs/gone.md)",
    'README.md:3: docs/guide.md#nowhere: no heading or id "nowhere" in docs/guide.md',
    "README.md:3: docs/missing.png: no such file (docs/missing.png)",
    "README.md:4: ../outside.md: leads outside the repository",
    "README.md:4: /etc/passwd: an absolute path (links must be relative to the page)",
    "docs/guide.md:5: nope.png: no such file (docs/nope.png)",
    "docs/orphan.md: not reachable from README.md by its links",
    "docs/sub/deep.md:2: ../sub: docs/sub is a directory",
  ]);
  // Once fixed, nothing is reported.
  await write("README.md", "# Title\n[guide](docs/guide.md) [orphan](docs/orphan.md)");
  await write("docs/guide.md", "# Guide\n[deep](sub/deep.md)");
  await write("docs/sub/deep.md", "# Deep\n[folder](../sub/) ![picture](../pic.png)");
  deepEqual(await checkDocs(root), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("README.md and every page of docs/: no dead link, anchor or image; all reachable", async () => {
  deepEqual(await checkDocs(ROOT), []);
});

Deno.test("README.md stays a user's guide: at most 250 lines, with the two set-up commands", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const lines = readme.trimEnd().split("\n").length;
  ok(lines <= 250, `README.md has ${lines} lines; measurements and details belong in docs/`);
  ok(readme.includes("\nnpm install -g deno@2.9.6 && deno task demo\n"), "the set-up command");
  ok(readme.includes("\ndeno task test\n"), "the test command CI runs");
});

Deno.test("docs/cli.md's flag tables name exactly the flags of train's and sample's tables", async () => {
  const { TRAIN_FLAGS } = await import("../src/cli/train_flags.ts");
  const { SAMPLE_FLAGS } = await import("../src/cli/sample_flags.ts");
  const doc = await Deno.readTextFile(new URL("../docs/cli.md", import.meta.url));
  for (const [command, table] of [["train", TRAIN_FLAGS], ["sample", SAMPLE_FLAGS]] as const) {
    const section = doc.split(/^## /m).find((s) => s.startsWith(`${command}\n`));
    ok(section, `docs/cli.md has no "## ${command}" section`);
    const named = new Set(
      section.split("\n").filter((line) => line.startsWith("| `--"))
        .flatMap((line) => [...line.split(" | ")[0].matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1])),
    );
    const flags = Object.keys(table).filter((name) => name !== "help");
    deepEqual(
      flags.filter((name) => !named.has(name)),
      [],
      `${command} flags missing in docs/cli.md`,
    );
    deepEqual(
      [...named].filter((name) => !(name in table)),
      [],
      `docs/cli.md names no such ${command} flag`,
    );
  }
});
