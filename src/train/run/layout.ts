/**
 * The run directory's layout: the one place that names its files, for the run that writes them
 * and for every reader (resuming, the live view, the follower, the CLI).
 *
 * ```
 * R/config.json                 every setting, the seed, the versions
 * R/log.jsonl                   one JSON line per logging step and per epoch (see log.ts)
 * R/loss.svg                    loss curves (and quality, when evaluated), redrawn every epoch
 * R/samples/epoch-001.png       a grid from a fixed noise batch, every epoch
 * R/samples/progress.gif        those grids as a time-lapse, redrawn every epoch
 * R/generator/model.json        tf.js layers format, saved every epoch (the averaged weights when
 *                               the run keeps an average; the last ones then in generator-last/)
 * R/discriminator/model.json
 * R/best/model.json             with evaluation on: the generator with the best FID so far
 * R/checkpoint.ckpt             everything needed to resume exactly
 * ```
 *
 * @module
 */

/** The names in a run directory; paths inside it are `/`-separated. */
export interface RunLayout {
  /** Every setting, the seed and the versions. */
  readonly config: string;
  /** The log: one JSON record a line. */
  readonly log: string;
  /** The loss (and quality) curves. */
  readonly lossChart: string;
  /** The checkpoint to resume from. */
  readonly checkpoint: string;
  /** The directory of the sample grids and the time-lapse. */
  readonly samples: string;
  /** The time-lapse's name in `samples/`. */
  readonly progressGif: string;
  /** The name in `samples/` of an epoch's grid (epochs from 1): `epoch-NNN.png`. */
  readonly epochGrid: (epoch: number) => string;
  /** Matches the names `epochGrid` makes. */
  readonly epochGridPattern: RegExp;
  /** The path of an epoch's grid in the run: `samples/epoch-NNN.png`. */
  readonly epochGridPath: (epoch: number) => string;
  /** The model directories, in the order the run writes them. */
  readonly models: {
    /** The generator shown (averaged weights when the run keeps an average). */
    readonly generator: string;
    /** The generator's last weights, when the run keeps an average. */
    readonly generatorLast: string;
    /** The discriminator. */
    readonly discriminator: string;
    /** The generator with the best FID so far. */
    readonly best: string;
  };
  /** The generator's model file in the run: `generator/model.json`. */
  readonly generatorModel: string;
}

/**
 * The run directory's layout.
 *
 * @example
 * ```ts
 * import { RUN_LAYOUT } from "@gan/mnist";
 * import { join } from "node:path";
 *
 * console.log(join("runs/lite", RUN_LAYOUT.epochGridPath(3))); // runs/lite/samples/epoch-003.png
 * console.log(RUN_LAYOUT.generatorModel); // generator/model.json
 * ```
 */
export const RUN_LAYOUT: RunLayout = {
  config: "config.json",
  log: "log.jsonl",
  lossChart: "loss.svg",
  checkpoint: "checkpoint.ckpt",
  samples: "samples",
  progressGif: "progress.gif",
  epochGrid: (epoch: number): string => `epoch-${String(epoch).padStart(3, "0")}.png`,
  epochGridPattern: /^epoch-\d+\.png$/,
  epochGridPath: (epoch: number): string => `samples/${RUN_LAYOUT.epochGrid(epoch)}`,
  models: {
    generator: "generator",
    generatorLast: "generator-last",
    discriminator: "discriminator",
    best: "best",
  },
  generatorModel: "generator/model.json",
};
