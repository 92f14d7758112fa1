/**
 * Where the generator's noise comes from. By default z ~ N(0, I). A generator may instead draw
 * from a mixture of unit Gaussians (Gurumurthy et al. 2017, "DeLiGAN"; Khayatkhoei et al. 2018,
 * "Disconnected manifold learning"): component c, chosen uniformly, is centred at `scale · e_c`,
 * the c-th axis. Digits come in separate classes; a connected N(0, I) makes the generator pass
 * through blends of two digits between them, a disconnected prior lets it jump.
 *
 * The prior belongs to the generator: it is stored in the model's user-defined metadata (so in
 * `model.json`), and training, sampling, evaluation and the web explorer all draw from it.
 *
 * @module
 */

import type { LayersModel } from "../tf_types.ts";
import type { Random } from "../random.ts";

/** A mixture-of-Gaussians prior: `components` unit Gaussians centred at `scale` on the first axes. */
export interface LatentMixture {
  /** Number of components, each centred on one of the first `components` axes of z. */
  components: number;
  /** Distance of each centre from the origin, in standard deviations. */
  scale: number;
}

/** A value as a message shows it: numbers as they are (NaN too), the rest as JSON. */
const shown = (value: unknown) => typeof value === "number" ? String(value) : JSON.stringify(value);

/** The metadata key under which a generator keeps its prior. */
const KEY = "latentMixture";

/**
 * Checks a mixture prior for a latent space of `latentDim` dimensions.
 *
 * @param mixture The prior to check.
 * @param latentDim Length of z, when known (components beyond it are refused).
 * @returns A problem in words, or `undefined` when it is valid.
 *
 * @example
 * ```ts
 * import { latentMixtureProblem } from "@gan/mnist";
 *
 * console.log(latentMixtureProblem({ components: 10, scale: 4 }, 100)); // undefined
 * console.log(latentMixtureProblem({ components: 0, scale: 4 }, 100)); // "components must be …"
 * ```
 */
export function latentMixtureProblem(mixture: unknown, latentDim?: number): string | undefined {
  if (typeof mixture !== "object" || mixture === null || Array.isArray(mixture)) {
    return "must be an object { components, scale }";
  }
  const { components, scale } = mixture as Record<string, unknown>;
  if (
    typeof components !== "number" || !Number.isInteger(components) || components < 2 ||
    components > (latentDim ?? Infinity)
  ) {
    const most = latentDim === undefined ? "" : ` and at most the latent size ${latentDim}`;
    return `components must be an integer of at least 2${most}, got ${shown(components)}`;
  }
  if (typeof scale !== "number" || !Number.isFinite(scale) || scale <= 0 || scale > 100) {
    return `scale must be a number above 0 and at most 100, got ${shown(scale)}`;
  }
  return undefined;
}

/**
 * Gives a generator a mixture prior (or takes it away), kept in its user-defined metadata.
 *
 * @param generator The generator.
 * @param mixture The prior; `undefined` for N(0, I).
 * @throws {RangeError} On an invalid prior.
 *
 * @example
 * ```ts
 * import { createGenerator, latentMixtureOf, setLatentMixture } from "@gan/mnist";
 *
 * const generator = createGenerator({ preset: "lite" });
 * setLatentMixture(generator, { components: 10, scale: 4 });
 * console.log(latentMixtureOf(generator)); // { components: 10, scale: 4 }
 * ```
 */
export function setLatentMixture(generator: LayersModel, mixture: LatentMixture | undefined): void {
  const latentDim = generator.inputs[0].shape[1] as number;
  const others = { ...(generator.getUserDefinedMetadata() as Record<string, unknown> | undefined) };
  delete others[KEY];
  if (mixture === undefined) {
    generator.setUserDefinedMetadata(others);
    return;
  }
  const problem = latentMixtureProblem(mixture, latentDim);
  if (problem) throw new RangeError(`latentMixture: ${problem}`);
  generator.setUserDefinedMetadata({
    ...others,
    [KEY]: { components: mixture.components, scale: mixture.scale },
  });
}

/**
 * A generator's prior: its mixture, or `undefined` for N(0, I).
 *
 * @param generator The generator.
 * @returns The mixture kept in its metadata, if any.
 *
 * @example
 * ```ts
 * import { createGenerator, latentMixtureOf } from "@gan/mnist";
 *
 * console.log(latentMixtureOf(createGenerator({ preset: "dcgan" }))); // { components: 10, scale: 4 }
 * console.log(latentMixtureOf(createGenerator({ preset: "lite" }))); // undefined
 * ```
 */
export function latentMixtureOf(generator: LayersModel): LatentMixture | undefined {
  const meta = generator.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const mixture = meta?.[KEY] as LatentMixture | undefined;
  return mixture === undefined ? undefined : { ...mixture };
}

/**
 * `count` noise vectors of length `latentDim` from a prior, row after row: N(0, I), plus, with a
 * mixture, `scale` on one uniformly chosen axis `c < components` of each row.
 *
 * @param random The random stream (advanced).
 * @param count Number of vectors.
 * @param latentDim Length of each.
 * @param mixture The prior; `undefined` for N(0, I).
 * @returns `count × latentDim` values.
 *
 * @example
 * ```ts
 * import { latentNoise, Random } from "@gan/mnist";
 *
 * const z = latentNoise(new Random(1), 4, 100, { components: 10, scale: 4 });
 * console.log(z.length); // 400
 * ```
 */
export function latentNoise(
  random: Random,
  count: number,
  latentDim: number,
  mixture?: LatentMixture,
): Float32Array {
  const noise = random.fillNormal(new Float32Array(count * latentDim));
  if (mixture) {
    for (let row = 0; row < count; row++) {
      noise[row * latentDim + random.int(mixture.components)] += mixture.scale;
    }
  }
  return noise;
}
