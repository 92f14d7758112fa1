/**
 * Our WASM SIMD kernels (kernels.c), instantiated on tf.js's own WASM heap: the module imports
 * tf.js-wasm's memory, so the kernels read and write tensors where they lie, with no copies.
 *
 * @module
 */

import { KERNELS_WASM_BASE64 } from "./kernels_wasm.ts";

/** The functions kernels.c exports; pointers are byte offsets into tf.js-wasm's heap. */
export interface KernelExports {
  /** Floats of scratch `gemm` needs for a range of `rows` rows. */
  gemm_scratch_floats(rows: number): number;
  /** C = act(op(A)·op(B) + bias) on rows [m0, m1) and columns [n0, n1). */
  gemm(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    bias: number,
    act: number,
    alpha: number,
    m0: number,
    m1: number,
    n0: number,
    n1: number,
    scratch: number,
  ): void;
  /** out = a + b. */
  add(a: number, b: number, out: number, n: number): void;
  /** out[j] = Σ_i x[i·cols + j]. */
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  /** where(x > 0, dy, dy·alpha). */
  leaky_relu_grad(x: number, dy: number, out: number, n: number, alpha: number): void;
  /** dy · step(x). */
  relu_grad(x: number, dy: number, out: number, n: number): void;
  /** (1 - y²) · dy. */
  tanh_grad(y: number, dy: number, out: number, n: number): void;
  /** x < 0 ? alpha·x : x. */
  leaky_relu(x: number, out: number, n: number, alpha: number): void;
  /** tanh(x), within 2 ulp. */
  tanh_f32(x: number, out: number, n: number): void;
  /** One fused Adam update of `n` values. */
  adam(
    x: number,
    g: number,
    m: number,
    v: number,
    xOut: number,
    mOut: number,
    vOut: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    epsilon: number,
  ): void;
}

/** What our kernels need from tf.js-wasm's backend object (its emscripten module). */
export interface WasmBackendInternals {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    HEAPU8: Uint8Array;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
}

let compiled: WebAssembly.Module | undefined;

/** The compiled kernels module (compiled once, instantiated per heap). */
export function kernelsModule(): WebAssembly.Module {
  if (!compiled) {
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** Our kernels bound to one tf.js-wasm heap, with a scratch buffer on that heap. */
export class HeapKernels {
  readonly exports: KernelExports;
  readonly #backend: WasmBackendInternals;
  #scratch = 0;
  #scratchBytes = 0;

  /**
   * @param backend tf.js's wasm backend object.
   */
  constructor(backend: WasmBackendInternals) {
    this.#backend = backend;
    const instance = new WebAssembly.Instance(kernelsModule(), {
      env: { memory: backend.wasm.asm.memory },
    });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /**
   * A scratch buffer of at least `floats` floats on the heap, reused between calls.
   *
   * @param floats How many floats.
   * @returns Its byte offset.
   */
  scratch(floats: number): number {
    const bytes = floats * 4;
    if (bytes > this.#scratchBytes) {
      if (this.#scratch) this.#backend.wasm._free(this.#scratch);
      // Grow geometrically so that a run settles on one buffer.
      this.#scratchBytes = Math.max(bytes, this.#scratchBytes * 2, 1 << 20);
      this.#scratch = this.#backend.wasm._malloc(this.#scratchBytes) >>> 0;
    }
    return this.#scratch;
  }

  /**
   * A byte view of the heap, current (tf.js replaces it when the heap grows).
   *
   * @returns tf.js's `HEAPU8`.
   */
  heap(): Uint8Array {
    return this.#backend.wasm.HEAPU8;
  }

  /**
   * The heap offset of a tensor's data.
   *
   * @param dataId The tensor's data id.
   * @returns Its byte offset.
   */
  offset(dataId: object): number {
    return this.#backend.dataIdMap.get(dataId)!.memoryOffset;
  }
}

const bound = new WeakMap<object, HeapKernels>();

/**
 * Our kernels for a tf.js-wasm backend object, instantiated on first use.
 *
 * @param backend tf.js's wasm backend object.
 * @returns The kernels on its heap.
 */
export function heapKernels(backend: object): HeapKernels {
  let kernels = bound.get(backend);
  if (!kernels) {
    kernels = new HeapKernels(backend as WasmBackendInternals);
    bound.set(backend, kernels);
  }
  return kernels;
}
