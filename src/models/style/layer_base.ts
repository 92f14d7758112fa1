/**
 * What the ProGAN and StyleGAN layer classes share: named weights drawn from a seed, and the
 * training progress kept as a non-trainable weight (`images_seen`), so that a saved model
 * knows how far it had grown and a loaded one draws at that phase.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random } from "../../random.ts";
import type { StepAware, StepProgress } from "./growth.ts";

/** tf.js-layers' `LayerArgs` (name, input shape…), as its `Layer` constructor takes them. */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** tf.js-layers' `LayerVariable`, what `addWeight` returns. */
export type LayerVariable = ReturnType<tfl.layers.Layer["addWeight"]>;

/** The keyword arguments of a layer's `call` (`training`). */
export type Kwargs = Parameters<tfl.layers.Layer["call"]>[1];

/** Input shapes as tf.js-layers passes them: one shape, or one per input. */
export type Shapes = (number | null)[] | (number | null)[][];

/**
 * The batch dimension of the (first) input shape: what every layer here keeps in its output.
 *
 * @example
 * ```ts
 * import { batchOf } from "./layer_base.ts";
 *
 * console.log(batchOf([null, 128]), batchOf([[8, 28, 28, 1], [8, 10]])); // null 8
 * ```
 */
export function batchOf(inputShape: Shapes): number | null {
  return (Array.isArray(inputShape[0]) ? inputShape[0][0] : inputShape[0]) as number | null;
}

/**
 * A layer with many weights of its own, made from a seed, and a training-progress counter.
 * Subclasses add their weights in `build` with {@linkcode ProgressLayer.weight}.
 */
export abstract class ProgressLayer extends tfl.layers.Layer implements StepAware {
  /** The weights by name. */
  protected readonly params = new Map<string, LayerVariable>();
  /** Seed of the initial weights (config), 0 when unseeded. */
  protected readonly seed: number;
  #random: Random | undefined;
  #imagesSeen: LayerVariable | undefined;
  #cached: { id: unknown; value: number } | undefined;
  /** The step being trained (set by `prepareStep`), -1 outside training. */
  protected globalStep = -1;

  constructor(args: LayerArgs & { seed?: number }) {
    super(args);
    this.seed = args.seed ?? 0;
  }

  /** Adds a trainable weight: N(0, stddev²), or constant `fill`. */
  protected weight(
    name: string,
    shape: number[],
    init: { stddev: number } | { fill: number },
  ): LayerVariable {
    this.#random ??= new Random(this.seed >>> 0 || (Math.random() * 2 ** 32) >>> 0);
    const initializer = "stddev" in init
      ? tfl.initializers.randomNormal({ mean: 0, stddev: init.stddev, seed: this.#random.uint32() })
      : tfl.initializers.constant({ value: init.fill });
    const v = this.addWeight(name, shape, "float32", initializer);
    this.params.set(name, v);
    return v;
  }

  /** Adds the non-trainable progress counter; call once in `build`. */
  protected addProgress(): void {
    this.#imagesSeen = this.addWeight(
      "images_seen",
      [],
      "float32",
      tfl.initializers.zeros(),
      undefined,
      false,
    );
  }

  /** A weight's current value. */
  protected p(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.name}: no weight "${name}"`);
    return v.read();
  }

  /**
   * Images trained on so far, as saved: read from the weight once after each change (a model
   * loaded from files, or given a twin's weights, reads it anew).
   */
  get imagesSeen(): number {
    if (!this.#imagesSeen) return 0;
    const tensor = this.#imagesSeen.read() as tf.Tensor & { dataId: unknown };
    if (this.#cached?.id !== tensor.dataId) {
      this.#cached = { id: tensor.dataId, value: (tensor.dataSync() as Float32Array)[0] };
    }
    return this.#cached.value;
  }

  /** Sets the progress counter (before a training step, or on a twin before saving it). */
  setImagesSeen(images: number): void {
    if (!this.#imagesSeen) return;
    const current = this.#imagesSeen.read() as tf.Tensor & { dataId: unknown };
    // The cache holds only while the weight is the one it read (not restored since).
    if (this.#cached?.id === current.dataId && this.#cached.value === Math.fround(images)) return;
    const value = tf.scalar(images);
    this.#imagesSeen.write(value);
    value.dispose(); // the variable holds its own reference to the data
    const tensor = this.#imagesSeen.read() as tf.Tensor & { dataId: unknown };
    this.#cached = { id: tensor.dataId, value: Math.fround(images) };
  }

  /** Before a training step: the images seen, and the step (for per-step random numbers). */
  prepareStep(progress: StepProgress): void {
    this.globalStep = progress.globalStep;
    this.setImagesSeen(progress.imagesSeen);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
