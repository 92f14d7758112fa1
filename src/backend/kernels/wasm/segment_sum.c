// Rows summed by segment: the gradient of a Gather.

#include <wasm_simd128.h>

#include "abi.h"

// UnsortedSegmentSum (the gradient of a Gather, e.g. an Embedding): out = 0, then
// out[ids[i]] += x[i] for every row i of `inner` values; ids outside [0, segments) are dropped
// (as tf.js does).
void segment_sum(const f32* x, const int* ids, f32* out, int rows, int inner, int segments) {
  for (long i = 0; i < (long)segments * inner; i++) out[i] = 0.f;
  for (int i = 0; i < rows; i++) {
    int id = ids[i];
    if (id < 0 || id >= segments) continue;
    const f32* in = x + (long)i * inner;
    f32* o = out + (long)id * inner;
    int j = 0;
    for (; j + 4 <= inner; j += 4) {
      wasm_v128_store(o + j, wasm_f32x4_add(wasm_v128_load(o + j), wasm_v128_load(in + j)));
    }
    for (; j < inner; j++) o[j] += in[j];
  }
}
