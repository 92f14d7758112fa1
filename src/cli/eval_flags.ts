/**
 * `eval`'s flags as a table (type, default, help) and its `--help` text.
 *
 * @module
 */

import { CIFAR_CLASSIFIER_INFO, CLASSIFIER_INFO } from "../eval/classifier_data.ts";
import { type FlagTable, optionsHelp } from "./flag_table.ts";

/** `eval`'s flags, in the order `eval --help` lists them. */
export const EVAL_FLAGS: FlagTable = {
  model: {
    type: "string",
    value: "DIR",
    help: [
      "draw the images from a trained generator instead: a run directory, a model",
      "directory or a model.json",
    ],
  },
  n: {
    type: "string",
    value: "N",
    help: [
      "images to draw from --model                          (default: 10000)",
      "with FILE.idx: evaluate its first N                   (default: all)",
    ],
  },
  seed: {
    type: "string",
    value: "N",
    help: ["seed of the noise for --model                         (default: $default)"],
    default: 0,
  },
  truncation: {
    type: "string",
    value: "PSI",
    help: [
      "style-based models (stylegan, cstylegan): sample with the truncation trick,",
      "each w pulled towards the average w by PSI in (0, 2]; precision rises and",
      "recall falls as PSI drops (try 1, 0.7, 0.5)               (default: 1, off)",
    ],
  },
  k: {
    type: "string",
    value: "N",
    help: ["the neighbour of precision and recall                 (default: $default)"],
    default: 3,
  },
  data: {
    type: "string",
    value: "DIR",
    help: [
      "for a colour generator: CIFAR-10's binary files; its test_batch.bin is the",
      "reference of FID, KID, precision and recall, its training batches those of",
      "--nearest                                          (default: none; FID",
      "against the shipped statistics, no KID, precision and recall)",
    ],
  },
  nearest: {
    type: "string",
    value: "K",
    help: [
      "the memorisation check: the share of the images nearer to a training image",
      "than training images are to each other, and a grid of the first K images",
      "beside their 5 nearest training images (needs --out; digits only, or --data",
      "for a colour generator)",
    ],
  },
  out: {
    type: "string",
    value: "FILE.png",
    help: ["where --nearest writes its grid"],
  },
  backend: {
    type: "string",
    value: "NAME",
    help: ["auto | webgpu | wasm | cpu                            (default: $default)"],
    default: "auto",
  },
  json: {
    type: "boolean",
    help: [
      'end with one JSON line: {"fid", "fid_floor", "reference", "kid", "kid_std",',
      '"is", "coverage", "precision", "recall", "confidence", "class_share", …;',
      '"label_accuracy" for conditional models; "nearest" with --nearest}',
    ],
  },
  help: { type: "boolean", short: "h", help: ["this help"] },
};

/** The command's help text. */
export const EVAL_HELP = `Usage: cli.ts eval FILE.idx [options]
       cli.ts eval --model DIR [options]

Judge MNIST-like images with the built-in classifier (a small CNN, ${
  (CLASSIFIER_INFO.testAccuracy * 100).toFixed(2)
}% on the MNIST test
set): FID against the test set, KID, Inception Score, class coverage and shares, confidence, and
k-NN precision and recall. For a conditional generator (cgan, cdcgan) the samples ask for the
digits in turn, and eval also says how many the classifier recognises as the digit asked for
(label_accuracy).
A 32×32 colour generator (dcgan32) is judged by a CIFAR-10 classifier instead (${
  (CIFAR_CLASSIFIER_INFO.testAccuracy * 100).toFixed(1)
}% on CIFAR-10's
test set; its FID is in its own units, not Inception's): FID against the test set's shipped
statistics, IS, coverage and class shares; KID, the floor, precision and recall need --data.

Every FID comes with its protocol: n, the reference (the MNIST test set's 10000 digits) and the
real-vs-real floor, the FID of n real training digits against the same reference. FIDs compare
only at equal n, and real digits score the floor, not 0. KID (Kernel Inception Distance, on the same
features) is unbiased: about 0 for real digits at any n; "±" is its spread over 100 subsets of 1000.

--nearest K checks for memorisation: the share of the images whose nearest training digit (of
60,000, by distance between classifier features) is nearer than the median training digit's nearest
other one. A generator that draws fresh digits scores about 50%; copies of training digits push it
towards 100%. The grid in --out shows the first K images, each beside its 5 nearest training digits.

Arguments:
  FILE.idx           images as "sample --out FILE.idx" writes them: uint8 IDX, N×28×28, 0 = background
                     (.idx.gz too)

Options:
${optionsHelp(EVAL_FLAGS, 21)}

Examples:
  cli.ts eval samples.idx
  cli.ts eval --model runs/lite --n 10000 --seed 2 --json
  cli.ts eval --model runs/cifar --data data/cifar10
  cli.ts eval --model runs/lite --nearest 16 --out nn.png
  cli.ts eval --model runs/stylegan --truncation 0.7 --json
`;
