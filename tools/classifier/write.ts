/**
 * Writes a trained classifier as the JSON module the library loads (src/eval/classifier_data.ts
 * reads it): `{ generatedBy, info, testFeatureStatistics, files }`, two-space indented as
 * `deno fmt` leaves it.
 *
 * @module
 */

import type { ClassifierFiles } from "../../src/eval/classifier.ts";
import { toBase64 } from "../../src/eval/classifier.ts";
import type { ClassifierInfo, ShippedClassifier } from "../../src/eval/classifier_data.ts";
import type { FeatureStatistics } from "../../src/eval/fid.ts";

/**
 * Little-endian float64 values as base64.
 *
 * @param values The values.
 * @returns Their bytes, base64.
 */
export function float64Base64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return toBase64(bytes);
}

/**
 * Writes one shipped classifier's JSON file.
 *
 * @param name The file's name in src/eval/, e.g. `classifier_weights.json`.
 * @param task The `deno task` that writes it, and its script in tools/classifier/.
 * @param info What the classifier scores (the real images' scores under their key).
 * @param statistics Mean and covariance of its features on the test images.
 * @param files Its topology, weights manifest and weights.
 */
export async function writeShippedClassifier<RealKey extends string>(
  name: string,
  task: { task: string; script: string },
  info: ClassifierInfo<RealKey>,
  statistics: FeatureStatistics,
  files: ClassifierFiles,
): Promise<void> {
  const shipped: ShippedClassifier<RealKey> = {
    generatedBy: `deno task ${task.task} (tools/classifier/${task.script}). Do not edit.`,
    info,
    testFeatureStatistics: {
      count: statistics.count,
      dim: statistics.dim,
      meanBase64: float64Base64(statistics.mean),
      covarianceBase64: float64Base64(statistics.covariance),
    },
    files,
  };
  const text = JSON.stringify(shipped, null, 2) + "\n";
  const out = new URL(`../../src/eval/${name}`, import.meta.url);
  await Deno.writeTextFile(out, text);
  console.log(`wrote src/eval/${name} (${text.length} bytes)`);
}
