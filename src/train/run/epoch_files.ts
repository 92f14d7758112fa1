/**
 * What a run writes after an epoch (Deno only): the models, the fixed-noise grid and the
 * time-lapse, the best generator when an evaluation beat the others, and the loss curves.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../../fs.ts";
import { saveModel } from "../../io/model_files.ts";
import { sample } from "../../sample/sample.ts";
import { writePngGrid } from "../../sample/files.ts";
import type { LayersModel } from "../../tf_types.ts";
import { VERSION } from "../../version.ts";
import { type CurvePoint, lossChartSvg, type MetricPoint } from "./chart.ts";
import { writeProgressGif } from "./timelapse.ts";
import { RUN_LAYOUT } from "./layout.ts";
import type { RunModels } from "./models.ts";
import type { RunSettings } from "./settings.ts";

/** The metadata a saved model carries. */
function metadata(settings: RunSettings, role: string, epoch: number, fid?: number) {
  const seed = settings.training.seed;
  const extra = fid === undefined ? {} : { fid };
  return { ganMnist: { version: VERSION, role, preset: settings.preset, epoch, seed, ...extra } };
}

/**
 * Saves the models after an epoch (the averaged generator as `generator/` and the last weights
 * as `generator-last/` when the run keeps an average), then the epoch's grid from the fixed noise
 * batch and the time-lapse.
 *
 * @param dir The run directory.
 * @param models The run's models.
 * @param settings The run's settings.
 * @param epoch The epoch, from 1.
 * @param gridSeed The seed of the fixed noise batch.
 */
export async function writeEpochFiles(
  dir: string,
  models: RunModels,
  settings: RunSettings,
  epoch: number,
  gridSeed: number,
): Promise<void> {
  const { generator, discriminator, average, averaged, shown } = models;
  const paths = RUN_LAYOUT.models;
  const meta = (role: string) => ({ metadata: metadata(settings, role, epoch) });
  if (average) {
    average.writeTo(averaged!);
    await saveModel(averaged!, join(dir, paths.generator), meta("generator"));
    await saveModel(generator, join(dir, paths.generatorLast), meta("generator"));
  } else {
    await saveModel(generator, join(dir, paths.generator), meta("generator"));
  }
  await saveModel(discriminator, join(dir, paths.discriminator), meta("discriminator"));
  const grid = await sample(shown, { n: settings.gridSize, seed: gridSeed });
  await writePngGrid(join(dir, RUN_LAYOUT.epochGridPath(epoch)), grid, { scale: 2 });
  await writeProgressGif(join(dir, RUN_LAYOUT.samples), epoch);
}

/**
 * Saves the generator with the best FID so far as `best/`.
 *
 * @param dir The run directory.
 * @param generator The generator evaluated.
 * @param settings The run's settings.
 * @param epoch The epoch after which it was evaluated.
 * @param fid Its FID.
 */
export async function saveBest(
  dir: string,
  generator: LayersModel,
  settings: RunSettings,
  epoch: number,
  fid: number,
): Promise<void> {
  await saveModel(generator, join(dir, RUN_LAYOUT.models.best), {
    metadata: metadata(settings, "generator", epoch, fid),
  });
}

/**
 * Redraws `loss.svg`.
 *
 * @param dir The run directory.
 * @param settings The run's settings (the title: preset and seed).
 * @param curve The loss curve's points.
 * @param quality The evaluations' points.
 */
export async function writeLossChart(
  dir: string,
  settings: RunSettings,
  curve: CurvePoint[],
  quality: MetricPoint[],
): Promise<void> {
  const title = `${settings.preset}, seed ${settings.training.seed}`;
  await writeFileAtomic(
    join(dir, RUN_LAYOUT.lossChart),
    new TextEncoder().encode(lossChartSvg(curve, title, quality)),
  );
}
