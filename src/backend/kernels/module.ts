/**
 * Our WASM SIMD kernels (wasm/*.c), instantiated on tf.js's own WASM heap: the module imports
 * tf.js-wasm's memory, so the kernels read and write tensors where they lie, with no copies.
 *
 * @module
 */

import {
  KERNELS_FMA_MT_WASM_BASE64,
  KERNELS_FMA_WASM_BASE64,
  KERNELS_MT_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from "./kernels_wasm.ts";
import { isShared } from "./shared_heap.ts";
import type { KernelExports } from "./abi.ts";

/** What our kernels need from tf.js-wasm's backend object (its emscripten module). */
export interface WasmBackendInternals {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    HEAPU8: Uint8Array;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  refCount(dataId: object): number;
  makeOutput(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
}

/**
 * The two builds of the kernels: "fma" has a matrix micro-kernel of relaxed-SIMD fused
 * multiply-adds (about 35% faster where the CPU has FMA), "plain" uses separate multiplies and
 * adds. "fma" is used wherever the engine accepts it.
 */
export type KernelFlavour = "fma" | "plain";

const decode = (base64: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
const compiled = new Map<string, WebAssembly.Module>();

function compile(key: string, base64: string): WebAssembly.Module {
  let module = compiled.get(key);
  if (!module) {
    module = new WebAssembly.Module(decode(base64));
    compiled.set(key, module);
  }
  return module;
}

let fmaSupported: boolean | undefined;
let preferred: KernelFlavour | undefined;

/** Whether this engine validates relaxed SIMD (the "fma" build). */
export function fmaSupport(): boolean {
  fmaSupported ??= WebAssembly.validate(decode(KERNELS_FMA_WASM_BASE64));
  return fmaSupported;
}

/**
 * Chooses the build new kernel instances use: "fma" where supported (the default), or "plain".
 *
 * @param flavour The build to prefer.
 * @returns The build in effect.
 */
export function setKernelFlavour(flavour: KernelFlavour): KernelFlavour {
  preferred = flavour;
  return kernelFlavour();
}

/** The build in use: "fma" where the engine supports it, unless "plain" was chosen. */
export function kernelFlavour(): KernelFlavour {
  return preferred !== "plain" && fmaSupport() ? "fma" : "plain";
}

/**
 * The compiled kernels module of the build in use.
 *
 * @param shared The build that imports a shared memory (for the worker).
 * @returns The module.
 */
export function kernelsModule(shared = false): WebAssembly.Module {
  const fma = kernelFlavour() === "fma";
  const base64 = fma
    ? (shared ? KERNELS_FMA_MT_WASM_BASE64 : KERNELS_FMA_WASM_BASE64)
    : (shared ? KERNELS_MT_WASM_BASE64 : KERNELS_WASM_BASE64);
  return compile(`${fma ? "fma" : "plain"}${shared ? "-mt" : ""}`, base64);
}

/** Our kernels bound to one tf.js-wasm heap, with scratch buffers on that heap. */
export class HeapKernels {
  readonly exports: KernelExports;
  /** The heap: tf.js's memory. */
  readonly memory: WebAssembly.Memory;
  /** The build instantiated on it (the "mt" build when the heap is shared). */
  readonly module: WebAssembly.Module;
  readonly #backend: WasmBackendInternals;
  /** Kept heap buffers, scratch and named: [offset, bytes]. */
  readonly #buffers = new Map<string, [number, number]>();

  /**
   * @param backend tf.js's wasm backend object.
   */
  constructor(backend: WasmBackendInternals) {
    this.#backend = backend;
    this.memory = backend.wasm.asm.memory;
    this.module = kernelsModule(isShared(this.memory));
    const instance = new WebAssembly.Instance(this.module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
  }

  /**
   * A scratch buffer of at least `floats` floats on the heap, reused between calls.
   *
   * @param floats How many floats.
   * @param thread 0 for this thread's buffer, 1 for the worker's.
   * @returns Its byte offset.
   */
  scratch(floats: number, thread: 0 | 1 = 0): number {
    return this.#kept(`scratch ${thread}`, floats * 4, 1 << 20);
  }

  /**
   * A work buffer of at least `floats` floats (or ints) on the heap, kept under a name and reused
   * (grown when asked for more); its contents are undefined.
   *
   * @param name Which buffer.
   * @param floats How many 4-byte values.
   * @returns Its byte offset.
   */
  buffer(name: string, floats: number): number {
    return this.#kept(`buffer ${name}`, floats * 4, 1 << 12);
  }

  /**
   * The buffer kept under `key`, grown (and its contents lost) when `bytes` do not fit:
   * geometrically, to at least `floor` bytes, so that a run settles on one buffer.
   */
  #kept(key: string, bytes: number, floor: number): number {
    const buffer = this.#buffers.get(key);
    if (buffer && bytes <= buffer[1]) return buffer[0];
    const roomy = Math.max((buffer?.[1] ?? 0) * 2, floor);
    if (buffer) {
      this.#backend.wasm._free(buffer[0]);
      this.#buffers.delete(key);
    }
    const grown = this.#grow(bytes, roomy);
    this.#buffers.set(key, grown);
    return grown[0];
  }

  /**
   * Allocates `wanted` bytes or, where the heap has room, up to `roomy` (so that a growing buffer
   * settles); never the heap's offset 0, which `_malloc` returns when it has no room.
   *
   * @returns [offset, bytes].
   * @throws {RangeError} If the heap (at most 4 GB) has no room for `wanted` bytes.
   */
  #grow(wanted: number, roomy: number): [number, number] {
    for (const bytes of roomy > wanted ? [roomy, wanted] : [wanted]) {
      const offset = bytes < 2 ** 32 ? this.#backend.wasm._malloc(bytes) >>> 0 : 0;
      if (offset !== 0) return [offset, bytes];
    }
    throw new RangeError(
      `the WASM heap has no room for a ${Math.ceil(wanted / 2 ** 20)} MB work buffer ` +
        "(it holds at most 4 GB); use smaller batches",
    );
  }

  /**
   * Allocates zeroed floats on the heap, outside tf.js's tensors (free them with
   * {@linkcode HeapKernels.free}).
   *
   * @param floats How many floats.
   * @returns The byte offset.
   */
  alloc(floats: number): number {
    const bytes = Math.max(floats, 1) * 4;
    const [offset] = this.#grow(bytes, bytes);
    new Uint8Array(this.memory.buffer, offset, bytes).fill(0);
    return offset;
  }

  /**
   * Frees what {@linkcode HeapKernels.alloc} allocated.
   *
   * @param offset Its byte offset.
   */
  free(offset: number): void {
    this.#backend.wasm._free(offset);
  }

  /**
   * How many tensors share a tensor's data (reshapes share it).
   *
   * @param dataId The tensor's data id.
   * @returns The count.
   */
  refCount(dataId: object): number {
    return this.#backend.refCount(dataId);
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

const bound = new WeakMap<object, Map<KernelFlavour, HeapKernels>>();

/**
 * Our kernels for a tf.js-wasm backend object, instantiated on first use.
 *
 * @param backend tf.js's wasm backend object.
 * @returns The kernels on its heap.
 */
export function heapKernels(backend: object): HeapKernels {
  let byFlavour = bound.get(backend);
  if (!byFlavour) bound.set(backend, byFlavour = new Map());
  const flavour = kernelFlavour();
  let kernels = byFlavour.get(flavour);
  if (!kernels) {
    kernels = new HeapKernels(backend as WasmBackendInternals);
    byFlavour.set(flavour, kernels);
  }
  return kernels;
}
