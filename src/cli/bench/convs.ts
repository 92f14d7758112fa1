/**
 * `bench --convs` and `deno bench bench/conv_bench.ts`: each distinct convolution of the
 * convolutional presets' models, read from the models themselves, timed pass by pass (forward,
 * input gradient, filter gradient) on our kernels, next to PyTorch's per-op time for the same
 * shapes (`gan_mnist_torch.py convs`) in alternating rounds.
 *
 * A transposed convolution (G's) is the transpose of a strided one: its forward pass is that
 * convolution's input gradient, its input gradient that convolution's forward pass, and its
 * filter gradient the same product. So each shape is listed once, as the strided convolution,
 * with the layers that use it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { SymbolicTensor } from "@tensorflow/tfjs-layers";
import { selectBackend } from "../../backend/select.ts";
import { createDiscriminator, createGenerator } from "../../models/create.ts";
import { getPreset, type PresetName } from "../../models/presets.ts";
import { Random } from "../../random.ts";
import type { LayersModel } from "../../tf_types.ts";
import { findPeerPython, runPeer } from "./peer.ts";

/** The presets whose models have convolutions. */
export const CONV_PRESETS: readonly PresetName[] = ["dcgan", "cdcgan", "dcgan32"];

/** A convolution's three passes, in the order a step's tables list them. */
export const CONV_PASSES = ["forward", "input gradient", "filter gradient"] as const;

/** One of {@linkcode CONV_PASSES}. */
export type ConvPass = (typeof CONV_PASSES)[number];

/** A convolution as a strided `tf.conv2d` runs it, NHWC. */
export interface ConvShape {
  /** `14×14×64 → 7×7×128`. */
  name: string;
  /** The input, `[B, H, W, inC]`. */
  x: [number, number, number, number];
  /** The filter, `[fh, fw, inC, outC]`. */
  filter: [number, number, number, number];
  /** The output, `[B, outH, outW, outC]`. */
  y: [number, number, number, number];
  /** The strides, `[sh, sw]`. */
  strides: [number, number];
  /** tf.js's padding. */
  padding: "same" | "valid";
  /** The layers that run it, `dcgan: d_conv_2, g_deconv_1` (one entry per preset). */
  uses: string[];
}

type Shape4 = [number, number, number, number];

/** The convolutions of one model, with the layer names that run them. */
function modelConvs(model: LayersModel, batch: number): [ConvShape, string][] {
  const found: [ConvShape, string][] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (kind !== "Conv2D" && kind !== "Conv2DTranspose") continue;
    const config = layer.getConfig() as { strides: number[]; padding: string };
    const kernel = layer.getWeights()[0].shape as Shape4;
    const input = [batch, ...(layer.input as SymbolicTensor).shape.slice(1)] as Shape4;
    const output = [batch, ...(layer.outputShape as number[]).slice(1)] as Shape4;
    // A transposed convolution's kernel is [fh, fw, its out, its in]: the strided
    // convolution's [fh, fw, inC, outC] from its output back to its input.
    const [x, y] = kind === "Conv2D" ? [input, output] : [output, input];
    const name = `${x.slice(1).join("×")} → ${y.slice(1).join("×")}`;
    const strides = [config.strides[0], config.strides[1] ?? config.strides[0]] as [number, number];
    const padding = config.padding === "valid" ? "valid" : "same";
    found.push([{ name, x, filter: kernel, y, strides, padding, uses: [] }, layer.name]);
  }
  return found;
}

/**
 * Each distinct convolution of the presets' generators and discriminators at their batch size,
 * read from the models (a cdcgan discriminator's first convolution sees 1 + 10 channels).
 * Builds the models on the current backend and frees them.
 *
 * @param presets The presets.
 * @default {CONV_PRESETS}
 * @returns One entry per shape, in the order first met (G's layers, then D's).
 * @example dcgan's two shapes
 * ```ts
 * import { presetConvs } from "./convs.ts";
 *
 * for (const conv of presetConvs(["dcgan"])) console.log(conv.name, conv.uses);
 * // 14×14×64 → 7×7×128 [ "dcgan: g_deconv_1, d_conv_2" ] …
 * ```
 */
export function presetConvs(presets: readonly PresetName[] = CONV_PRESETS): ConvShape[] {
  const shapes = new Map<string, ConvShape>();
  for (const preset of presets) {
    const batch = getPreset(preset).training.batchSize;
    const layersByShape = new Map<string, string[]>();
    for (const create of [createGenerator, createDiscriminator]) {
      const model = create({ preset, seed: 1 });
      for (const [shape, layer] of modelConvs(model, batch)) {
        const key = JSON.stringify([shape.x, shape.filter, shape.strides, shape.padding]);
        if (!shapes.has(key)) shapes.set(key, shape);
        layersByShape.set(key, [...(layersByShape.get(key) ?? []), layer]);
      }
      model.dispose();
    }
    for (const [key, layers] of layersByShape) {
      shapes.get(key)!.uses.push(`${preset}: ${layers.join(", ")}`);
    }
  }
  return [...shapes.values()];
}

/**
 * The work of one pass of a convolution, each pass the same: 2·B·outH·outW·fh·fw·inC·outC.
 *
 * @param shape The convolution.
 * @returns Billions of floating-point operations (multiplies and adds).
 * @example
 * ```ts ignore
 * convGflop(shape) / ms * 1e3; // GFLOPS
 * ```
 */
export function convGflop(shape: ConvShape): number {
  const [b, outH, outW, outC] = shape.y;
  const [fh, fw, inC] = shape.filter;
  return (2 * b * outH * outW * fh * fw * inC * outC) / 1e9;
}

/** A convolution's operands on the current backend. */
export interface ConvTensors {
  /** The input, {@linkcode ConvShape.x}. */
  x: tf.Tensor4D;
  /** The filter. */
  filter: tf.Tensor4D;
  /** The output's gradient, {@linkcode ConvShape.y}. */
  dy: tf.Tensor4D;
}

/**
 * Random normal operands for a convolution, on the current backend.
 *
 * @param shape The convolution.
 * @param seed The random seed.
 * @returns The tensors (the caller disposes them).
 * @example
 * ```ts ignore
 * const tensors = convTensors(shape, 1);
 * runConvPass(shape, "forward", tensors).dispose();
 * tf.dispose(Object.values(tensors));
 * ```
 */
export function convTensors(shape: ConvShape, seed: number): ConvTensors {
  const random = new Random(seed);
  const normal = (dims: Shape4) =>
    tf.tensor4d(random.fillNormal(new Float32Array(dims.reduce((a, b) => a * b))), dims);
  return { x: normal(shape.x), filter: normal(shape.filter), dy: normal(shape.y) };
}

/**
 * Runs one pass of a convolution through tf.js's kernels (ours or stock, whichever are
 * registered): `Conv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`.
 *
 * @param shape The convolution.
 * @param pass Which pass.
 * @param t Its operands.
 * @returns The pass's result: y, the input's gradient or the filter's gradient.
 * @example
 * ```ts ignore
 * runConvPass(shape, "filter gradient", tensors).dispose();
 * ```
 */
export function runConvPass(shape: ConvShape, pass: ConvPass, t: ConvTensors): tf.Tensor4D {
  if (pass === "forward") return tf.conv2d(t.x, t.filter, shape.strides, shape.padding);
  if (pass === "input gradient") {
    return tf.conv2dTranspose(t.dy, t.filter, shape.x, shape.strides, shape.padding);
  }
  return tf.engine().runKernel("Conv2DBackpropFilter", { x: t.x, dy: t.dy }, {
    strides: shape.strides,
    pad: shape.padding,
    dataFormat: "NHWC",
    filterShape: shape.filter,
  }) as tf.Tensor4D;
}

/** Times one pass: one untimed run, then the mean of `runs`. */
function timeConvPass(shape: ConvShape, pass: ConvPass, t: ConvTensors, runs: number): number {
  runConvPass(shape, pass, t).dispose();
  const started = performance.now();
  for (let i = 0; i < runs; i++) runConvPass(shape, pass, t).dispose();
  return (performance.now() - started) / runs;
}

/** ms per pass, by pass. */
type PassTimes = Record<ConvPass, number>;

/** PyTorch's padding for tf.js's: symmetric, or the peer cannot run the shape. */
function torchPadding(shape: ConvShape): [number, number] {
  if (shape.padding === "valid") return [0, 0];
  return [0, 1].map((d) => {
    const total = Math.max(
      (shape.y[d + 1] - 1) * shape.strides[d] + shape.filter[d] - shape.x[d + 1],
      0,
    );
    if (total % 2) {
      throw new RangeError(`${shape.name}: "same" pads unevenly here, PyTorch cannot match it`);
    }
    return total / 2;
  }) as [number, number];
}

/**
 * Times the shapes' passes with PyTorch: `gan_mnist_torch.py convs --shapes JSON --json`, which
 * checks that its outputs have our shapes.
 *
 * @param python A Python with torch.
 * @param shapes The convolutions.
 * @param runs Timed runs of each pass (after 2 untimed).
 * @param threads torch's threads.
 * @returns ms per pass, one entry per shape.
 * @example
 * ```ts ignore
 * const [dcgan1] = await timePeerConvs("python3", presetConvs(["dcgan"]), 5, 1);
 * ```
 */
export async function timePeerConvs(
  python: string,
  shapes: ConvShape[],
  runs: number,
  threads: number,
): Promise<PassTimes[]> {
  const peerShapes = shapes.map((s) => ({
    name: s.name,
    x: s.x,
    filter: s.filter,
    stride: s.strides,
    padding: torchPadding(s),
    y: s.y,
  }));
  const line = await runPeer(python, [
    "convs",
    "--shapes",
    JSON.stringify(peerShapes),
    "--runs",
    String(runs),
    "--threads",
    String(threads),
    "--json",
  ]);
  const answer = JSON.parse(line) as { convs: Record<string, number>[] };
  return answer.convs.map((c) => ({
    forward: c.forward_ms,
    "input gradient": c.input_gradient_ms,
    "filter gradient": c.filter_gradient_ms,
  }));
}

/** What `bench --convs` times. */
export interface ConvBenchOptions {
  /** The presets whose convolutions are timed. */
  presets: readonly PresetName[];
  /** Timed runs of each pass, spread over the rounds. */
  runs: number;
  /** Alternating rounds: ours, then PyTorch, each round. */
  rounds: number;
  /** Our kernels' threads (2 where there are two cores when absent). */
  threads?: 1 | 2;
  /** Time PyTorch too, where a Python with torch is found. */
  peer: boolean;
  /** End with one JSON line (the tables go to stderr). */
  json: boolean;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const PEER_THREADS = 1;

/**
 * `bench --convs`: each shape's passes on our kernels and (with `peer`) PyTorch's, in
 * alternating rounds; one table per shape, then with `json` one JSON line.
 *
 * @param o What to time.
 * @param log Where the tables go.
 * @returns The exit code.
 * @example
 * ```ts ignore
 * await convsCommand({ presets: ["dcgan"], runs: 4, rounds: 2, peer: true, json: false }, console.log);
 * ```
 */
export async function convsCommand(
  o: ConvBenchOptions,
  log: (line: string) => void,
): Promise<number> {
  const ours = await selectBackend("wasm", { threads: o.threads });
  const shapes = presetConvs(o.presets);
  let python: string | undefined, torch: string | undefined;
  if (o.peer) {
    const peer = await findPeerPython();
    if ("python" in peer) ({ python, torch } = peer);
    else log(`PyTorch peer: ${peer.missing}`);
  }
  const perRound = Math.max(1, Math.round(o.runs / o.rounds));
  log(
    `bench --convs: ${o.presets.join(", ")}, ${shapes.length} distinct convolutions, ` +
      `${perRound * o.rounds} runs of each pass in ${o.rounds} rounds; ours: ${ours.description}` +
      (torch ? `; PyTorch ${torch} CPU, ${PEER_THREADS} torch thread` : ""),
  );
  log(
    "(a transposed convolution of G runs the passes of the strided one listed: its forward pass " +
      "is the input gradient, its input gradient the forward pass)",
  );
  const empty = (): Record<ConvPass, number[]> => ({
    forward: [],
    "input gradient": [],
    "filter gradient": [],
  });
  const ourMs = shapes.map(empty), peerMs = shapes.map(empty);
  for (let r = 0; r < o.rounds; r++) {
    shapes.forEach((shape, i) => {
      const tensors = convTensors(shape, i + 1);
      for (const pass of CONV_PASSES) {
        ourMs[i][pass].push(timeConvPass(shape, pass, tensors, perRound));
      }
      tf.dispose(Object.values(tensors));
    });
    if (!python) continue;
    const peer = await timePeerConvs(python, shapes, perRound, PEER_THREADS);
    peer.forEach((times, i) => {
      for (const pass of CONV_PASSES) peerMs[i][pass].push(times[pass]);
    });
  }
  const results = shapes.map((shape, i) =>
    convResult(shape, ourMs[i], python ? peerMs[i] : undefined)
  );
  for (const line of convTables(results)) log(line);
  if (o.json) {
    console.log(JSON.stringify({
      threads: ours.description.includes("2 threads") ? 2 : 1,
      peer: torch ? `pytorch ${torch}` : null,
      peer_threads: torch ? PEER_THREADS : null,
      runs: perRound * o.rounds,
      rounds: o.rounds,
      convs: results,
    }));
  }
  return 0;
}

/** One pass's figures: ours, PyTorch's, and the ratio. */
interface PassResult {
  ms: number;
  gflops: number;
  peer_ms: number | null;
  peer_gflops: number | null;
  /** ours / PyTorch's time. */
  ratio: number | null;
}

/** One shape's figures, as the JSON line has them. */
interface ConvResult extends ConvShape {
  gflop: number;
  passes: Record<string, PassResult>;
}

function convResult(
  shape: ConvShape,
  ours: Record<ConvPass, number[]>,
  peer: Record<ConvPass, number[]> | undefined,
): ConvResult {
  const gflop = convGflop(shape);
  const passes: Record<string, PassResult> = {};
  for (const pass of CONV_PASSES) {
    const ms = mean(ours[pass]);
    const peerMs = peer ? mean(peer[pass]) : null;
    passes[pass.replace(" ", "_")] = {
      ms: round(ms),
      gflops: round(gflop / ms * 1e3, 3),
      peer_ms: peerMs === null ? null : round(peerMs),
      peer_gflops: peerMs === null ? null : round(gflop / peerMs * 1e3, 3),
      ratio: peerMs === null ? null : round(ms / peerMs, 3),
    };
  }
  return { ...shape, gflop: round(gflop), passes };
}

/** One table per shape: a row per pass, ours and PyTorch's ms and GFLOPS, the ratio. */
function convTables(results: ConvResult[]): string[] {
  const withPeer = results.some((r) => r.passes.forward.peer_ms !== null);
  const lines: string[] = [];
  const num = (x: number | null, width: number, digits = 2) =>
    (x === null ? "–" : x.toFixed(digits)).padStart(width);
  for (const r of results) {
    lines.push(
      "",
      `${r.name}, ${r.filter[0]}×${r.filter[1]} filters, stride ${r.strides[0]}, batch ${r.x[0]}: ${
        r.gflop.toFixed(3)
      } GFLOP a pass (${r.uses.join("; ")})`,
      `  pass             ours ms  GFLOPS${withPeer ? "  PyTorch ms  GFLOPS  ours/PyTorch" : ""}`,
    );
    for (const pass of CONV_PASSES) {
      const p = r.passes[pass.replace(" ", "_")];
      lines.push(
        `  ${pass.padEnd(15)} ${num(p.ms, 8)} ${num(p.gflops, 7, 1)}` +
          (withPeer
            ? `  ${num(p.peer_ms, 10)} ${num(p.peer_gflops, 7, 1)}  ${num(p.ratio, 12)}`
            : ""),
      );
    }
  }
  const total = (key: "ms" | "peer_ms") =>
    results.reduce((s, r) => s + Object.values(r.passes).reduce((t, p) => t + (p[key] ?? 0), 0), 0);
  lines.push("", `all shapes, one of each pass: ours ${total("ms").toFixed(1)} ms`);
  if (withPeer) {
    lines[lines.length - 1] += `, PyTorch ${total("peer_ms").toFixed(1)} ms, ours/PyTorch ${
      (total("ms") / total("peer_ms")).toFixed(2)
    }`;
  }
  return lines;
}
