/**
 * The kernels' interface, defined once: the codes of the products' epilogues, the layout of a
 * convolution's shape, and every function the WASM module exports with its arguments in order.
 *
 * The TypeScript side imports these; the C side includes `wasm/abi.h`, which
 * `deno task build:kernels` generates from this file (tools/kernels/abi_header.ts), so a C
 * definition that disagrees with a signature here does not compile. tests/kernels_test.ts checks
 * that the compiled module exports exactly these names with these numbers of arguments.
 *
 * @example The code of a fused leaky ReLU, and gemm's arguments
 * ```ts
 * import { epilogueCode, KERNELS } from "./abi.ts";
 *
 * epilogueCode("leakyrelu"); // 3
 * KERNELS.gemm.args.length; // 18
 * ```
 *
 * @module
 */

/**
 * The activations a product's epilogue applies as it writes C (tf.js's fused activation names),
 * and the code `gemm`'s `act` argument takes for each.
 *
 * @example
 * ```ts
 * import { EPILOGUE } from "./abi.ts";
 *
 * EPILOGUE.relu; // 1
 * ```
 */
export const EPILOGUE = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 } as const;

/** An activation the kernels' epilogue applies itself. */
export type Epilogue = keyof typeof EPILOGUE;

/**
 * The epilogue code of a tf.js fused activation, or undefined where the kernels do not apply it
 * (tf.js's kernel then runs instead).
 *
 * @param activation tf.js's activation name; none means linear.
 * @returns Its code, or undefined.
 *
 * @example
 * ```ts
 * import { epilogueCode } from "./abi.ts";
 *
 * epilogueCode(undefined); // 0
 * epilogueCode("sigmoid"); // undefined
 * ```
 */
export function epilogueCode(activation: string | undefined): number | undefined {
  const name = activation ?? "linear";
  return Object.hasOwn(EPILOGUE, name) ? EPILOGUE[name as Epilogue] : undefined;
}

/**
 * How `gemm` reads A or writes C when the product is a convolution (implicit GEMM, no cols
 * buffer): `none`, a plain product; `cols`, A is the im2col of the image at `a` (every receptive
 * field as a row: a convolution's forward pass); `colsT`, A is that im2col transposed (a
 * filter's gradient); `col2im`, C is an im2col whose entries are added into the image at `c` (an
 * input's gradient, a transposed convolution's forward pass).
 *
 * @example
 * ```ts
 * import { CONV } from "./abi.ts";
 *
 * CONV.colsT; // 2
 * ```
 */
export const CONV = { none: 0, cols: 1, colsT: 2, col2im: 3 } as const;

/**
 * The convolution table `gemm` reads through its `table` pointer: first these 14 ints, the
 * convolution's geometry as tf.js's `computeConv2DInfo` gives it; then, from int
 * {@linkcode CONV_TABLE_START}, three ints per output position (b, oy, ox) in order — its first
 * input row `oy·strideH − padTop`, column `ox·strideW − padLeft`, and the offset of that pixel
 * `((b·inH + row)·inW + column)·inC` — then three per field entry (ky, kx, c) in order — `ky·dilH`,
 * `kx·dilW` and `(ky·dilH·inW + kx·dilW)·inC + c`.
 *
 * @example
 * ```ts
 * import { CONV_SHAPE } from "./abi.ts";
 *
 * CONV_SHAPE.indexOf("strideH"); // 8
 * ```
 */
export const CONV_SHAPE = [
  "batch",
  "inH",
  "inW",
  "inC",
  "outH",
  "outW",
  "fH",
  "fW",
  "strideH",
  "strideW",
  "padTop",
  "padLeft",
  "dilH",
  "dilW",
] as const;

/**
 * Where a convolution table's per-position entries start (in ints), after the shape.
 *
 * @example
 * ```ts
 * import { CONV_SHAPE, CONV_TABLE_START } from "./abi.ts";
 *
 * CONV_TABLE_START >= CONV_SHAPE.length; // true
 * ```
 */
export const CONV_TABLE_START = 16;

/**
 * One argument's kind: `in` a pointer to floats the kernel reads, `out` a pointer to floats it
 * writes, `ints` a pointer to int32s it reads, `i32` an int, `f32` a float. Pointers are byte
 * offsets into the imported memory (tf.js-wasm's heap); every kind is an i32 in WebAssembly but
 * `f32`.
 */
export type ArgKind = "in" | "out" | "ints" | "i32" | "f32";

/** One exported function: what it computes, its arguments (`"kind name"`, in order), its result. */
export interface KernelSignature {
  /** What it computes (the header's comment). */
  readonly doc: string;
  /** Its arguments in order, each `"kind name"`. */
  readonly args: readonly `${ArgKind} ${string}`[];
  /** An int result, or none. */
  readonly returns?: "i32";
}

/**
 * Every function the kernels' module exports, in the order of the C sources. Matrices are
 * row-major; `n` is a count of floats.
 *
 * @example Which of gemm's arguments are floats
 * ```ts
 * import { floatArgs } from "./abi.ts";
 *
 * floatArgs("gemm").indexOf(true); // 10 (alpha)
 * ```
 */
export const KERNELS = {
  gemm_scratch_floats: {
    doc: "Floats of scratch `gemm` needs for a range of `rows` rows and `cols` columns.",
    args: ["i32 rows", "i32 cols"],
    returns: "i32",
  },
  gemm: {
    doc:
      "C = act(op(A)·op(B) + bias), rows [m0, m1), columns [n0, n1); A or C an im2col by `conv`.",
    args: [
      "in a",
      "in b",
      "out c",
      "i32 m",
      "i32 n",
      "i32 k",
      "i32 transA",
      "i32 transB",
      "in bias",
      "i32 act",
      "f32 alpha",
      "i32 m0",
      "i32 m1",
      "i32 n0",
      "i32 n1",
      "out scratch",
      "i32 conv",
      "ints table",
    ],
  },
  adam: {
    doc: "One fused Adam update of `n` values, as tf.js's AdamOptimizer computes it.",
    args: [
      "in x",
      "in g",
      "in m",
      "in v",
      "out xOut",
      "out mOut",
      "out vOut",
      "i32 n",
      "f32 lr",
      "f32 beta1",
      "f32 beta2",
      "f32 oneMinusBeta1",
      "f32 oneMinusBeta2",
      "f32 oneMinusAccBeta1",
      "f32 oneMinusAccBeta2",
      "f32 epsilon",
    ],
  },
  add: { doc: "out = a + b.", args: ["in a", "in b", "out out", "i32 n"] },
  sum_rows: {
    doc: "out[j] = Σ_i x[i·cols + j], summed in order of i.",
    args: ["in x", "out out", "i32 rows", "i32 cols"],
  },
  leaky_relu_grad: {
    doc: "LeakyRelu's gradient: where(x > 0, dy, dy·alpha).",
    args: ["in x", "in dy", "out out", "i32 n", "f32 alpha"],
  },
  relu_grad: {
    doc: "Relu's gradient: dy · step(x).",
    args: ["in x", "in dy", "out out", "i32 n"],
  },
  tanh_grad: {
    doc: "Tanh's gradient from its output y: (1 - y²) · dy.",
    args: ["in y", "in dy", "out out", "i32 n"],
  },
  tanh_f32: { doc: "tanh(x), within 2 ulp.", args: ["in x", "out out", "i32 n"] },
  relu: { doc: "max(x, 0).", args: ["in x", "out out", "i32 n"] },
  leaky_relu: { doc: "x < 0 ? alpha·x : x.", args: ["in x", "out out", "i32 n", "f32 alpha"] },
  batch_norm_train: {
    doc: "BatchNorm in training mode over the rows: y, and the batch mean and biased variance.",
    args: [
      "in x",
      "in gamma",
      "in beta",
      "out y",
      "out mean",
      "out variance",
      "i32 rows",
      "i32 cols",
      "f32 epsilon",
    ],
  },
  batch_norm_train_grad: {
    doc: "The gradient of `batch_norm_train` for x, gamma and beta.",
    args: [
      "in x",
      "in dy",
      "in gamma",
      "in mean",
      "in variance",
      "out dx",
      "out dgamma",
      "out dbeta",
      "i32 rows",
      "i32 cols",
      "f32 epsilon",
    ],
  },
  segment_sum: {
    doc: "out = 0; out[ids[i]] += x[i] for rows i of `inner` values (ids outside are dropped).",
    args: ["in x", "ints ids", "out out", "i32 rows", "i32 inner", "i32 segments"],
  },
} as const satisfies Record<string, KernelSignature>;

/** The name of an exported kernel function. */
export type KernelName = keyof typeof KERNELS;

type Numbers<T extends readonly unknown[]> = { -readonly [I in keyof T]: number };

/**
 * The module's exports as TypeScript sees them: each function of {@linkcode KERNELS}, taking its
 * arguments (all numbers) in the order given there.
 *
 * @example
 * ```ts ignore
 * import type { KernelExports } from "./abi.ts";
 *
 * declare const e: KernelExports;
 * e.relu(xOffset, outOffset, n);
 * ```
 */
export type KernelExports = {
  [K in KernelName]: (
    ...args: Numbers<(typeof KERNELS)[K]["args"]>
  ) => (typeof KERNELS)[K] extends { returns: "i32" } ? number : void;
};

/**
 * Which of a kernel's arguments are floats (the rest are int32s), in order.
 *
 * @param name The kernel.
 * @returns One flag per argument.
 *
 * @example
 * ```ts
 * import { floatArgs } from "./abi.ts";
 *
 * floatArgs("leaky_relu"); // [false, false, false, true]
 * ```
 */
export function floatArgs(name: KernelName): boolean[] {
  return KERNELS[name].args.map((arg) => arg.startsWith("f32 "));
}
