// Elementwise and reduction kernels for the rest of a training step: a sum and a reduction.
// Each follows the tf.js operations it replaces operation for operation, in float32, so the
// results are the same.

#include <wasm_simd128.h>

#include "abi.h"

// out = a + b (same shapes).
void add(const f32* a, const f32* b, f32* out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  for (; i < n; i++) out[i] = a[i] + b[i];
}

// out[j] = Σ_i x[i·cols + j], summed in order of i (as tf.js's Sum over the leading axes); the
// rows walked in order, all columns of a row at a time.
void sum_rows(const f32* x, f32* out, int rows, int cols) {
  for (int j = 0; j < cols; j++) out[j] = 0.f;
  for (int i = 0; i < rows; i++) {
    const f32* row = x + (long)i * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(row + j)));
    }
    for (; j < cols; j++) out[j] += row[j];
  }
}
