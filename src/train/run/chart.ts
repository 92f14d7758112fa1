/**
 * Training curves as a self-contained SVG: losses on top, D(x) and D(G(z)) below. Plain strings,
 * no file access: runs in Deno and in a browser.
 *
 * @module
 */

/** One point of the curves, usually the mean over a logging window. */
export interface CurvePoint {
  /** Steps since the start of the run. */
  globalStep: number;
  /** Discriminator loss. */
  lossD: number;
  /** Generator loss. */
  lossG: number;
  /** D(x). */
  dReal: number;
  /** D(G(z)). */
  dFake: number;
}

/** One evaluation of the generator's samples, for the quality panels. */
export interface MetricPoint {
  /** Steps since the start of the run. */
  globalStep: number;
  /** Fréchet distance to the MNIST test set (lower is better). */
  fid: number;
  /** Classes holding at least 5% of the samples, 0–10. */
  coverage: number;
  /** Precision of the sample distribution, 0–1. */
  precision: number;
  /** Recall of the sample distribution, 0–1. */
  recall: number;
}

/** One line of a panel: its legend label, colour and a value per x (NaN: no point there). */
export interface ChartSeries {
  /** The legend's label. */
  label: string;
  /** A CSS colour. */
  color: string;
  /** One value per x; non-finite values are skipped. */
  values: number[];
}

/** How a panel's x axis reads, and what it draws besides the lines. */
export interface PanelAxis {
  /** The x axis's name. @default {"step"} */
  label?: string;
  /** Ticks at whole numbers only (epochs). @default {false} */
  integerTicks?: boolean;
  /** Draw the legend in the panel's title row. @default {true} */
  legend?: boolean;
  /** Draw a dot at every point (lines of few points). @default {false} */
  dots?: boolean;
}

/** The width of a chart, in pixels. */
export const CHART_WIDTH = 720;
/** The height of one panel, in pixels. */
export const PANEL_HEIGHT = 220;
const WIDTH = CHART_WIDTH;
const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };

const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/** A round tick spacing near `rough`: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  return power * ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10);
}
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * One panel of a chart: a title, a framed plot with a y grid, lines against an x axis from 0 to
 * the last x, and a legend. `lossChartSvg` stacks four; the comparison report stacks its own.
 *
 * @param top Where the panel starts, in pixels from the chart's top.
 * @param title The panel's title.
 * @param steps The x values, ascending (the last is the axis's end).
 * @param series The lines, one value per x.
 * @param range The y axis's range; the values' (from 0) when absent.
 * @param axis The x axis's label and ticks, the legend, dots.
 * @returns SVG elements, to go inside an `<svg>` {@linkcode CHART_WIDTH} wide.
 *
 * @example
 * ```ts
 * import { chartPanel } from "./chart.ts";
 *
 * const svg = chartPanel(0, "FID", [1, 2, 3], [{ label: "ns", color: "#d62728", values: [90, 40, 20] }]);
 * console.log(svg.includes("<polyline")); // true
 * ```
 */
export function chartPanel(
  top: number,
  title: string,
  steps: number[],
  series: ChartSeries[],
  range?: [number, number],
  axis: PanelAxis = {},
): string {
  const finite = series.flatMap((s) => s.values).filter(Number.isFinite);
  let [low, high] = range ?? [Math.min(0, ...finite), Math.max(...finite, 1e-6)];
  if (high - low < 1e-9) high = low + 1;
  const tick = niceStep((high - low) / 4);
  low = Math.floor(low / tick) * tick;
  high = Math.ceil(high / tick) * tick;
  const x0 = MARGIN.left, x1 = WIDTH - MARGIN.right;
  const y0 = top + MARGIN.top, y1 = top + PANEL_HEIGHT - MARGIN.bottom;
  const maxStep = Math.max(1, steps[steps.length - 1] ?? 1);
  const px = (step: number) => x0 + (step / maxStep) * (x1 - x0);
  const py = (v: number) =>
    y1 - ((Math.min(high, Math.max(low, v)) - low) / (high - low)) * (y1 - y0);
  const out: string[] = [];
  out.push(
    `<text x="${x0}" y="${top + 18}" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  out.push(
    `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#999"/>`,
  );
  for (let v = low; v <= high + tick / 2; v += tick) {
    const y = py(v);
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
  }
  const xTick = axis.integerTicks ? Math.max(1, Math.ceil(niceStep(maxStep / 4))) : maxStep / 4;
  for (let i = 0; i * xTick <= maxStep + 1e-9; i++) {
    const step = Math.round(i * xTick);
    out.push(
      `<text x="${px(step)}" y="${y1 + 16}" font-size="11" text-anchor="middle">${step}</text>`,
    );
  }
  out.push(
    `<text x="${(x0 + x1) / 2}" y="${y1 + 30}" font-size="11" text-anchor="middle">${
      esc(axis.label ?? "step")
    }</text>`,
  );
  series.forEach((s, k) => {
    const points = steps
      .map((step, i) => [step, s.values[i]] as const)
      .filter(([, v]) => Number.isFinite(v))
      .map(([step, v]) => `${px(step).toFixed(1)},${py(v).toFixed(1)}`);
    if (points.length > 0) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${
          points.join(" ")
        }"/>`,
      );
    }
    if (axis.dots) {
      for (const point of points) {
        const [cx, cy] = point.split(",");
        out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
      }
    }
    if (axis.legend === false) return;
    const lx = x1 - 75 * series.length + k * 75;
    out.push(`<rect x="${lx}" y="${top + 8}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 16}" y="${top + 18}" font-size="12">${esc(s.label)}</text>`);
  });
  return out.join("\n");
}

/**
 * Draws loss curves and discriminator outputs against training steps, and, when the run was
 * evaluated, FID and coverage, precision and recall below them.
 *
 * @param points The curve points, in step order.
 * @param title A title for the chart.
 * @param metrics Evaluations, in step order (no quality panels when empty).
 * @returns A complete SVG document.
 *
 * @example
 * ```ts
 * import { lossChartSvg } from "@gan/mnist";
 *
 * const svg = lossChartSvg([
 *   { globalStep: 50, lossD: 1.2, lossG: 0.9, dReal: 0.6, dFake: 0.4 },
 *   { globalStep: 100, lossD: 1.1, lossG: 1.0, dReal: 0.6, dFake: 0.4 },
 * ], "lite, seed 1");
 * console.log(svg.startsWith("<svg"));
 * ```
 */
export function lossChartSvg(
  points: CurvePoint[],
  title = "training",
  metrics: MetricPoint[] = [],
): string {
  const steps = points.map((p) => p.globalStep);
  // The quality panels share the loss panels' step axis.
  const evalSteps = [...metrics.map((m) => m.globalStep), ...steps.slice(-1)];
  const quality = metrics.length === 0 ? [] : [
    chartPanel(2 * PANEL_HEIGHT, "FID (evaluator; lower is better)", evalSteps, [
      { label: "FID", color: "#9467bd", values: metrics.map((m) => m.fid) },
    ]),
    chartPanel(3 * PANEL_HEIGHT, "Coverage / 10, precision, recall", evalSteps, [
      { label: "cov/10", color: "#8c564b", values: metrics.map((m) => m.coverage / 10) },
      { label: "prec", color: "#e377c2", values: metrics.map((m) => m.precision) },
      { label: "recall", color: "#17becf", values: metrics.map((m) => m.recall) },
    ], [0, 1]),
  ];
  const height = (2 + quality.length) * PANEL_HEIGHT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    chartPanel(0, `Losses — ${title}`, steps, [
      { label: "loss_d", color: "#d62728", values: points.map((p) => p.lossD) },
      { label: "loss_g", color: "#1f77b4", values: points.map((p) => p.lossG) },
    ]),
    chartPanel(
      PANEL_HEIGHT,
      "Discriminator outputs",
      steps,
      [
        { label: "D(x)", color: "#2ca02c", values: points.map((p) => p.dReal) },
        { label: "D(G(z))", color: "#ff7f0e", values: points.map((p) => p.dFake) },
      ],
      // Probabilities (ns) on [0, 1]; the other objectives' raw scores on their own range.
      points.every((p) => p.dReal >= 0 && p.dReal <= 1 && p.dFake >= 0 && p.dFake <= 1)
        ? [0, 1]
        : undefined,
    ),
    ...quality,
    "</svg>",
    "",
  ].join("\n");
}
