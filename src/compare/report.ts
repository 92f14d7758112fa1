/**
 * Writes a comparison's report (Deno only): `report.svg` (the charts) and `report.html` (the
 * page), from `compare.json` and each variant's run directory. The comparison rewrites it after
 * every epoch; `compare --report-only` rebuilds it.
 *
 * @module
 */

import { join } from "node:path";
import { RunDirectoryError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { comparisonSvg } from "./chart.ts";
import { COMPARE_LAYOUT } from "./layout.ts";
import { readManifest } from "./manifest.ts";
import { comparisonHtml } from "./page.ts";
import { readVariant, type VariantSummary } from "./summary.ts";
import { parseVariant } from "./variants.ts";

/** What {@linkcode writeReport} wrote. */
export interface ComparisonReport {
  /** The variants as the report shows them. */
  variants: VariantSummary[];
  /** The path of `report.html`. */
  html: string;
  /** The path of `report.svg`. */
  svg: string;
}

/**
 * Writes `report.svg` and `report.html` in a comparison directory.
 *
 * @param dir The comparison directory (it holds `compare.json`).
 * @returns The variants shown and the files' paths.
 * @throws {RunDirectoryError} If `dir` holds no comparison.
 *
 * @example
 * ```ts ignore
 * const report = await writeReport("runs/compare");
 * console.log(report.html); // runs/compare/report.html
 * ```
 */
export async function writeReport(dir: string): Promise<ComparisonReport> {
  const manifest = await readManifest(dir);
  if (!manifest) {
    throw new RunDirectoryError(
      dir,
      `no ${COMPARE_LAYOUT.manifest}: not a comparison directory (cli.ts compare makes one)`,
    );
  }
  const { settings } = manifest;
  const variants: VariantSummary[] = [];
  for (const name of settings.variants) {
    variants.push(await readVariant(dir, parseVariant(name), manifest));
  }
  const title = `${settings.preset}, seed ${settings.seed}, ${settings.epochs} epochs`;
  const svg = comparisonSvg(variants, title);
  const paths = {
    html: join(dir, COMPARE_LAYOUT.reportHtml),
    svg: join(dir, COMPARE_LAYOUT.reportSvg),
  };
  const encoder = new TextEncoder();
  await writeFileAtomic(paths.svg, encoder.encode(svg));
  await writeFileAtomic(paths.html, encoder.encode(comparisonHtml(variants, settings, svg)));
  return { variants, ...paths };
}
