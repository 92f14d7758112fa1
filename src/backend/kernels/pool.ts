/**
 * The second core: a worker that computes the lower rows of large matrix products.
 *
 * tf.js-wasm's heap is not shared memory, so the worker works on copies: the operands go into a
 * shared `WebAssembly.Memory`, the worker runs the same kernel (kernels_mt.wasm) on its rows
 * there while this thread computes the upper rows in place on tf.js's heap, and the worker's rows
 * are copied back. Every element of the product is computed exactly as on one thread, so the
 * results are bit-for-bit the same.
 *
 * The worker is a `node:worker_threads` worker (in Deno), unreferenced so that it never keeps a
 * program alive; where there is none (a browser) or only one core, everything runs here.
 *
 * @module
 */

import { type HeapKernels, type KernelFlavour, kernelFlavour, kernelsModule } from "./module.ts";

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
  /** Offset of an N-float bias, or 0 for none. */
  bias: number;
  /** 0 linear, 1 relu, 2 relu6, 3 leaky ReLU. */
  act: number;
  /** Leaky ReLU's slope. */
  alpha: number;
}

/** Products with fewer multiply-adds than this run on one thread: the hand-off costs more. */
const SPLIT_MIN_MADDS = 1 << 20;
/**
 * The worker's share of the rows. Measured in a training step on the 2-core test machine, both
 * threads compute a row in the same time; the worker starts only once the operands are copied,
 * so it takes a little less than half.
 */
const WORKER_SHARE = 0.45;
/** How long this thread waits for the worker before giving up on it (ms). */
const WORKER_TIMEOUT_MS = 10_000;

// Control block (Int32 slots; slot ALPHA is read as float32).
const STATE = 0, A = 1, B = 2, C = 3, M = 4, N = 5, K = 6, TRANS_A = 7, TRANS_B = 8, BIAS = 9;
const ACT = 10, ALPHA = 11, M0 = 12, M1 = 13, SCRATCH = 14, SLOTS = 16;
const IDLE = 0, GO = 1, STOP = 2, DONE = 3;

/** The worker's program (CommonJS, run by node:worker_threads with `eval`). */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.once("message", ({ module, memory, control }) => {
  const { gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const i32 = new Int32Array(control), f32 = new Float32Array(control);
  for (;;) {
    let state = Atomics.load(i32, ${STATE});
    // Sleep until there is work (GO) or the end (STOP); IDLE and DONE are both "nothing to do".
    while (state !== ${GO} && state !== ${STOP}) {
      Atomics.wait(i32, ${STATE}, state);
      state = Atomics.load(i32, ${STATE});
    }
    if (state === ${STOP}) break;
    gemm(i32[${A}], i32[${B}], i32[${C}], i32[${M}], i32[${N}], i32[${K}], i32[${TRANS_A}],
      i32[${TRANS_B}], i32[${BIAS}], i32[${ACT}], f32[${ALPHA}], i32[${M0}], i32[${M1}], 0,
      i32[${N}], i32[${SCRATCH}]);
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

/** The worker and the shared memory it computes in. */
class WorkerPool {
  readonly #worker: NodeWorker;
  readonly #memory: WebAssembly.Memory;
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  readonly #scratchFloats: (rows: number) => number;
  /** The kernels build the worker runs. */
  readonly flavour: KernelFlavour;
  #broken = false;

  constructor(
    Worker: new (source: string, options: { eval: true }) => NodeWorker,
    module: WebAssembly.Module,
    flavour: KernelFlavour,
  ) {
    this.flavour = flavour;
    this.#memory = new WebAssembly.Memory({ initial: 64, maximum: 32768, shared: true });
    const control = new SharedArrayBuffer(SLOTS * 4);
    this.#i32 = new Int32Array(control);
    this.#f32 = new Float32Array(control);
    const local = new WebAssembly.Instance(module, { env: { memory: this.#memory } });
    const scratchFloats = local.exports.gemm_scratch_floats as (rows: number) => number;
    this.#scratchFloats = scratchFloats;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.on("error", () => (this.#broken = true));
    this.#worker.postMessage({ module, memory: this.#memory, control });
    this.#worker.unref();
  }

  get usable(): boolean {
    return !this.#broken;
  }

  /** Grows the shared memory to hold at least `bytes`. */
  #reserve(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    if (bytes > have) this.#memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /**
   * Runs rows [split, m) of the product on the worker and rows [0, split) here, on the heap.
   *
   * @returns false if the worker did not answer (the caller then computes its rows).
   */
  run(job: GemmJob, split: number, heap: () => Uint8Array, here: () => void): boolean {
    const { m, n, k } = job;
    const aBytes = m * k * 4,
      bBytes = k * n * 4,
      cBytes = m * n * 4,
      biasBytes = job.bias ? n * 4 : 0;
    const aAt = 0, bAt = aAt + aBytes, biasAt = bAt + bBytes, cAt = align(biasAt + biasBytes);
    const scratchAt = align(cAt + cBytes);
    this.#reserve(scratchAt + this.#scratchFloats(m - split) * 4);
    const shared = new Uint8Array(this.#memory.buffer);
    const source = heap();
    if (job.transA) {
      shared.set(source.subarray(job.a, job.a + aBytes), aAt);
    } else {
      // The worker reads only its rows of an upright A.
      const from = split * k * 4;
      shared.set(source.subarray(job.a + from, job.a + aBytes), aAt + from);
    }
    shared.set(source.subarray(job.b, job.b + bBytes), bAt);
    if (biasBytes) shared.set(source.subarray(job.bias, job.bias + biasBytes), biasAt);
    const i32 = this.#i32;
    i32[A] = aAt, i32[B] = bAt, i32[C] = cAt, i32[M] = m, i32[N] = n, i32[K] = k;
    i32[TRANS_A] = job.transA ? 1 : 0, i32[TRANS_B] = job.transB ? 1 : 0;
    i32[BIAS] = biasBytes ? biasAt : 0, i32[ACT] = job.act, this.#f32[ALPHA] = job.alpha;
    i32[M0] = split, i32[M1] = m, i32[SCRATCH] = scratchAt;
    Atomics.store(i32, STATE, GO);
    Atomics.notify(i32, STATE);
    here();
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    while (Atomics.load(i32, STATE) !== DONE) {
      if (performance.now() > deadline) {
        this.#broken = true;
        return false;
      }
      Atomics.wait(i32, STATE, GO, 100);
    }
    Atomics.store(i32, STATE, IDLE);
    const rows = cAt + split * n * 4;
    // heap() again: tf.js's heap may have grown (and its view changed) meanwhile.
    heap().set(
      new Uint8Array(this.#memory.buffer, rows, (m - split) * n * 4),
      job.c + split * n * 4,
    );
    return true;
  }

  /** Stops the worker. */
  close(): void {
    Atomics.store(this.#i32, STATE, STOP);
    Atomics.notify(this.#i32, STATE);
    this.#worker.terminate();
  }
}

const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;

let pool: WorkerPool | undefined;
let threads = 1;

/**
 * Sets how many threads large products use: 1, or 2 (this thread and one worker). Two needs
 * Deno's node:worker_threads and shared memory; where either is missing this stays at 1.
 *
 * @param count 1 or 2.
 * @returns The count in effect.
 */
export async function setKernelThreads(count: 1 | 2): Promise<number> {
  if (count === 1 || typeof SharedArrayBuffer === "undefined") {
    pool?.close();
    pool = undefined;
    threads = 1;
    return threads;
  }
  if (!pool?.usable || pool.flavour !== kernelFlavour()) {
    pool?.close();
    try {
      // Imported here: node:worker_threads exists in Deno, not in a browser.
      const { Worker } = await import("node:worker_threads") as unknown as {
        Worker: new (source: string, options: { eval: true }) => NodeWorker;
      };
      pool = new WorkerPool(Worker, kernelsModule(true), kernelFlavour());
    } catch {
      pool = undefined;
      threads = 1;
      return threads;
    }
  }
  threads = 2;
  return threads;
}

/** The number of threads large products use now. */
export function kernelThreads(): number {
  return pool?.usable ? threads : 1;
}

/**
 * Runs a product: on two threads when it is large enough and the worker is there, else here.
 *
 * @param kernels Our kernels on the heap holding the operands.
 * @param job The product.
 */
export function splitGemm(kernels: HeapKernels, job: GemmJob): void {
  const e = kernels.exports;
  const rows = (m0: number, m1: number) =>
    e.gemm(
      job.a,
      job.b,
      job.c,
      job.m,
      job.n,
      job.k,
      job.transA ? 1 : 0,
      job.transB ? 1 : 0,
      job.bias,
      job.act,
      job.alpha,
      m0,
      m1,
      0,
      job.n,
      kernels.scratch(e.gemm_scratch_floats(m1 - m0)),
    );
  const split = Math.ceil((job.m * (1 - WORKER_SHARE)) / 4) * 4;
  const large = job.m * job.n * job.k >= SPLIT_MIN_MADDS && split > 0 && split < job.m;
  if (threads === 2 && large && pool?.usable) {
    // The scratch is taken before the worker starts: allocating may grow tf.js's heap.
    kernels.scratch(e.gemm_scratch_floats(split));
    if (pool.run(job, split, () => kernels.heap(), () => rows(0, split))) return;
    rows(split, job.m);
    return;
  }
  rows(0, job.m);
}
