/**
 * Model files in the standard tf.js layers format: `model.json` (topology and weights manifest)
 * plus a binary weights file, so that stock `tf.loadLayersModel` in a browser or Node loads them.
 *
 * Saving is atomic: the weights go to a new file named after their content, then `model.json` is
 * replaced in one rename; the weights file the previous `model.json` named is kept until the next
 * save (a reader that fetched that `model.json` a moment before, such as the page following a
 * run, still finds its weights), older ones are removed. A crash at any moment leaves a loadable
 * model (the old or the new one). Loading checks everything before tf.js sees it and
 * says what is wrong.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { LayersModel } from "../tf_types.ts";
import { dirname, join } from "node:path";
import { ModelFileError } from "../errors.ts";
import { latentMixtureProblem } from "../models/prior.ts";
import { describeFsError, writeFileAtomic } from "../fs.ts";
import "../models/style/register.ts";

/** Options of {@linkcode saveModel}. */
export interface SaveModelOptions {
  /** Anything JSON-serialisable to keep in `model.json` under `userDefinedMetadata`. */
  metadata?: Record<string, unknown>;
}

const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** FNV-1a over the bytes: a short, stable name for a weights file's content. */
function contentHash(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}

/**
 * Saves a model as `dir/model.json` plus `dir/weights-<hash>.bin`, creating `dir` if needed.
 *
 * @param model The model to save.
 * @param dir The directory to write it to.
 * @param options Metadata to keep with it.
 * @throws {ModelFileError} If the directory cannot be created or written; an earlier model in it
 * is left intact.
 *
 * @example Save a generator where stock tf.js can load it
 * ```ts
 * import { createGenerator, saveModel } from "@gan/mnist";
 *
 * const dir = await Deno.makeTempDir();
 * await saveModel(createGenerator({ preset: "lite", seed: 1 }), dir);
 * ```
 */
export async function saveModel(
  model: LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<void> {
  const fail = (fault: string, cause?: unknown): never => {
    throw new ModelFileError("save", dir, fault, { cause });
  };
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    fail(`cannot create the directory (${describeFsError(error)})`, error);
  }
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  // What the model keeps itself (a generator's latent prior) is saved with what the caller adds.
  const own = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const weights = joinWeightData(artifacts!.weightData);
  const weightsName = `weights-${contentHash(weights)}.bin`;
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths: [weightsName], weights: artifacts!.weightSpecs }],
    ...(own || options.metadata ? { userDefinedMetadata: { ...own, ...options.metadata } } : {}),
  };
  const previous = await previousWeightsFile(dir);
  try {
    await writeFileAtomic(join(dir, weightsName), weights);
    await writeFileAtomic(
      join(dir, "model.json"),
      new TextEncoder().encode(JSON.stringify(modelJson) + "\n"),
    );
  } catch (error) {
    fail(describeFsError(error), error);
  }
  for await (const entry of Deno.readDir(dir)) {
    if (
      /^weights-[0-9a-f]{8}\.bin$/.test(entry.name) && entry.name !== weightsName &&
      entry.name !== previous
    ) {
      await Deno.remove(join(dir, entry.name)).catch(() => {});
    }
  }
}

/** The weights file a directory's current `model.json` names, if it can be read. */
async function previousWeightsFile(dir: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
    const path = json?.weightsManifest?.[0]?.paths?.[0];
    return typeof path === "string" ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A loaded model and what its `model.json` said about it. */
export interface LoadedModel {
  /** The model, ready for inference or more training. */
  model: LayersModel;
  /** `userDefinedMetadata` from `model.json`, if any. */
  metadata: Record<string, unknown> | undefined;
  /** The `model.json` it came from. */
  path: string;
}

interface ManifestEntry {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Checks a weights manifest's structure and returns the bytes each group needs. */
function manifestSizes(manifest: unknown, fail: (fault: string) => never): ManifestEntry[] {
  if (!Array.isArray(manifest) || manifest.length === 0) {
    fail("weightsManifest is missing or empty");
  }
  return (manifest as unknown[]).map((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weightsManifest[${g}] must have "paths" and "weights" arrays`);
    }
    const g2 = group as unknown as ManifestEntry;
    for (const p of g2.paths) {
      if (typeof p !== "string" || p.includes("/") || p.includes("\\") || p.startsWith(".")) {
        fail(
          `weightsManifest[${g}] names a weight file outside the model directory: ${
            JSON.stringify(p)
          }`,
        );
      }
    }
    g2.weights.forEach((w, i) => {
      const valid = isObject(w) && typeof w.name === "string" && Array.isArray(w.shape) &&
        w.shape.every((d) => Number.isInteger(d) && d >= 0) && typeof w.dtype === "string" &&
        (w.dtype in BYTES_PER_VALUE || w.quantization !== undefined);
      if (!valid) fail(`weightsManifest[${g}].weights[${i}] is not a valid weight entry`);
    });
    return g2;
  });
}

function entryBytes(w: tf.io.WeightsManifestEntry): number {
  const count = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  return count * (BYTES_PER_VALUE[dtype] ?? 4);
}

/**
 * Finds `model.json` for a path that is a `model.json` file, a model directory, or a run
 * directory (which holds the model under `role/`).
 *
 * @param path What the user named.
 * @param role The model to look for inside a run directory.
 * @returns The path of the `model.json`.
 * @throws {ModelFileError} If there is none.
 */
export async function findModelJson(
  path: string,
  role: "generator" | "discriminator" = "generator",
): Promise<string> {
  if (path.endsWith(".json")) return path;
  for (const candidate of [join(path, "model.json"), join(path, role, "model.json")]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next place
    }
  }
  let fault = `no model.json in it or in ${join(path, role)}`;
  try {
    if (!(await Deno.stat(path)).isDirectory) fault = "not a directory or a model.json file";
  } catch (error) {
    fault = describeFsError(error);
  }
  throw new ModelFileError("load", path, fault);
}

/**
 * Loads a model saved in the tf.js layers format, checking `model.json`, the weights manifest and
 * the weight files (presence, sizes, finite values) before building it.
 *
 * @param path A `model.json`, a directory holding one, or a run directory (its `generator/`).
 * @param role Which model of a run directory to load.
 * @default {"generator"}
 * @returns The model and its metadata.
 * @throws {ModelFileError} Naming the file and the fault: missing, not JSON, not a layers model,
 * missing or short weight files, weights that do not fit the topology, or non-finite weights.
 *
 * @example Load the generator of a training run
 * ```ts
 * import { createGenerator, loadModel, saveModel } from "@gan/mnist";
 *
 * const dir = await Deno.makeTempDir();
 * await saveModel(createGenerator({ preset: "tutorial", seed: 1 }), dir);
 * const { model } = await loadModel(dir);
 * console.log(model.inputs[0].shape); // [null, 32]
 * ```
 */
export async function loadModel(
  path: string,
  role: "generator" | "discriminator" = "generator",
): Promise<LoadedModel> {
  const jsonPath = await findModelJson(path, role);
  const fail = (fault: string, cause?: unknown): never => {
    throw new ModelFileError("load", jsonPath, fault, { cause });
  };
  let text = "";
  try {
    text = await Deno.readTextFile(jsonPath);
  } catch (error) {
    fail(describeFsError(error), error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`, error);
  }
  if (!isObject(json)) fail("not a JSON object");
  const modelJson = json as Record<string, unknown>;
  if (modelJson.format !== undefined && modelJson.format !== "layers-model") {
    fail(`format is "${modelJson.format}", expected "layers-model"`);
  }
  if (!isObject(modelJson.modelTopology)) fail("modelTopology is missing");
  const groups = manifestSizes(modelJson.weightsManifest, fail);
  const dir = dirname(jsonPath);
  const buffers: ArrayBuffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of groups) {
    const needed = group.weights.reduce((n, w) => n + entryBytes(w), 0);
    let have = 0;
    for (const name of group.paths) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(join(dir, name));
      } catch (error) {
        return fail(`weight file "${name}": ${describeFsError(error)}`, error);
      }
      have += bytes.byteLength;
      buffers.push(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
    }
    if (have !== needed) {
      fail(
        `weight file${group.paths.length > 1 ? "s" : ""} ${
          group.paths.map((p) => `"${p}"`).join(", ")
        } ` +
          `hold${group.paths.length > 1 ? "" : "s"} ${have} bytes, the manifest needs ${needed}`,
      );
    }
    specs.push(...group.weights);
  }
  const weightData = joinWeightData(buffers);
  checkFinite(weightData, specs, fail);
  let model: LayersModel;
  try {
    // float32 values, as tf.js holds them (the files may hold them quantized, in fewer bytes)
    const budget = specs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    model = await withWeightBudget(budget, () =>
      tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts["modelTopology"],
          weightSpecs: specs,
          weightData: weightData.buffer as ArrayBuffer,
        }),
        { strict: true },
      ));
  } catch (error) {
    return fail(
      `tf.js cannot build it: ${String((error as Error).message ?? error).split("\n")[0]}`,
      error,
    );
  }
  const metadata = isObject(modelJson.userDefinedMetadata)
    ? modelJson.userDefinedMetadata
    : undefined;
  if (metadata?.latentMixture !== undefined) {
    const latentDim = model.inputs[0].shape[1] as number;
    const problem = latentMixtureProblem(metadata.latentMixture, latentDim);
    if (problem) {
      model.dispose();
      fail(`its latentMixture ${problem}`);
    }
  }
  if (metadata) model.setUserDefinedMetadata(metadata);
  return { model, metadata, path: jsonPath };
}

/**
 * Runs `build` with the weights its layers create limited to `bytes` in all. tf.js builds a
 * topology's weights (and fills them with initial values) before it compares them with the
 * manifest, so a `model.json` whose layers claim billions of units would have it allocate
 * gigabytes first; here such a layer fails before anything is allocated.
 */
async function withWeightBudget<T>(bytes: number, build: () => Promise<T>): Promise<T> {
  const layer = tfl.layers.Layer.prototype as unknown as {
    addWeight: (name: string, shape: unknown, ...rest: unknown[]) => unknown;
  };
  const addWeight = layer.addWeight;
  let used = 0;
  layer.addWeight = function (this: unknown, name, shape, ...rest) {
    const dims = Array.isArray(shape) ? shape : [];
    if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`a layer's weight "${name}" has the shape [${dims}]`);
    }
    used += 4 * dims.reduce((a: number, b: number) => a * b, 1);
    if (used > bytes) {
      throw new RangeError(
        `its layers need more weights than the ${
          bytes / 4
        } values its weight files hold (at "${name}")`,
      );
    }
    return addWeight.call(this, name, shape, ...rest);
  };
  try {
    return await build();
  } finally {
    layer.addWeight = addWeight;
  }
}

function checkFinite(
  bytes: Uint8Array,
  specs: tf.io.WeightsManifestEntry[],
  fail: (fault: string) => never,
): void {
  let offset = 0;
  for (const spec of specs) {
    const size = entryBytes(spec);
    if (spec.dtype === "float32" && spec.quantization === undefined) {
      const values = new Float32Array(bytes.buffer.slice(offset, offset + size) as ArrayBuffer);
      if (!values.every(Number.isFinite)) {
        fail(`weight "${spec.name}" holds NaN or infinite values`);
      }
    }
    offset += size;
  }
}
