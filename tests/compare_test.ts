// The comparison: variants parsed, trained one after the other into run directories, skipped or
// resumed when run again, and the report (report.html, report.svg) and its page in `serve`.
import { deepEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../src/backend/select.ts";
import { COMPARE_FLAGS } from "../src/cli/compare.ts";
import { COMPARE_LAYOUT } from "../src/compare/layout.ts";
import { readManifest, writeManifest } from "../src/compare/manifest.ts";
import { writeReport } from "../src/compare/report.ts";
import { type CompareOptions, compareRuns, type VariantStart } from "../src/compare/run.ts";
import { parseVariant, parseVariants, VARIANT_SYNTAX } from "../src/compare/variants.ts";
import { RunDirectoryError } from "../src/errors.ts";
import { createHandler } from "../src/serve/server.ts";
import { readLogLine } from "../src/train/run/log.ts";
import { oneLine, readUntil, runCli } from "./helpers.ts";

await selectBackend("wasm");
const root = await Deno.makeTempDir({ prefix: "gan-compare-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

Deno.test("parseVariants reads a loss and its modifiers, and names each variant canonically", () => {
  const cases: [string, string, string, Record<string, unknown>][] = [
    ["ns", "ns", "ns", { loss: "ns" }],
    ["hinge", "hinge", "hinge", { loss: "hinge" }],
    ["ns+r1=10", "ns+r1=10", "ns+r1=10", { loss: "ns", r1: 10 }],
    ["ns+r1every=16+r1=1e1", "ns+r1=10+r1every=16", "ns+r1=10+r1every=16", {
      loss: "ns",
      r1: 10,
      r1Every: 16,
    }],
    [
      "ns+augment=translation/cutout",
      "ns+augment=translation/cutout",
      "ns+augment=translation-cutout",
      {
        loss: "ns",
        augment: ["translation", "cutout"],
      },
    ],
    ["ns+ada+augment=translation", "ns+augment=translation+ada", "ns+augment=translation+ada", {
      loss: "ns",
      augment: ["translation"],
      ada: true,
    }],
    ["wgan-gp+dsteps=5+gp=5", "wgan-gp+gp=5+dsteps=5", "wgan-gp+gp=5+dsteps=5", {
      loss: "wgan-gp",
      gradientPenalty: 5,
      discriminatorSteps: 5,
    }],
    [
      "wgan-gp+gsteps=2+lr=2e-4+dsteps=1",
      "wgan-gp+lr=0.0002+dsteps=1+gsteps=2",
      "wgan-gp+lr=0.0002+dsteps=1+gsteps=2",
      {
        loss: "wgan-gp",
        learningRate: 2e-4,
        discriminatorSteps: 1,
        generatorSteps: 2,
      },
    ],
    ["ls+sn+gsteps=2", "ls+gsteps=2+sn", "ls+gsteps=2+sn", {
      loss: "ls",
      generatorSteps: 2,
      spectralNorm: true,
    }],
  ];
  for (const [text, name, dir, options] of cases) {
    deepEqual(parseVariant(text), { name, dir, options }, text);
  }
  // What `compare` trains when --variants is not given: the four losses.
  const defaults = parseVariants(String(COMPARE_FLAGS.variants.default));
  deepEqual(defaults.map((v) => v.options.loss), ["ns", "hinge", "ls", "wgan-gp"]);
  deepEqual(parseVariants(" ns , ns+sn ").map((v) => v.name), ["ns", "ns+sn"]);
});

Deno.test("parseVariants refuses a bad variant with one line that names it and the fault", () => {
  const bad: [string, RegExp][] = [
    ["bogus", /^variant "bogus": unknown loss "bogus" \(losses: ns, hinge, ls, wgan-gp/],
    ["ns+foo", /^variant "ns\+foo": unknown modifier "foo" \(modifiers: lr=X, gp=λ/],
    ["ns+lr=0", /^variant "ns\+lr=0": lr: expected a number from 1e-8 to 10, got "0"/],
    ["ns+r1", /^variant "ns\+r1": r1: expected a number from 0 to 1000000, got ""/],
    ["ns+r1=-1", /^variant "ns\+r1=-1": r1: expected a number/],
    ["ns+dsteps=2.5", /^variant "ns\+dsteps=2.5": dsteps: expected an integer from 1 to 100/],
    ["ns+gp=5", /^variant "ns\+gp=5": gp= is the gradient penalty of wgan-gp/],
    ["ns+ada=1", /^variant "ns\+ada=1": ada: takes no value/],
    ["ns+augment=zoom", /^variant "ns\+augment=zoom": augment: unknown augmentation "zoom"/],
    ["ns+augment=cutout/cutout", /augment: an augmentation is named twice/],
    ["ns+r1=1+r1=2", /^variant "ns\+r1=1\+r1=2": modifier "r1" given twice/],
    ["ns+r1every=4", /r1every= says how often R1 runs: give r1=γ too/],
    ["ns+ada", /^variant "ns\+ada": ada adapts the augmentations' probability: give augment= too/],
    ["ns,ns", /^variant "ns": given twice \(as ns\)/],
    ["ns+r1=10,ns+r1=1e1", /^variant "ns\+r1=1e1": given twice \(as ns\+r1=10\)/],
    ["ns,,hinge", /^variants "ns,,hinge": an empty variant/],
  ];
  for (const [list, message] of bad) {
    throws(
      () => parseVariants(list),
      (e: Error) => e instanceof RangeError && message.test(e.message),
      list,
    );
  }
});

Deno.test("compare --help gives the variants' syntax and every flag; the tool's help lists compare", async () => {
  const { code, stdout } = await runCli(["compare", "--help"]);
  equal(code, 0);
  match(stdout, /^Usage: cli\.ts compare \[options\]/);
  ok(stdout.includes(`A variant: ${VARIANT_SYNTAX}.`));
  for (const name of Object.keys(COMPARE_FLAGS)) ok(stdout.includes(`--${name}`), name);
  match(stdout, /\(default: ns,hinge,ls,wgan-gp\)/);
  match((await runCli(["--help"])).stdout, /\n {2}compare {3}train variants/);
});

Deno.test("compare: a bad variant is one line naming it, exit 2, before anything is written", async () => {
  const out = join(await Deno.makeTempDir({ dir: root }), "c");
  const { code, stderr } = await runCli(["compare", "--variants", "ns,ns+r1every=2", "--out", out]);
  equal(code, 2);
  match(oneLine(stderr), /^error: --variants: variant "ns\+r1every=2": r1every= says how often/);
  await rejects(Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("compareRuns names a variant whose training step refuses its models before anything trains", async () => {
  const out = join(root, "refused");
  // DCGAN's discriminator has BatchNorm, which a gradient penalty cannot go with.
  const tensors = tf.memory().numTensors;
  await rejects(
    compareRuns({ out, variants: parseVariants("ns,wgan-gp"), preset: "dcgan", epochs: 1 }),
    (e: Error) =>
      e instanceof RangeError && /^variant "wgan-gp": GanStep: gradient penalties/.test(e.message),
  );
  await rejects(Deno.stat(out), Deno.errors.NotFound);
  equal(tf.memory().numTensors, tensors);
});

/** A tiny comparison: the tutorial preset on 128 images (4 steps an epoch), 100 samples judged. */
function tiny(out: string, more: Partial<CompareOptions> = {}): CompareOptions {
  return {
    out,
    variants: parseVariants("ns,hinge"),
    preset: "tutorial",
    epochs: 2,
    seed: 1,
    dataLimit: 128,
    evalSamples: 100,
    ...more,
  };
}

/** A log's records of one kind, without the fields that time things. */
async function records(path: string, kind: string): Promise<Record<string, unknown>[]> {
  const lines = (await Deno.readTextFile(path)).split("\n");
  return lines.map(readLogLine).filter((r) => r?.kind === kind).map((r) => {
    const { seconds: _s, num_tensors: _n, ms_per_step: _m, ...rest } = r as unknown as Record<
      string,
      unknown
    >;
    return rest;
  });
}

/** Every file under a directory with its bytes' length and modification time. */
async function snapshot(dir: string, prefix = ""): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory) Object.assign(files, await snapshot(dir, path));
    else {
      const info = await Deno.stat(join(dir, path));
      files[path] = `${info.size} ${info.mtime?.getTime()}`;
    }
  }
  return files;
}

const whole = join(root, "whole");

Deno.test("compareRuns trains every variant from one seed into its run directory and reports them all", async () => {
  const starts: VariantStart[] = [];
  const epochs: string[] = [];
  const result = await compareRuns(tiny(whole, {
    onVariant: (s) => {
      starts.push(s);
    },
    onEpoch: (v, info, e) => {
      epochs.push(`${v.name} ${info.epoch} ${e && Number(e.fid.toPrecision(5))}`);
    },
  }));
  equal(result.aborted, false);
  deepEqual(starts.map((s) => `${s.index}/${s.count} ${s.variant.name} ${s.how}`), [
    "1/2 ns train",
    "2/2 hinge train",
  ]);
  const html = await Deno.readTextFile(join(whole, COMPARE_LAYOUT.reportHtml));
  const svg = await Deno.readTextFile(join(whole, COMPARE_LAYOUT.reportSvg));
  for (const name of ["ns", "hinge"]) {
    const run = join(whole, name);
    const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
    equal(config.settings.training.loss, name);
    equal(config.settings.training.seed, 1);
    equal(config.settings.evalEvery, 1);
    // Evaluated after every epoch, as `train --eval-every 1` does.
    const evals = await records(join(run, "log.jsonl"), "eval");
    deepEqual(evals.map((r) => [r.epoch, r.samples]), [[1, 100], [2, 100]], name);
    deepEqual(
      epochs.filter((line) => line.startsWith(`${name} `)),
      evals.map((r) => `${name} ${r.epoch} ${r.fid}`),
    );
    const fid = (evals[1].fid as number).toFixed(2);
    // The FID with its protocol: n, the reference set and the real-vs-real floor at that n.
    ok(
      new RegExp(
        `<td>${fid} <small>\\(epoch 2, n 100 vs MNIST test; real-vs-real floor \\d+\\.\\d\\d\\)</small></td>`,
      )
        .test(html),
      `${name}'s FID ${fid}`,
    );
    ok(html.includes(`src="${encodeURIComponent(name)}/samples/epoch-002.png"`), `${name}'s grid`);
    ok((await Deno.stat(join(run, "samples/epoch-002.png"))).isFile);
    ok(svg.includes(`>${name}</text>`), `${name} in the legend`);
  }
  // Five panels (FID, KID, coverage, D(x), D(G(z))) with a line of two epochs per variant.
  const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) =>
    m[1].split(" ").length
  );
  deepEqual(lines, new Array(10).fill(2));
  deepEqual((await readManifest(whole))?.finished, {
    ns: { epochs: 2, stoppedBy: null },
    "hinge": { epochs: 2, stoppedBy: null },
  });
});

Deno.test("compareRuns run again skips finished variants, touching none of their files; it leaks no tensor", async () => {
  const before = await snapshot(whole);
  const tensors = tf.memory().numTensors;
  const starts: string[] = [];
  await compareRuns(tiny(whole, { onVariant: (s) => void starts.push(s.how) }));
  deepEqual(starts, ["skip", "skip"]);
  const after = await snapshot(whole);
  for (
    const file of Object.keys(before).filter((f) =>
      !f.startsWith("report.") && f !== "compare.json"
    )
  ) {
    equal(after[file], before[file], file);
  }
  // A whole comparison more (two variants trained and evaluated) leaves the tensors as they were.
  await compareRuns(tiny(join(root, "again")));
  equal(tf.memory().numTensors, tensors);
});

Deno.test("an interrupted comparison goes on from the variant's checkpoint and ends as one never stopped", async () => {
  const out = join(root, "interrupted");
  const controller = new AbortController();
  const first = await compareRuns(tiny(out, {
    signal: controller.signal,
    onStep: (v, info) => {
      if (v.name === "hinge" && info.globalStep === 6) controller.abort();
    },
  }));
  equal(first.aborted, true);
  deepEqual(Object.keys((await readManifest(out))!.finished), ["ns"]);
  match(await Deno.readTextFile(join(out, COMPARE_LAYOUT.reportHtml)), /1 of 2 variants finished/);
  const nsFiles = await snapshot(join(out, "ns"));
  const starts: string[] = [];
  const resumed: string[] = [];
  const second = await compareRuns(tiny(out, {
    onVariant: (s) => void starts.push(`${s.variant.name} ${s.how}`),
    onResume: (v, from) => void resumed.push(`${v.name} ${from.epoch} ${from.step}`),
  }));
  equal(second.aborted, false);
  deepEqual(starts, ["ns skip", "hinge resume"]);
  deepEqual(resumed, ["hinge 2 2"]);
  deepEqual(await snapshot(join(out, "ns")), nsFiles);
  // Resumed on the same backend, it is bit for bit the uninterrupted comparison's run.
  for (const kind of ["epoch", "eval"]) {
    deepEqual(
      await records(join(out, "hinge/log.jsonl"), kind),
      await records(join(whole, "hinge/log.jsonl"), kind),
      kind,
    );
  }
  match(await Deno.readTextFile(join(out, COMPARE_LAYOUT.reportHtml)), /2 of 2 variants finished/);
});

Deno.test("compareRuns refuses a directory that holds a comparison with other settings, or other files", async () => {
  await rejects(
    compareRuns(tiny(whole, { epochs: 3 })),
    (e: Error) =>
      e instanceof RunDirectoryError && /other settings \(epochs 3, not 2\)/.test(e.message),
  );
  await rejects(
    compareRuns(tiny(whole, { variants: parseVariants("ns") })),
    (e: Error) => e instanceof RunDirectoryError && /variants ns, not ns,hinge/.test(e.message),
  );
  const other = await Deno.makeTempDir({ dir: root });
  await Deno.writeTextFile(join(other, "notes.txt"), "mine");
  await rejects(
    compareRuns(tiny(other)),
    (e: Error) => e instanceof RunDirectoryError && /holds no comparison/.test(e.message),
  );
  equal(await Deno.readTextFile(join(other, "notes.txt")), "mine");
});

Deno.test("compare: other settings for an existing directory are one line; --report-only rebuilds the report", async () => {
  const common = ["--preset", "tutorial", "--variants", "ns,hinge", "--limit", "128"];
  const args = [...common, "--eval-samples", "100", "--seed", "1", "--out", whole];
  const changed = await runCli(["compare", ...args, "--epochs", "3", "--backend", "cpu"]);
  equal(changed.code, 2, changed.stderr);
  match(oneLine(changed.stderr), /other settings \(epochs 3, not 2\).*--force/);
  const html = join(whole, COMPARE_LAYOUT.reportHtml);
  const written = await Deno.readTextFile(html);
  await Deno.remove(html);
  const rebuilt = await runCli(["compare", "--report-only", "--out", whole]);
  equal(rebuilt.code, 0, rebuilt.stderr);
  match(rebuilt.stdout, /report: .*report\.html and .*report\.svg \(2 of 2 variants finished\)/);
  equal(await Deno.readTextFile(html), written);
  const stray = await runCli(["compare", "--report-only", "--out", whole, "--epochs", "2"]);
  equal(stray.code, 2);
  match(oneLine(stray.stderr), /--epochs: --report-only rebuilds the report of --out DIR/);
  const none = await runCli([
    "compare",
    "--report-only",
    "--out",
    await Deno.makeTempDir({ dir: root }),
  ]);
  equal(none.code, 2);
  match(oneLine(none.stderr), /no compare\.json: not a comparison directory/);
});

Deno.test("compare prints one line per variant and epoch, and the report's place", async () => {
  const out = join(root, "cli");
  const { code, stdout, stderr } = await runCli([
    "compare",
    "--preset",
    "tutorial",
    "--variants",
    "ns,ns+sn",
    "--epochs",
    "1",
    "--limit",
    "64",
    "--eval-samples",
    "50",
    "--out",
    out,
  ]);
  equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  deepEqual(lines.filter((l) => /^variant /.test(l)), [
    `variant 1/2 ns: training into ${join(out, "ns")}`,
    `variant 2/2 ns+sn: training into ${join(out, "ns+sn")}`,
  ]);
  const epochLines = lines.filter((l) => /^\[ns/.test(l));
  equal(epochLines.length, 2);
  match(epochLines[0], /^\[ns 1\/2\]\[1\/1\]\[2\/2\] loss_d \d.* FID \d+\.\d\d coverage \d+\/10/);
  match(epochLines[1], /^\[ns\+sn 2\/2\]\[1\/1\]\[2\/2\] /);
  ok(lines.some((l) => l.startsWith(`done in `) && l.includes(join(out, "report.html"))));
});

/** A synthetic comparison: three variants, one finished, one half-way, one not started. */
async function syntheticComparison(): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: root });
  const settings = {
    preset: "lite" as const,
    seed: 3,
    epochs: 3,
    limit: 1000,
    evalSamples: 500,
    variants: ["ns", "hinge+r1=1", "ls"],
  };
  await writeManifest(dir, settings, { ns: { epochs: 3, stoppedBy: null } });
  const write = async (variant: string, training: object, log: object[]) => {
    await Deno.mkdir(join(dir, variant, "samples"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, variant, "config.json"),
      JSON.stringify({ settings: { training, generator: { imageShape: [28, 28, 1] } } }),
    );
    await Deno.writeTextFile(
      join(dir, variant, "log.jsonl"),
      log.map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
  };
  const evalRecord = (epoch: number, fid: number, more: object = {}) => ({
    kind: "eval",
    epoch,
    samples: 500,
    fid,
    coverage: 7,
    precision: 0.81,
    recall: 0.52,
    ...more,
  });
  const epochRecord = (epoch: number, dx: number, dgz: number, seconds = 21.25) => ({
    kind: "epoch",
    epoch,
    seconds,
    d_x: dx,
    d_g_z: dgz,
    loss_d: 1,
    loss_g: 1,
  });
  await write("ns", { loss: "ns", learningRate: 0.0002, generatorLearningRate: 0.0002 }, [
    evalRecord(1, 90.5, { kid: 0.2 }),
    epochRecord(1, 0.7, 0.3),
    evalRecord(2, 40.25, { kid: 0.05 }),
    epochRecord(2, 0.65, 0.35),
    evalRecord(3, 12.345, { kid: 0.0123, fid_floor: 0.48 }),
    epochRecord(3, 0.612, 0.388, 22.5),
  ]);
  await Deno.writeFile(
    join(dir, "ns", "samples", "epoch-003.png"),
    new Uint8Array([137, 80, 78, 71]),
  );
  await write("hinge+r1=1", { loss: "hinge", r1: 1, r1Every: 4, learningRate: 0.0002 }, [
    evalRecord(1, 70, { coverage: 5 }),
    epochRecord(1, 1.5, -1.25),
  ]);
  return dir;
}

Deno.test("writeReport shows each variant's log: the table's numbers, the charts' lines, a partial state", async () => {
  const dir = await syntheticComparison();
  const { variants } = await writeReport(dir);
  deepEqual(variants.map((v) => v.state), ["finished", "training", "not started"]);
  const html = await Deno.readTextFile(join(dir, COMPARE_LAYOUT.reportHtml));
  const svg = await Deno.readTextFile(join(dir, COMPARE_LAYOUT.reportSvg));
  const row = (name: string) =>
    html.split("\n").find((l) => l.startsWith(`<tr><td><code>${name}<`))!;
  // ns: the last evaluation, KID (the log has it), the last epoch's D values, 21.25 + 21.25 +
  // 22.5 = 65 seconds of training as 1m05s; hinge+r1=1's one epoch 21.25 s as 21s.
  equal(
    row("ns"),
    "<tr><td><code>ns</code></td><td>loss ns, lr 0.0002</td><td>finished (3 epochs)</td>" +
      "<td>12.35 <small>(epoch 3, n 500 vs MNIST test; real-vs-real floor 0.48)</small></td><td>0.0123</td><td>7/10</td><td>0.81</td>" +
      "<td>0.52</td><td>0.612</td><td>0.388</td><td>1m05s</td></tr>",
  );
  equal(
    row("hinge+r1=1"),
    "<tr><td><code>hinge+r1=1</code></td><td>loss hinge, R1 γ 1 every 4, lr 0.0002</td>" +
      "<td>epoch 1 of 3</td><td>70.00 <small>(epoch 1, n 500 vs MNIST test)</small></td><td>—</td><td>5/10</td>" +
      "<td>0.81</td><td>0.52</td><td>1.500</td><td>-1.250</td><td>21s</td></tr>",
  );
  match(row("ls"), /<td>not started<\/td><td>—<\/td>/);
  match(html, /1 of 3 variants finished \(a partial comparison/);
  match(html, /src="ns\/samples\/epoch-003.png"/);
  match(html, /no samples yet<\/div><figcaption><code>hinge\+r1=1<\/code>/);
  match(html, /against the MNIST test set/);
  ok(html.includes(svg.trim()), "the charts inline");
  // Five panels (KID too); the FID line of ns falls (90.5 → 40.25 → 12.345): its y grows.
  match(svg, />KID \(lower is better\)</);
  const polylines = [
    ...svg.matchAll(/<polyline fill="none" stroke="([^"]+)"[^>]*points="([^"]*)"/g),
  ];
  const ys = polylines[0][2].split(" ").map((p) => Number(p.split(",")[1]));
  equal(ys.length, 3);
  ok(ys[0] < ys[1] && ys[1] < ys[2], `FID of ns drawn falling: ${ys}`);
  // D is raw for hinge: the axes are not fixed to [0, 1], so -1.25 is drawn inside the panel.
  match(svg, /D\(G\(z\)\), mean per epoch \(σ\(D\) for ns, raw D for the other losses\)/);
  match(svg, />-1\.5</);
});

Deno.test("serve's /compare/ answers with the report page and its images, and nothing else", async () => {
  const { handler } = createHandler({ hostname: "127.0.0.1", port: 8000, root: whole });
  const get = (path: string) => handler(new Request(`http://127.0.0.1:8000${path}`));
  const redirect = await get("/compare");
  equal(redirect.status, 308);
  equal(redirect.headers.get("location"), "/compare/");
  const page = await get("/compare/");
  equal(page.status, 200);
  equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  match(page.headers.get("content-security-policy")!, /default-src 'none'; img-src 'self'/);
  const html = await page.text();
  equal(html, await Deno.readTextFile(join(whole, COMPARE_LAYOUT.reportHtml)));
  const images = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  equal(images.length, 2);
  for (const src of [...images, "report.svg"]) {
    const response = await get(`/compare/${src}`);
    equal(response.status, 200, src);
    const bytes = new Uint8Array(await response.arrayBuffer());
    deepEqual(bytes, await Deno.readFile(join(whole, decodeURIComponent(src))), src);
  }
  for (
    const [path, status] of [
      ["/compare/ns/config.json", 404],
      ["/compare/..%2F..%2Fetc%2Fx.png", 403],
      ["/compare/ns/samples/epoch-009.png", 404],
      ["/comparex", 404],
    ] as const
  ) {
    const response = await get(path);
    equal(response.status, status, path);
    await response.body?.cancel();
  }
  const bare = createHandler({ hostname: "127.0.0.1", port: 8000 }).handler;
  const nothing = await bare(new Request("http://127.0.0.1:8000/compare/"));
  equal(nothing.status, 404);
  match(await nothing.text(), /no comparison is served/);
});

Deno.test("serve --compare DIR serves the report at /compare/ until Ctrl-C; a directory without one is one line", async () => {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-net",
      cli,
      "serve",
      "--compare",
      whole,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const { said, reader } = await readUntil(child.stdout, "/compare/");
  const url = said.match(/http:\/\/127\.0\.0\.1:\d+\/compare\//)?.[0];
  ok(url, said);
  match(said, new RegExp(`serving the comparison in ${whole} at `));
  const page = await fetch(url);
  equal(page.status, 200);
  match(await page.text(), /GAN comparison: tutorial, seed 1/);
  child.kill("SIGINT");
  await reader.cancel();
  await child.stderr.cancel();
  equal((await child.status).code, 0);
  const empty = await runCli([
    "serve",
    "--compare",
    await Deno.makeTempDir({ dir: root }),
    "--port",
    "0",
  ], [
    "--allow-read",
    "--allow-net",
  ]);
  equal(empty.code, 2);
  match(oneLine(empty.stderr), /--compare .*: no report\.html \(not a comparison\?/);
});
