/**
 * The comparison's page, `report.html`: one self-contained HTML file (no script, inline style,
 * the charts' SVG inline) with a table of each variant's settings and final numbers, the charts,
 * and each variant's last sample grid side by side (linked from its run directory). Plain
 * strings, no file access.
 *
 * @module
 */

import type { ComparisonSettings } from "./manifest.ts";
import type { EpochPoint, VariantSummary } from "./summary.ts";

const html = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A number to `digits` decimals, or a dash for none. */
const num = (x: number | undefined, digits: number): string =>
  x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits);

/** Seconds as `1h02m`, `3m07s` or `42s`. */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${pad(s % 60)}s` : `${s}s`;
}

/**
 * A run's training settings that tell variants apart, in words: the loss and whatever it sets
 * beyond the defaults (read from `config.json`, so what the run really used).
 *
 * @param training The run's `settings.training`; null before it has a config.
 * @returns E.g. `loss wgan-gp, gp 10, D steps 5, lr 0.0002`.
 *
 * @example
 * ```ts
 * import { describeSettings } from "./page.ts";
 *
 * console.log(describeSettings({ loss: "ns", r1: 10, r1Every: 1, learningRate: 2e-4 }));
 * // loss ns, R1 γ 10, lr 0.0002
 * ```
 */
export function describeSettings(training: Record<string, unknown> | null): string {
  if (training === null) return "—";
  const t = training;
  const parts = [`loss ${t.loss ?? "ns"}`];
  if (t.loss === "wgan-gp" && t.gradientPenalty !== undefined) {
    parts.push(`gp ${t.gradientPenalty}`);
  }
  if (typeof t.discriminatorSteps === "number" && t.discriminatorSteps !== 1) {
    parts.push(`D steps ${t.discriminatorSteps}`);
  }
  if (typeof t.generatorSteps === "number" && t.generatorSteps !== 1) {
    parts.push(`G steps ${t.generatorSteps}`);
  }
  if (typeof t.r1 === "number" && t.r1 > 0) {
    parts.push(
      `R1 γ ${t.r1}` + (t.r1Every !== undefined && t.r1Every !== 1 ? ` every ${t.r1Every}` : ""),
    );
  }
  if (Array.isArray(t.augment) && t.augment.length > 0) {
    parts.push(`augment ${t.augment.join("/")}`);
  }
  if (t.ada === true) parts.push("ADA");
  if (t.spectralNorm === true) parts.push("spectral norm");
  if (typeof t.beta1 === "number" && (t.beta1 !== 0.5 || t.beta2 !== 0.999)) {
    parts.push(`Adam β (${t.beta1}, ${t.beta2})`);
  }
  if (typeof t.learningRate === "number") {
    const g = t.generatorLearningRate;
    parts.push(
      `lr ${t.learningRate}` + (typeof g === "number" && g !== t.learningRate ? ` (G ${g})` : ""),
    );
  }
  return parts.join(", ");
}

/** The last evaluated epoch of a variant, if any. */
const lastEvaluated = (v: VariantSummary): EpochPoint | undefined =>
  v.points.findLast((p) => Number.isFinite(p.fid));

/** What a variant's state cell says. */
function stateText(v: VariantSummary, epochs: number): string {
  const done = v.points.at(-1)?.epoch ?? 0;
  if (v.state === "finished") return `finished (${done} epochs)`;
  if (v.state === "stopped") return `stopped at epoch ${done}: ${v.stoppedBy}`;
  if (v.state === "training") return `epoch ${done} of ${epochs}`;
  return "not started";
}

/** How an FID was measured: after which epoch, n, the reference set, the real-vs-real floor. */
function fidProtocol(e: EpochPoint, channels: number): string {
  const reference = channels === 3 ? "CIFAR-10 test" : "MNIST test";
  const floor = Number.isFinite(e.fidFloor) ? `; real-vs-real floor ${num(e.fidFloor, 2)}` : "";
  return `epoch ${e.epoch}, n ${e.samples} vs ${reference}${floor}`;
}

/** The table: a row per variant. */
function table(variants: VariantSummary[], settings: ComparisonSettings): string {
  const kid = variants.some((v) => v.points.some((p) => Number.isFinite(p.kid)));
  const head = [
    "variant",
    "settings",
    "state",
    "FID",
    ...(kid ? ["KID"] : []),
    "coverage",
    "precision",
    "recall",
    "D(x)",
    "D(G(z))",
    "training time",
  ];
  const rows = variants.map((v) => {
    const e = lastEvaluated(v);
    const last = v.points.at(-1);
    const cells = [
      `<code>${html(v.name)}</code>`,
      html(describeSettings(v.training)),
      html(stateText(v, settings.epochs)),
      e ? `${num(e.fid, 2)} <small>(${fidProtocol(e, v.imageShape?.[2] ?? 1)})</small>` : "—",
      ...(kid ? [num(e?.kid, 4)] : []),
      e ? `${e.coverage}/10` : "—",
      num(e?.precision, 2),
      num(e?.recall, 2),
      num(last?.dReal, 3),
      num(last?.dFake, 3),
      duration(v.seconds),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  });
  return `<table>\n<tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>\n${
    rows.join("\n")
  }\n</table>`;
}

/** Each variant's last sample grid, side by side. */
function grids(variants: VariantSummary[]): string {
  const figures = variants.map((v) => {
    const epoch = v.points.at(-1)?.epoch;
    const src = v.lastGrid?.split("/").map(encodeURIComponent).join("/");
    const image = src
      ? `<img src="${html(src)}" alt="samples of ${html(v.name)} after epoch ${epoch}">`
      : `<div class="none">no samples yet</div>`;
    const caption = `<code>${html(v.name)}</code>${src ? `, epoch ${epoch}` : ""}`;
    return `<figure>${image}<figcaption>${caption}</figcaption></figure>`;
  });
  return `<div class="grids">\n${figures.join("\n")}\n</div>`;
}

const STYLE =
  `body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td code { white-space: nowrap; }
.grids { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; text-align: center; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 260px; }
.none { width: 224px; height: 224px; border: 1px dashed #ccc; display: flex; align-items: center; justify-content: center; color: #888; }
.partial { background: #fff4d6; padding: 4px 8px; }
svg { max-width: 100%; height: auto; }`;

/**
 * The report page.
 *
 * @param variants The variants, in the comparison's order.
 * @param settings The comparison's settings.
 * @param svg The charts ({@linkcode comparisonSvg}), inlined.
 * @returns A complete HTML document.
 *
 * @example
 * ```ts
 * import { comparisonHtml } from "./page.ts";
 *
 * const settings = { preset: "lite" as const, seed: 1, epochs: 2, limit: null, evalSamples: 500, variants: ["ns"] };
 * const ns = { name: "ns", dir: "ns", state: "not started" as const, stoppedBy: null, training: null, imageShape: null, points: [], lastGrid: null, seconds: NaN };
 * console.log(comparisonHtml([ns], settings, "<svg></svg>").includes("not started")); // true
 * ```
 */
export function comparisonHtml(
  variants: VariantSummary[],
  settings: ComparisonSettings,
  svg: string,
): string {
  const done = variants.filter((v) => v.state === "finished" || v.state === "stopped").length;
  const colour = variants.some((v) => v.imageShape?.[2] === 3);
  const reference = colour
    ? "the shipped statistics of CIFAR-10's test set"
    : "the MNIST test set (features of the shipped classifier)";
  const images = settings.limit === null
    ? "all training images"
    : `the first ${settings.limit.toLocaleString("en-US")} training images`;
  const title = `GAN comparison: ${settings.preset}, seed ${settings.seed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${html(title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<h1>${html(title)}</h1>
<p>Every variant trains preset <code>${html(settings.preset)}</code> from seed ${settings.seed} for
${settings.epochs} epochs on ${images}, and is evaluated after every epoch on
${settings.evalSamples} samples: FID, coverage, precision and recall against ${reference}.</p>
<p${
    done < variants.length
      ? ' class="partial"'
      : ""
  }>${done} of ${variants.length} variants finished${
    done < variants.length ? " (a partial comparison: run the same command again to go on)" : ""
  }.</p>
<h2>Final numbers</h2>
${table(variants, settings)}
<p><small>The last evaluation of each variant; n is the number of samples judged. D(x) and D(G(z))
are the last epoch's means: the probability that D calls an image real for <code>ns</code>, D's raw
output for the other losses (so they compare within a loss, not across).</small></p>
<h2>Per epoch</h2>
${svg}
<h2>Samples after the last epoch</h2>
<p>The same noise for every variant and every epoch (the runs share the seed).</p>
${grids(variants)}
<h2>How to read it</h2>
<ul>
<li>FID: how far the samples' features are from real digits'; lower is better, 0 is alike.</li>
<li>Coverage: how many of the ten digits make at least 5% of the samples; 10 is all of them. A
variant whose coverage falls has collapsed onto a few digits.</li>
<li>Precision: the share of samples that look like some real digit; recall: the share of real
digits the samples come near. High precision with low recall is a generator that plays safe.</li>
<li>D(x) against D(G(z)): with <code>ns</code> both near 0.5 is a balanced game; D(x) near 1 and
D(G(z)) near 0 is a discriminator that wins.</li>
</ul>
</body>
</html>
`;
}
