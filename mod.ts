/**
 * @gan/mnist: train Generative Adversarial Networks on MNIST and sample from them, in Deno or a
 * browser, on tf.js with the WASM-SIMD backend (WebGPU where a GPU answers).
 *
 * The presets reproduce the original systems' `standard` (the GAN_Implementation MLP GAN, with
 * BatchNorm in G and two G updates per D update, as the original recipe collapses; `ORIGINAL_PRESETS`
 * and `faithful: true` keep it exactly), `lite` (its fast mode) and `tutorial` (the EngEd tutorial
 * GAN); `quick`, the default, is the conditional MLP trained for a minute at a higher rate.
 *
 * ```ts
 * import { createDiscriminator, createGenerator, loadMnist, sample, selectBackend, trainGAN, writePngGrid } from "@gan/mnist";
 *
 * await selectBackend("auto"); // WebGPU on a GPU, else WASM with SIMD
 * const digits = await loadMnist({ split: "train", limit: 10_000 });
 * const generator = createGenerator({ preset: "lite", seed: 1 });
 * const discriminator = createDiscriminator({ preset: "lite", seed: 1 });
 * await trainGAN(generator, discriminator, digits, {
 *   epochs: 10, seed: 1, onEpoch: (e) => console.log(e.epoch, e.lossD, e.lossG),
 * });
 * await writePngGrid("grid.png", await sample(generator, { n: 100, seed: 2 }));
 * ```
 *
 * `trainRun` does the same from a preset and writes a run directory (models every epoch,
 * `log.jsonl`, `loss.svg`, sample grids, `config.json`; with `evalEvery`, metrics and the best
 * generator), watched by a `HealthMonitor` (non-finite values, discriminator and mode collapse);
 * the CLI (`./cli`) is a thin layer on it.
 *
 * `sampleInterpolation(generator, { seeds: [1, 2] })` walks from one seed's noise to another's
 * (slerp), or, for a conditional generator, from one digit to another (`labels: [3, 8]`);
 * `encodeGif` and `writeGif` play such a walk as an animation, and every run keeps a time-lapse
 * of its epoch grids in `samples/progress.gif`.
 *
 * `evaluate(images)` and `evaluateGenerator(generator, { n, seed })` judge samples with a shipped
 * MNIST classifier (32×32 colour samples with a shipped CIFAR-10 classifier): FID, Inception
 * Score, class coverage, precision and recall.
 *
 * `startServer` serves the web interface (the CLI's `serve`): a live view of a run fed by a
 * `LiveTraining` hub (pause, resume, stop), an explorer that runs a generator in the browser with
 * stock tf.js, and training in the browser tab with this library's own core.
 *
 * @module
 */

export * from "./src/data/mod.ts";
export * from "./src/eval/mod.ts";
export * from "./src/serve/mod.ts";
export {
  type BackendChoice,
  type BackendName,
  type BackendSelection,
  BackendUnavailableError,
  selectBackend,
  type SelectBackendOptions,
  type WasmKernels,
} from "./src/backend/select.ts";
export { CheckpointError, DataFileError, ModelFileError, RunDirectoryError } from "./src/errors.ts";
export { Random, type RandomState } from "./src/random.ts";
export {
  type LatentMixture,
  latentMixtureOf,
  latentMixtureProblem,
  latentNoise,
  setLatentMixture,
} from "./src/models/prior.ts";
export {
  GeneratorAverage,
  type GeneratorAverageState,
  standingStatistics,
} from "./src/train/average.ts";
export { spectralKernels, SpectralNorm } from "./src/train/spectral.ts";
export {
  AdaptiveProbability,
  type AdaptiveProbabilityOptions,
  type AdaptiveProbabilityState,
  augment,
  AUGMENT_NAMES,
  type AugmentName,
  checkAugmentNames,
  parseAugmentNames,
} from "./src/train/augment.ts";
export { type AdamState } from "./src/train/adam.ts";
export { type Checkpoint, type NamedWeight, type RunProgress } from "./src/train/run/checkpoint.ts";
export {
  CHECKPOINT_FILE,
  readCheckpoint,
  writeCheckpoint,
} from "./src/train/run/checkpoint_file.ts";
export { findNonFiniteWeight, type NonFiniteWeight } from "./src/train/finite.ts";
export {
  type Activation,
  type Architecture,
  DEFAULT_PRESET,
  type DiscriminatorOptions,
  type GeneratorOptions,
  type Initializer,
  ORIGINAL_PRESETS,
  type Preset,
  PRESET_NAMES,
  type PresetName,
  PRESETS,
  type TrainingSettings,
} from "./src/models/presets.ts";
export { createDiscriminator, createGenerator } from "./src/models/create.ts";
export {
  grownAfter,
  type Growth,
  growthAt,
  type GrowthSchedule,
  prepareModels,
  type StepAware,
  type StepProgress,
} from "./src/models/style/growth.ts";

export {
  type CreateDiscriminatorOptions,
  type CreateGeneratorOptions,
} from "./src/models/options.ts";
export {
  discriminatorLoss,
  discriminatorScore,
  generatorLoss,
  LOSS_NAMES,
  type LossName,
  sigmoidCrossEntropy,
} from "./src/train/losses.ts";
export {
  checkPenaltyDiscriminator,
  type Critic,
  interpolationWeights,
  r1Penalty,
  wganGradientPenalty,
} from "./src/train/penalties.ts";
export {
  createGanStep,
  type GanStep,
  type GanStepOptions,
  type GanStepState,
  type StepStats,
} from "./src/train/step.ts";
export {
  type EpochInfo,
  LOSS_SETTINGS,
  type ResolvedTrainOptions,
  type StepInfo,
  type StepPart,
  type TrainOptions,
} from "./src/train/options.ts";
export { type TrainState } from "./src/train/state.ts";
export { trainGAN, type TrainResult } from "./src/train/train.ts";
export * from "./src/train/run/mod.ts";
export { type CurvePoint, lossChartSvg, type MetricPoint } from "./src/train/run/chart.ts";
export {
  DISCRIMINATOR_LOSS_FLOOR,
  type HealthIssue,
  type HealthMetrics,
  HealthMonitor,
  type HealthOptions,
  type HealthState,
  type HealthWarning,
} from "./src/train/health.ts";
export { sample, type SampleOptions } from "./src/sample/sample.ts";
export {
  interpolateLatents,
  type InterpolationOptions,
  type LatentPath,
  sampleInterpolation,
  seedLatent,
  slerp,
} from "./src/sample/interpolate.ts";
export { encodeGif, type GifOptions, imageFrames } from "./src/sample/animation.ts";
export {
  sampleTruncated,
  STYLE_RANGES,
  styleAverage,
  type StyleAverageOptions,
  type StyleLayer,
  styleLayerOf,
  type StyleLayout,
  styleLayout,
  type StyleRange,
  type TruncatedSampleOptions,
} from "./src/sample/style.ts";
export {
  interpolateW,
  type StyleMixGrid,
  styleMixGrid,
  type StyleMixOptions,
  type StyleWalkOptions,
} from "./src/sample/style_mix.ts";
export { encodePngGrid, gridImage, type GridOptions, type RasterImage } from "./src/sample/grid.ts";
export { writeGif, writeImagesIdx, writePngGrid } from "./src/sample/files.ts";
export { PROGRESS_GIF, writeProgressGif } from "./src/train/run/timelapse.ts";
export {
  type LoadedModel,
  loadModel,
  saveModel,
  type SaveModelOptions,
} from "./src/io/model_files.ts";
export { VERSION } from "./src/version.ts";
export type { LayersModel, Scalar, Tensor, Tensor4D, Variable } from "./src/tf_types.ts";
export {
  type CompareOptions,
  type CompareResult,
  compareRuns,
  type VariantStart,
} from "./src/compare/run.ts";
export { parseVariants, type Variant, type VariantOptions } from "./src/compare/variants.ts";
export { type ComparisonReport, writeReport } from "./src/compare/report.ts";
export { type ComparisonSettings } from "./src/compare/manifest.ts";
export { type EpochPoint, type VariantState, type VariantSummary } from "./src/compare/summary.ts";
