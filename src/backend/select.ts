/**
 * Choosing the tf.js backend: WebGPU where a real GPU answers, else WASM with SIMD, else the
 * plain JavaScript cpu backend.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { heapKernels, kernelFlavour } from "./kernels/module.ts";
import { kernelThreads, setKernelThreads } from "./kernels/pool.ts";
import { useOurKernels, useStockKernels } from "./kernels/register.ts";
import { withSharedHeap } from "./kernels/shared_heap.ts";

/** What a user may ask for: a backend by name, or `"auto"` for the fastest that works. */
export type BackendChoice = "auto" | "webgpu" | "wasm" | "cpu";

/** The backends this library runs on. */
export type BackendName = Exclude<BackendChoice, "auto">;

/** The choices, in the order `"auto"` tries them after WebGPU. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "wasm", "cpu"];

/**
 * The outcome of {@linkcode selectBackend}.
 *
 * @example Print what was chosen
 * ```ts
 * import { selectBackend } from "@gan/mnist";
 *
 * const { name, description, notices } = await selectBackend("auto");
 * for (const notice of notices) console.log(notice);
 * console.log(`backend: ${description}`, name);
 * ```
 */
export interface BackendSelection {
  /** The backend in use. */
  name: BackendName;
  /** A short human description, e.g. `wasm (SIMD, 1 thread)`. */
  description: string;
  /** One line for each backend that was tried and passed over, saying why. */
  notices: string[];
}

/** Thrown when a backend asked for by name cannot start. */
export class BackendUnavailableError extends Error {
  /**
   * Makes the error; its message names the backend and the reason.
   *
   * @param backend The backend asked for.
   * @param reason Why it cannot start.
   */
  constructor(backend: BackendName, reason: string) {
    super(`Backend "${backend}" is not available: ${reason}`);
    this.name = "BackendUnavailableError";
  }
}

interface AdapterLike {
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  info?: { isFallbackAdapter?: boolean; description?: string; vendor?: string };
  isFallbackAdapter?: boolean;
  requestDevice(descriptor: Record<string, unknown>): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

/** Finds a WebGPU adapter, or says why there is none. */
async function findAdapter(allowFallback: boolean): Promise<AdapterLike | string> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return "navigator.gpu is missing (Deno needs --unstable-webgpu)";
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    return `requestAdapter failed (${String(error).split("\n")[0]})`;
  }
  if (!adapter) return "no WebGPU adapter found";
  const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  if (fallback && !allowFallback) return "only a software (fallback) adapter, slower than wasm";
  return adapter;
}

/**
 * Registers tf.js's WebGPU backend with our own factory. tfjs-backend-webgpu 4.22 asks for
 * `requiredFeatures: ["timestamp-query", ["bgra8unorm-storage"]]` (an array inside the array);
 * browsers stringify it, Deno's strict WebGPU bindings reject it. We request flat feature names.
 */
async function registerWebGpu(adapter: AdapterLike): Promise<void> {
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const wanted = ["timestamp-query", "bgra8unorm-storage"];
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: wanted.filter((f) => adapter.features.has(f)),
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    // The constructor's types come from @webgpu/types, which Deno's own WebGPU types do not match.
    const Backend = WebGPUBackend as unknown as new (
      device: unknown,
      info: unknown,
    ) => tf.KernelBackend;
    const backend = new Backend(device, adapter.info);
    // Release the GPU before the process exits: Deno's WebGPU can crash at exit otherwise.
    globalThis.addEventListener?.("unload", () => {
      backend.dispose();
      (device as { destroy?: () => void }).destroy?.();
    });
    return backend;
  }, 3);
}

async function tryWebGpu(allowFallback: boolean): Promise<string | undefined> {
  const adapter = await findAdapter(allowFallback);
  if (typeof adapter === "string") return adapter;
  try {
    await registerWebGpu(adapter);
    if (await tf.setBackend("webgpu")) return undefined;
    return "tf.js could not initialise it";
  } catch (error) {
    return `it failed to start (${String(error).split("\n")[0]})`;
  }
}

async function tryBackend(name: "wasm" | "cpu"): Promise<string | undefined> {
  try {
    // setBackend logs and returns false when initialisation fails; keep that quiet and say why.
    // A shared heap lets a worker compute on the tensors (see kernels/shared_heap.ts).
    const ok = await withSharedHeap(() => tf.setBackend(name));
    return ok ? undefined : "tf.js could not initialise it (with Deno: --allow-read --allow-env)";
  } catch (error) {
    return `it failed to start (${String(error).split("\n")[0]})`;
  }
}

function describe(name: BackendName, kernels: WasmKernels): string {
  if (name === "wasm") {
    const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
    if (kernels === "stock") return `wasm (${simd}, tf.js's kernels)`;
    const threads = kernelThreads(heapKernels(tf.backend()));
    const fma = kernelFlavour() === "fma" ? " with FMA" : "";
    return `wasm (${simd}, our kernels${fma}, ${threads} thread${threads === 1 ? "" : "s"})`;
  }
  if (name === "cpu") {
    // tf.js's cpu backend greets Node users with advice about tfjs-node on first use; it does
    // not apply to Deno or browsers.
    (tf.backend() as { firstUse?: boolean }).firstUse = false;
    return "cpu (plain JavaScript)";
  }
  return "webgpu";
}

/** Which kernels run on the wasm backend: ours (the default) or tf.js's own. */
export type WasmKernels = "ours" | "stock";

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Threads for large matrix products on wasm: 2 uses a worker for half of each (Deno with
   * shared memory only). Results are bit-for-bit the same.
   * @default {2 where there are two cores or more, else 1}
   */
  threads?: 1 | 2;
  /**
   * Our WASM SIMD kernels, or tf.js's own (to compare).
   * @default {"ours"}
   */
  kernels?: WasmKernels;
}

/**
 * Selects and initialises the tf.js backend. `"auto"` tries WebGPU (a real GPU only, not a software
 * adapter), then WASM with SIMD, then cpu, adding a notice for each it passes over. A backend
 * asked for by name must start, or this throws.
 *
 * On wasm, our own SIMD kernels replace tf.js's for everything that dominates a training step
 * (matrix products, Adam, activation and BatchNorm gradients; see src/backend/kernels/).
 *
 * Call it once before creating models.
 *
 * @param choice The backend to use.
 * @default {"auto"}
 * @param options Threads and kernels on wasm.
 * @returns The backend in use and the notices.
 * @throws {BackendUnavailableError} If a backend asked for by name cannot start.
 *
 * @example Train on WASM
 * ```ts
 * import { selectBackend } from "@gan/mnist";
 *
 * const backend = await selectBackend("wasm");
 * console.log(`backend: ${backend.description}`);
 * ```
 */
export async function selectBackend(
  choice: BackendChoice = "auto",
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new RangeError(
      `selectBackend: backend must be one of ${BACKEND_CHOICES.join(", ")}, got "${choice}"`,
    );
  }
  const order: BackendName[] = choice === "auto" ? ["webgpu", "wasm", "cpu"] : [choice];
  const notices: string[] = [];
  for (const name of order) {
    const failure = name === "webgpu"
      ? await tryWebGpu(choice === "webgpu")
      : await tryBackend(name);
    if (failure === undefined) {
      const kernels = options.kernels ?? "ours";
      if (name === "wasm" && kernels === "ours") {
        useOurKernels();
        const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)
          ?.hardwareConcurrency ?? 1;
        await setKernelThreads(options.threads ?? (cores >= 2 ? 2 : 1));
      } else if (name === "wasm") {
        useStockKernels();
        await setKernelThreads(1);
      }
      return { name, description: describe(name, kernels), notices };
    }
    if (choice !== "auto") throw new BackendUnavailableError(name, failure);
    notices.push(`${name} skipped: ${failure}`);
  }
  throw new BackendUnavailableError("cpu", notices.join("; "));
}
