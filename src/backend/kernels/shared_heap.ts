/**
 * tf.js-wasm's heap as shared memory, so that a worker can compute on tensors where they lie.
 *
 * tf.js's single-threaded WASM build defines an ordinary (unshared) memory, and a worker cannot
 * see an ordinary memory: it would have to work on copies, and the copies cost about what the
 * worker saves. So, while tf.js instantiates its module, we declare that memory `shared` (the
 * same limits; one flag in the binary's memory section). The code is unchanged: a module's
 * instructions run the same on shared memory, and growing it keeps every offset. Our kernels
 * (kernels_mt.wasm, no data, no globals) are then instantiated on this heap by this thread and by
 * the worker alike.
 *
 * Only where workers share memory (Deno's node:worker_threads); a browser keeps tf.js as it is.
 *
 * @module
 */

const MEMORY_SECTION = 5;
const EXPORT_SECTION = 7;
const SHARED_WITH_MAXIMUM = 0x03;
/** 4 GiB in 64 KiB pages: the most a wasm32 memory can have. */
const MAX_PAGES = 65536;

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0, shift = 0, byte: number;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/**
 * A copy of a wasm binary whose one defined memory is declared shared, or `undefined` when the
 * binary is not one to change (no memory section, several memories, already shared).
 *
 * @param binary The module's bytes.
 * @returns The changed bytes, or undefined.
 */
export function withSharedMemory(binary: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [binary.subarray(0, 8)];
  let changed = false;
  for (let at = 8; at < binary.length;) {
    const id = binary[at];
    const [size, payload] = readLeb(binary, at + 1);
    const end = payload + size;
    if (id === MEMORY_SECTION) {
      const [count, limits] = readLeb(binary, payload);
      const flags = binary[limits];
      if (count !== 1 || flags > 1) return undefined;
      const [initial, next] = readLeb(binary, limits + 1);
      const maximum = flags === 1 ? readLeb(binary, next)[0] : MAX_PAGES;
      const section = [1, SHARED_WITH_MAXIMUM, ...leb(initial), ...leb(maximum)];
      parts.push(new Uint8Array([MEMORY_SECTION, ...leb(section.length), ...section]));
      changed = true;
    } else {
      parts.push(binary.subarray(at, end));
    }
    at = end;
  }
  if (!changed) return undefined;
  const out = new Uint8Array(parts.reduce((bytes, part) => bytes + part.length, 0));
  let offset = 0;
  for (const part of parts) out.set(part, offset), offset += part.length;
  return out;
}

/** Whether a binary exports the functions that mark tf.js-wasm's module. */
function isTfjsWasm(binary: Uint8Array): boolean {
  for (let at = 8; at < binary.length;) {
    const [size, payload] = readLeb(binary, at + 1);
    if (binary[at] === EXPORT_SECTION) {
      const names = new TextDecoder().decode(binary.subarray(payload, payload + size));
      return names.includes("register_tensor") && names.includes("BatchMatMul");
    }
    at = payload + size;
  }
  return false;
}

/** Whether this engine can give tf.js a shared heap that a worker can use. */
export function canShareHeap(): boolean {
  return typeof SharedArrayBuffer !== "undefined" && "Deno" in globalThis;
}

/**
 * Runs `init` (which initialises tf.js's wasm backend) so that the module it instantiates gets a
 * shared heap. Only tf.js-wasm's module is changed, and only during `init`.
 *
 * @param init Initialises the backend, e.g. `() => tf.setBackend("wasm")`.
 * @returns What `init` returns.
 */
export async function withSharedHeap<T>(init: () => Promise<T>): Promise<T> {
  if (!canShareHeap()) return await init();
  const instantiate = WebAssembly.instantiate;
  const patched = function (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ): Promise<unknown> {
    if (!(source instanceof WebAssembly.Module)) {
      const bytes = ArrayBuffer.isView(source)
        ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
        : new Uint8Array(source);
      const shared = isTfjsWasm(bytes) ? withSharedMemory(bytes) : undefined;
      if (shared) return instantiate.call(WebAssembly, shared as BufferSource, imports);
    }
    return instantiate.call(WebAssembly, source as BufferSource, imports);
  };
  WebAssembly.instantiate = patched as typeof WebAssembly.instantiate;
  try {
    return await init();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

/**
 * Whether a memory is shared (a worker can compute on it).
 *
 * @param memory The memory.
 * @returns True for a shared memory.
 */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}
