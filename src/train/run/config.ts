/**
 * A run's `config.json` (Deno only): every setting, the seed, the versions, the models' sizes and
 * the data, written once when the run starts; its settings rewritten when a resumed run extends
 * its epochs.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import type { ImageSet } from "../../data/images.ts";
import { MNIST_PACKAGE } from "../../data/mnist.ts";
import { writeFileAtomic } from "../../fs.ts";
import { TFJS_VERSION, VERSION } from "../../version.ts";
import { RUN_LAYOUT } from "./layout.ts";
import type { RunModels } from "./models.ts";
import type { RunSettings } from "./settings.ts";

/** What `config.json` holds. */
export interface RunConfig {
  /** The library that wrote it, e.g. `@gan/mnist 0.1.0`. */
  library: string;
  /** The tf.js version. */
  tfjs: string;
  /** The Deno version. */
  deno: string;
  /** The tf.js backend the run started on. */
  backend: string;
  /** When the run started (ISO 8601). */
  created: string;
  /** Parameters of each model. */
  parameters: { generator: number; discriminator: number };
  /** The images trained on and where they came from. */
  data: { count: number; source: string };
  /** Everything that determines the run. */
  settings: RunSettings;
}

/**
 * The config of a run that starts now.
 *
 * @param settings The run's settings.
 * @param models Its models.
 * @param data Its images.
 * @param inMemory Whether the images were given in memory rather than loaded.
 * @returns What `config.json` holds.
 */
export function runConfig(
  settings: RunSettings,
  models: RunModels,
  data: ImageSet,
  inMemory: boolean,
): RunConfig {
  return {
    library: `@gan/mnist ${VERSION}`,
    tfjs: TFJS_VERSION,
    deno: Deno.version.deno,
    backend: tf.getBackend(),
    created: new Date().toISOString(),
    parameters: {
      generator: models.generator.countParams(),
      discriminator: models.discriminator.countParams(),
    },
    data: {
      count: data.count,
      source: inMemory ? "in memory" : settings.data.dir ?? MNIST_PACKAGE,
    },
    settings,
  };
}

/**
 * Writes `config.json` atomically.
 *
 * @param dir The run directory.
 * @param config What it holds (JSON, indented by 2).
 */
export async function writeRunConfig(dir: string, config: unknown): Promise<void> {
  await writeFileAtomic(
    join(dir, RUN_LAYOUT.config),
    new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
  );
}

/**
 * Replaces the settings in a run's `config.json`, keeping the rest.
 *
 * @param dir The run directory.
 * @param settings The settings now (a resumed run's, with more epochs).
 */
export async function rewriteRunSettings(dir: string, settings: RunSettings): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(join(dir, RUN_LAYOUT.config)));
  config.settings = settings;
  await writeRunConfig(dir, config);
}
