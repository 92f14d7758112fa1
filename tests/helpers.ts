/**
 * Shared test fixtures: small MNIST-format directories the tests make themselves, and tiny GANs.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { join } from "node:path";
import { selectBackend } from "../src/backend/select.ts";
import { gzipSync } from "node:zlib";
import { CIFAR_RECORD_BYTES, CIFAR_TEST_FILE, CIFAR_TRAIN_FILES } from "../src/data/cifar.ts";
import { encodeIdx } from "../src/data/idx.ts";
import { Random } from "../src/random.ts";
import { decompressFrames, parseGIF } from "gifuct-js";

/** Options of {@linkcode makeMnistDir}. */
export interface FakeMnistOptions {
  /** Training images. */
  train?: number;
  /** Test images. */
  test?: number;
  /** Image side in pixels. */
  size?: number;
  /** Write `.gz` files. */
  gzip?: boolean;
  /** Use the dotted names (`train-images.idx3-ubyte`) some mirrors use. */
  dotted?: boolean;
  /** Seed of the pixel noise. */
  seed?: number;
}

/**
 * Draws a digit-like image: a bright bar whose position and angle depend on the label, plus noise.
 *
 * @param label The class, 0–9.
 * @param size Image side.
 * @param random Noise source.
 * @returns `size × size` bytes.
 */
export function fakeDigit(label: number, size: number, random: Random): Uint8Array {
  const image = new Uint8Array(size * size);
  const angle = (label / 10) * Math.PI;
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.abs((x - c) * Math.sin(angle) - (y - c) * Math.cos(angle));
      const ink = d < size / 10 ? 255 : 0;
      image[y * size + x] = Math.min(255, ink + Math.floor(random.uniform() * 20));
    }
  }
  return image;
}

/** Returns the IDX bytes of images and labels made by {@linkcode fakeDigit}. */
export function fakeIdx(
  count: number,
  size: number,
  seed: number,
): { images: Uint8Array; labels: Uint8Array } {
  const random = new Random(seed);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const pixels = new Uint8Array(count * size * size);
  labels.forEach((label, i) => pixels.set(fakeDigit(label, size, random), i * size * size));
  return {
    images: encodeIdx({ type: "uint8", shape: [count, size, size], data: pixels }),
    labels: encodeIdx({ type: "uint8", shape: [count], data: labels }),
  };
}

/**
 * Writes the four MNIST files (small, synthetic) into a new temporary directory.
 *
 * @param options Sizes and naming.
 * @returns The directory.
 */
export async function makeMnistDir(options: FakeMnistOptions = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gan-mnist-test-" });
  const size = options.size ?? 28;
  const sep = options.dotted ? "." : "-";
  const gz = options.gzip ? ".gz" : "";
  const write = (name: string, bytes: Uint8Array) =>
    Deno.writeFile(join(dir, name + gz), options.gzip ? new Uint8Array(gzipSync(bytes)) : bytes);
  for (
    const [stem, count] of [["train", options.train ?? 100], ["t10k", options.test ?? 20]] as const
  ) {
    const { images, labels } = fakeIdx(
      count,
      size,
      (options.seed ?? 0) + (stem === "train" ? 0 : 1),
    );
    await write(`${stem}-images${sep}idx3-ubyte`, images);
    await write(`${stem}-labels${sep}idx1-ubyte`, labels);
  }
  return dir;
}

/**
 * Runs `cli.ts` in a subprocess with the narrow permissions docs/cli.md documents.
 *
 * @param args The CLI arguments.
 * @param permissions Deno permission flags.
 * @returns Exit code, stdout and stderr.
 */
export async function runCli(
  args: string[],
  permissions: string[] = ["--allow-read", "--allow-write"],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Checks that an error report is one line, without a stack trace.
 *
 * @param stderr What the command printed on stderr.
 * @returns The line.
 */
export function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n").filter((l) => !l.startsWith("notice:"));
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got:\n${stderr}`);
  if (/^\s+at /m.test(stderr)) throw new Error(`stack trace on stderr:\n${stderr}`);
  return lines[0];
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  error: unknown,
  ErrorClass: ErrorClass<E>,
  includes?: string,
): E {
  if (!(error instanceof ErrorClass)) {
    throw new Error(
      `expected ${ErrorClass.name}, got ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }`,
    );
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new Error(
      `expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(error.message)
      }`,
    );
  }
  return error;
}

/**
 * Asserts that `fn` throws an `ErrorClass` whose message includes `includes` (as @std/assert's
 * assertThrows does), and returns the error.
 */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  ErrorClass: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, ErrorClass, includes);
  }
  throw new Error(`expected ${ErrorClass.name}, nothing was thrown`);
}

/**
 * Asserts that `fn` rejects with an `ErrorClass` whose message includes `includes` (as
 * @std/assert's assertRejects does), and returns the error.
 */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  ErrorClass: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, ErrorClass, includes);
  }
  throw new Error(`expected ${ErrorClass.name}, the promise resolved`);
}

/**
 * Trains a preset's models on `data` with the current backend and returns every step's
 * [loss_d, loss_g, D(x), D(G(z))], flattened; the models are disposed.
 */
export async function trainingTrace(
  preset: "standard" | "lite" | "tutorial",
  data: import("../src/data/images.ts").ImageSet,
  options: { epochs: number; seed: number },
): Promise<number[]> {
  const { createDiscriminator, createGenerator } = await import("../src/models/create.ts");
  const { trainGAN } = await import("../src/train/train.ts");
  const generator = createGenerator({ preset, seed: options.seed });
  const discriminator = createDiscriminator({ preset, seed: options.seed });
  const trace: number[] = [];
  await trainGAN(generator, discriminator, data, {
    ...options,
    onStep: (s) => void trace.push(s.lossD, s.lossG, s.dReal, s.dFake),
  });
  generator.dispose();
  discriminator.dispose();
  return trace;
}

/** Runs `f` on the cpu backend and on wasm with our kernels; returns both results. */
export async function both(
  f: () => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: Float32Array[]; ours: Float32Array[] }> {
  const run = () =>
    tf.tidy(() => {
      const out = f();
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
  await selectBackend("cpu");
  const cpu = run();
  await selectBackend("wasm", { threads: 1 });
  const ours = run();
  return { cpu, ours };
}

/** The largest |a - b| / max(1, |b|) over all outputs. */
export function maxError(a: Float32Array[], b: Float32Array[]): number {
  let error = 0;
  a.forEach((x, i) => {
    equal(x.length, b[i].length);
    x.forEach((v, j) => {
      const w = b[i][j];
      const e = v === w || (Number.isNaN(v) && Number.isNaN(w))
        ? 0
        : Number.isNaN(v) || Number.isNaN(w)
        ? Infinity
        : Math.abs(v - w) / Math.max(1, Math.abs(w));
      error = Math.max(error, e);
    });
  });
  return error;
}

/** A record whose planes encode (label, channel, position) so that the layout can be checked. */
export function record(label: number, salt: number): Uint8Array {
  const r = new Uint8Array(CIFAR_RECORD_BYTES);
  r[0] = label;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (salt * 7 + c * 80 + p) % 256;
  }
  return r;
}

/** A CIFAR-10 directory of `perFile` records in each of the six files. */
export async function cifarDir(perFile: number): Promise<string> {
  const dir = await Deno.makeTempDir();
  let salt = 0;
  for (const file of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]) {
    const bytes = new Uint8Array(perFile * CIFAR_RECORD_BYTES);
    for (let i = 0; i < perFile; i++) {
      bytes.set(record((salt + i) % 10, salt + i), i * CIFAR_RECORD_BYTES);
    }
    salt += perFile;
    await Deno.writeFile(join(dir, file), bytes);
  }
  return dir;
}

/** A GIF decoded by an independent decoder (gifuct-js): its size, loop count, and each frame. */
export interface DecodedGif {
  /** Width of the canvas. */
  width: number;
  /** Height of the canvas. */
  height: number;
  /** The NETSCAPE loop count (0: forever), or `undefined` when the file does not loop. */
  loops: number | undefined;
  /** Each frame: its delay in milliseconds and its full-canvas RGBA pixels. */
  frames: { delay: number; rgba: Uint8ClampedArray }[];
}

/**
 * Decodes a GIF whose frames each cover the whole canvas (as ours do) with gifuct-js.
 *
 * @param bytes The file's bytes.
 * @returns Size, loops and frames.
 */
export function decodeGif(bytes: Uint8Array): DecodedGif {
  const parsed = parseGIF(bytes.slice().buffer);
  const { width, height } = parsed.lsd;
  const app = parsed.frames.find((f) => "application" in f) as
    | { application: { id: string; blocks: ArrayLike<number> } }
    | undefined;
  const loops = app?.application.id.startsWith("NETSCAPE")
    ? app.application.blocks[1] | (app.application.blocks[2] << 8)
    : undefined;
  const frames = decompressFrames(parsed, true).map((frame) => {
    equal(frame.dims.width * frame.dims.height, width * height, "a frame covers the canvas");
    return { delay: frame.delay, rgba: frame.patch };
  });
  return { width, height, loops, frames };
}

/**
 * Reads a child process's output until it has said `text` (or ended), as a test of a server waits
 * for its start line.
 *
 * @param stream The child's stdout.
 * @param text What to wait for.
 * @returns What was said so far, and the reader: read on, or cancel it, to let the child end.
 */
export async function readUntil(
  stream: ReadableStream<Uint8Array>,
  text: string,
): Promise<{ said: string; reader: ReadableStreamDefaultReader<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  return { said, reader };
}
