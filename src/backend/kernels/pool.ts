/**
 * The second core: a worker that computes the lower rows of large matrix products.
 *
 * tf.js-wasm's heap is shared memory (see shared_heap.ts), so the worker runs the same kernel
 * (kernels_mt.wasm) on the same heap: it reads the operands and writes its rows of the product
 * where they lie, while this thread computes the upper rows. Every element of the product is
 * computed exactly as on one thread, so the results are bit-for-bit the same.
 *
 * The worker is a `node:worker_threads` worker (in Deno), unreferenced so that it never keeps a
 * program alive; where there is none (a browser), only one core, or a heap that is not shared
 * (tf.js's wasm backend was started before {@linkcode selectBackend}), everything runs here.
 *
 * @module
 */

import type { HeapKernels } from "./module.ts";
import { isShared } from "./shared_heap.ts";
import { CONV, EPILOGUE, floatArgs, type KernelName } from "./abi.ts";

/** One product: byte offsets on tf.js's heap, sizes, and the epilogue. */
export interface GemmJob {
  a: number;
  b: number;
  c: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Offset of an N-float bias, or 0 for none (the default). */
  bias?: number;
  /** The epilogue's code (abi.ts's EPILOGUE), linear by default. */
  act?: number;
  /** Leaky ReLU's slope. */
  alpha?: number;
  /** A convolution's mode (abi.ts's CONV): A or C is an im2col; none by default. */
  conv?: number;
  /** The convolution's table (abi.ts's CONV_SHAPE, CONV_TABLE_START), with `conv`. */
  table?: number;
  /**
   * Rows of C that write one image (with `CONV.col2im`): threads split the rows between images,
   * as two threads must not add into one pixel.
   */
  rowsPerImage?: number;
}

/** Products with fewer multiply-adds than this run on one thread: the hand-off costs more. */
const SPLIT_MIN_MADDS = 1 << 20;
/**
 * The worker's share of the rows. Both threads compute a row in the same time, but the worker
 * starts a little later (it has to wake up).
 */
const WORKER_SHARE = 0.48;
/** How long this thread waits for the worker before giving up on it (ms). */
const WORKER_TIMEOUT_MS = 10_000;

/** Kernels that run over `n` values, their pointers first, then `n`, then floats. */
export type RangeKernel = (typeof RANGE_KERNELS)[number];
const RANGE_KERNELS = [
  "adam",
  "add",
  "relu",
  "leaky_relu",
  "tanh_f32",
  "relu_grad",
  "leaky_relu_grad",
  "tanh_grad",
] as const satisfies readonly KernelName[];

// Control block. STATE and OP, then the job's arguments in ARGS… as int32 or float32 (the same
// slots read as either; a float32 argument round-trips exactly).
const STATE = 0, OP = 1, ARGS = 2, SLOTS = 24;
const IDLE = 0, GO = 1, STOP = 2, DONE = 3, RUNNING = 4;
/** The kernels the worker runs, by their op number (the index here). */
const OPS: KernelName[] = ["gemm", ...RANGE_KERNELS];
const OP_GEMM = OPS.indexOf("gemm");
/** How long the worker polls for its next job before it sleeps (ms). */
const SPIN_MS = 2;
/** Which of each op's arguments are float32 (the rest are int32), from abi.ts's signatures. */
const FLOAT_ARGS: boolean[][] = OPS.map(floatArgs);

/** The worker's program (CommonJS, run by node:worker_threads with `eval`). */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.once("message", ({ module, memory, control, floatArgs }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const kernels = ${JSON.stringify(OPS)}.map((name) => exports[name]);
  const i32 = new Int32Array(control), f32 = new Float32Array(control);
  for (;;) {
    let state = Atomics.load(i32, ${STATE});
    // The next job of a training step comes within microseconds: poll for it a little while
    // (waking from a sleep costs more than the job gains), then sleep until there is work (GO)
    // or the end (STOP); IDLE and DONE are both "nothing to do".
    const until = performance.now() + ${SPIN_MS};
    while (state !== ${GO} && state !== ${STOP} && performance.now() < until) {
      state = Atomics.load(i32, ${STATE});
    }
    while (state !== ${GO} && state !== ${STOP}) {
      Atomics.wait(i32, ${STATE}, state);
      state = Atomics.load(i32, ${STATE});
    }
    if (state === ${STOP}) break;
    // Claim the job; this thread may have taken it back (it does when we are late).
    if (Atomics.compareExchange(i32, ${STATE}, ${GO}, ${RUNNING}) !== ${GO}) continue;
    const op = i32[${OP}];
    const args = floatArgs[op].map((isFloat, i) => isFloat ? f32[${ARGS} + i] : i32[${ARGS} + i]);
    kernels[op](...args);
    Atomics.store(i32, ${STATE}, ${DONE});
    Atomics.notify(i32, ${STATE});
  }
});
`;

interface NodeWorker {
  postMessage(value: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
  on(event: "error", listener: (error: unknown) => void): void;
}

type WorkerClass = new (source: string, options: { eval: true }) => NodeWorker;

/** The worker, bound to one heap. */
class WorkerPool {
  readonly kernels: HeapKernels;
  readonly #worker: NodeWorker;
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  #broken = false;

  constructor(Worker: WorkerClass, kernels: HeapKernels) {
    this.kernels = kernels;
    const control = new SharedArrayBuffer(SLOTS * 4);
    this.#i32 = new Int32Array(control);
    this.#f32 = new Float32Array(control);
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.on("error", () => (this.#broken = true));
    this.#worker.postMessage({
      module: kernels.module,
      memory: kernels.memory,
      control,
      floatArgs: FLOAT_ARGS,
    });
    this.#worker.unref();
  }

  get usable(): boolean {
    return !this.#broken;
  }

  /**
   * Runs `op` with `args` on the worker while `here` runs on this thread. If the worker has not
   * started by the time `here` is done (its core is busy with another program), this thread takes
   * the job back and runs `there` (the same computation) itself: a loaded machine costs the
   * speed of one thread, not a wait for a core.
   *
   * @returns false if the worker started but did not finish (the caller then does its part).
   */
  run(op: number, args: number[], here: () => void, there: () => void): boolean {
    const i32 = this.#i32, f32 = this.#f32, floats = FLOAT_ARGS[op];
    i32[OP] = op;
    args.forEach((value, i) => {
      if (floats[i]) f32[ARGS + i] = value;
      else i32[ARGS + i] = value;
    });
    Atomics.store(i32, STATE, GO);
    Atomics.notify(i32, STATE);
    here();
    if (Atomics.compareExchange(i32, STATE, GO, IDLE) === GO) {
      there();
      return true;
    }
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    // The worker finishes about when this thread does: poll (a sleep's wake-up costs more).
    for (let polls = 1; Atomics.load(i32, STATE) !== DONE; polls++) {
      if (polls % 4096 === 0 && performance.now() > deadline) {
        this.#broken = true;
        return false;
      }
    }
    Atomics.store(i32, STATE, IDLE);
    return true;
  }

  /** Stops the worker. */
  close(): void {
    Atomics.store(this.#i32, STATE, STOP);
    Atomics.notify(this.#i32, STATE);
    this.#worker.terminate();
  }
}

let Worker: WorkerClass | undefined;
let pool: WorkerPool | undefined;
let threads = 1;
let closesOnUnload = false;

/**
 * Stops the worker when this program (or this module's isolate: `deno test` runs each test file
 * in its own and dispatches "unload" at its end) ends. Left running, unreferenced workers on a
 * shared heap outlived their isolates — one more thread for every test file — and tearing them
 * all down at exit once ended the process with a corrupted native heap (glibc's "corrupted size
 * vs. prev_size", exit 134): the pattern of Node's issue 28777.
 */
function closeOnUnload(): void {
  if (closesOnUnload || typeof globalThis.addEventListener !== "function") return;
  closesOnUnload = true;
  globalThis.addEventListener("unload", () => {
    pool?.close();
    pool = undefined;
  });
}

/**
 * Sets how many threads large products use: 1, or 2 (this thread and one worker). Two needs
 * Deno's node:worker_threads and a shared heap; where either is missing products run on one.
 *
 * @param count 1 or 2.
 * @returns The count asked for and possible here ({@linkcode kernelThreads} says what is used).
 */
export async function setKernelThreads(count: 1 | 2): Promise<number> {
  if (count === 2 && typeof SharedArrayBuffer !== "undefined" && !Worker) {
    try {
      // Imported here: node:worker_threads exists in Deno, not in a browser.
      ({ Worker } = await import("node:worker_threads") as unknown as { Worker: WorkerClass });
    } catch {
      Worker = undefined;
    }
  }
  threads = count === 2 && Worker ? 2 : 1;
  if (threads === 1) {
    pool?.close();
    pool = undefined;
  }
  return threads;
}

/**
 * The worker for a heap, started on first use; undefined where there can be none.
 *
 * @param kernels Our kernels on the heap.
 * @returns The worker bound to that heap, or undefined.
 */
function poolFor(kernels: HeapKernels): WorkerPool | undefined {
  if (threads !== 2 || !Worker || !isShared(kernels.memory)) return undefined;
  if (pool?.kernels !== kernels || !pool.usable) {
    pool?.close();
    try {
      closeOnUnload();
      pool = new WorkerPool(Worker, kernels);
    } catch {
      pool = undefined;
      threads = 1;
    }
  }
  return pool;
}

/**
 * The number of threads large products use now.
 *
 * @param kernels Our kernels on the heap in use: a heap that is not shared means one thread.
 * @returns 1 or 2.
 */
export function kernelThreads(kernels?: HeapKernels): number {
  if (threads !== 2 || !Worker) return 1;
  if (kernels && !isShared(kernels.memory)) return 1;
  return pool?.usable === false ? 1 : 2;
}

/**
 * Runs a product: on two threads when it is large enough and the worker is there, else here.
 *
 * @param kernels Our kernels on the heap holding the operands.
 * @param job The product.
 */
export function splitGemm(kernels: HeapKernels, job: GemmJob): void {
  const e = kernels.exports;
  // gemm's arguments for rows [m0, m1), all columns, with a scratch buffer.
  const gemmArgs = (m0: number, m1: number, scratch: number) =>
    [
      job.a,
      job.b,
      job.c,
      job.m,
      job.n,
      job.k,
      job.transA ? 1 : 0,
      job.transB ? 1 : 0,
      job.bias ?? 0,
      job.act ?? EPILOGUE.linear,
      job.alpha ?? 0,
      m0,
      m1,
      0,
      job.n,
      scratch,
      job.conv ?? CONV.none,
      job.table ?? 0,
    ] as Parameters<typeof e.gemm>;
  const rows = (m0: number, m1: number) =>
    e.gemm(...gemmArgs(m0, m1, kernels.scratch(e.gemm_scratch_floats(m1 - m0, job.n))));
  const unit = job.rowsPerImage ?? 4;
  let split = Math.ceil((job.m * (1 - WORKER_SHARE)) / unit) * unit;
  // A few rows (a 1-channel convolution's filter gradient has 16): rounding up to whole blocks
  // of 4 would leave the worker a quarter; halve them instead.
  if (job.m - split < 0.4 * job.m) split = Math.round(job.m / 2 / unit) * unit;
  const large = job.m * job.n * job.k >= SPLIT_MIN_MADDS && split > 0 && split < job.m;
  const worker = large ? poolFor(kernels) : undefined;
  if (worker) {
    // Both scratch buffers are taken before the worker starts: allocating may grow the heap.
    kernels.scratch(e.gemm_scratch_floats(split, job.n));
    const scratch = kernels.scratch(e.gemm_scratch_floats(job.m - split, job.n), 1);
    const here = () => rows(0, split), there = () => rows(split, job.m);
    if (worker.run(OP_GEMM, gemmArgs(split, job.m, scratch), here, there)) return;
    rows(split, job.m);
    return;
  }
  rows(0, job.m);
}

/** Range kernels over fewer values than this run on one thread: the hand-off costs more. */
const SPLIT_MIN_VALUES = 1 << 15;

/**
 * Runs a kernel over `n` values (Adam, an activation or its gradient, a sum): the upper half on
 * the worker when there is one and `n` is large, else all here. Each value is computed as it is
 * on one thread.
 *
 * @param kernels Our kernels on the heap.
 * @param name The kernel: its arguments are `pointers`, then `n`, then `scalars` (abi.ts).
 * @param pointers Its pointer arguments (byte offsets of `n`-float arrays).
 * @param n Values.
 * @param scalars Its float arguments after `n`.
 */
export function splitRange(
  kernels: HeapKernels,
  name: RangeKernel,
  pointers: number[],
  n: number,
  scalars: number[] = [],
): void {
  const kernel = kernels.exports[name] as (...args: number[]) => void;
  const args = (from: number, to: number) => [
    ...pointers.map((p) => p + from * 4),
    to - from,
    ...scalars,
  ];
  const run = (from: number, to: number) => kernel(...args(from, to));
  const worker = n >= SPLIT_MIN_VALUES ? poolFor(kernels) : undefined;
  const half = Math.floor(n / 8) * 4;
  if (worker) {
    if (worker.run(OPS.indexOf(name), args(half, n), () => run(0, half), () => run(half, n))) {
      return;
    }
    run(half, n);
    return;
  }
  run(0, n);
}
