/**
 * The comparison's charts as one self-contained SVG: a legend of the variants, then FID,
 * coverage, D(x) and D(G(z)) per epoch with a line per variant (and KID where the logs have it).
 * The panels are the run chart's (`src/train/run/chart.ts`); plain strings, no file access.
 *
 * @module
 */

import { CHART_WIDTH, chartPanel, type ChartSeries, PANEL_HEIGHT } from "../train/run/chart.ts";
import type { EpochPoint, VariantSummary } from "./summary.ts";

/**
 * The variants' colours, in order (tab10), repeated past ten.
 *
 * @example
 * ```ts
 * import { VARIANT_COLORS } from "./chart.ts";
 *
 * console.log(VARIANT_COLORS[0]); // #1f77b4
 * ```
 */
export const VARIANT_COLORS: readonly string[] = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

/** The legend: a swatch and a name per variant, wrapped to the chart's width. */
function legend(names: string[], top: number): { svg: string; height: number } {
  const parts: string[] = [];
  let x = 56, y = top;
  for (const [i, name] of names.entries()) {
    const width = 28 + 7 * name.length;
    if (x + width > CHART_WIDTH - 16 && x > 56) {
      x = 56;
      y += 20;
    }
    const color = VARIANT_COLORS[i % VARIANT_COLORS.length];
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${x + 16}" y="${y + 11}" font-size="12">${esc(name)}</text>`);
    x += width;
  }
  return { svg: parts.join("\n"), height: y - top + 24 };
}

/** One line per variant of one field, a value per epoch 1…`epochs` (NaN where there is none). */
function seriesOf(
  variants: VariantSummary[],
  epochs: number,
  field: keyof EpochPoint,
): ChartSeries[] {
  return variants.map((v, i) => {
    const values = new Array<number>(epochs).fill(NaN);
    for (const p of v.points) if (p.epoch >= 1 && p.epoch <= epochs) values[p.epoch - 1] = p[field];
    return { label: v.name, color: VARIANT_COLORS[i % VARIANT_COLORS.length], values };
  });
}

/**
 * Draws the comparison's charts.
 *
 * @param variants The variants, in the comparison's order (their colours follow it).
 * @param title The chart's title, e.g. `lite, seed 1, 3 epochs`.
 * @returns A complete SVG document.
 *
 * @example
 * ```ts
 * import { comparisonSvg } from "./chart.ts";
 *
 * const point = { epoch: 1, dReal: 0.7, dFake: 0.3, lossD: 1, lossG: 1, fid: 80, kid: NaN, fidFloor: NaN, coverage: 9, precision: 0.5, recall: 0.4, samples: 500 };
 * const ns = { name: "ns", dir: "ns", state: "finished" as const, stoppedBy: null, training: null, imageShape: null, points: [point], lastGrid: null, seconds: 3 };
 * console.log(comparisonSvg([ns], "lite, seed 1").startsWith("<svg")); // true
 * ```
 */
export function comparisonSvg(variants: VariantSummary[], title: string): string {
  const epochs = Math.max(1, ...variants.flatMap((v) => v.points.map((p) => p.epoch)));
  const xs = Array.from({ length: epochs }, (_, i) => i + 1);
  const axis = { label: "epoch", integerTicks: true, legend: false, dots: true };
  const key = legend(variants.map((v) => v.name), 36);
  // D's outputs are probabilities for ns only; the other losses log D's raw output.
  const allNs = variants.every((v) => (v.training?.loss ?? "ns") === "ns");
  const dRange: [number, number] | undefined = allNs ? [0, 1] : undefined;
  const dNote = allNs ? "" : " (σ(D) for ns, raw D for the other losses)";
  const hasKid = variants.some((v) => v.points.some((p) => Number.isFinite(p.kid)));
  const panels: [string, keyof EpochPoint, [number, number] | undefined][] = [
    ["FID (lower is better)", "fid", undefined],
    ...(hasKid
      ? [["KID (lower is better)", "kid", undefined] as [string, keyof EpochPoint, undefined]]
      : []),
    ["Coverage: classes with ≥ 5% of the samples", "coverage", [0, 10]],
    [`D(x), mean per epoch${dNote}`, "dReal", dRange],
    [`D(G(z)), mean per epoch${dNote}`, "dFake", dRange],
  ];
  const top = 36 + key.height;
  const height = top + panels.length * PANEL_HEIGHT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="56" y="22" font-size="16" font-weight="bold">Comparison — ${esc(title)}</text>`,
    key.svg,
    ...panels.map(([name, field, range], i) =>
      chartPanel(top + i * PANEL_HEIGHT, name, xs, seriesOf(variants, epochs, field), range, axis)
    ),
    "</svg>",
    "",
  ].join("\n");
}
