/**
 * A comparison directory's layout: the one place that names its files, for the comparison that
 * writes them, the report, and the web interface's `/compare/` page.
 *
 * ```
 * D/compare.json             the comparison's settings and which variants are finished
 * D/report.html              the page: table, charts, each variant's last sample grid
 * D/report.svg               the charts alone: FID, coverage, D(x), D(G(z)) per epoch
 * D/<variant>/               an ordinary run directory per variant (RUN_LAYOUT)
 * ```
 *
 * @module
 */

/** The names in a comparison directory. */
export interface CompareLayout {
  /** The comparison's settings and progress. */
  readonly manifest: string;
  /** The report page. */
  readonly reportHtml: string;
  /** The report's charts. */
  readonly reportSvg: string;
}

/**
 * A comparison directory's layout.
 *
 * @example
 * ```ts
 * import { COMPARE_LAYOUT } from "./layout.ts";
 * import { join } from "node:path";
 *
 * console.log(join("runs/compare", COMPARE_LAYOUT.reportHtml)); // runs/compare/report.html
 * ```
 */
export const COMPARE_LAYOUT: CompareLayout = {
  manifest: "compare.json",
  reportHtml: "report.html",
  reportSvg: "report.svg",
};
