// Activations and their gradients, in SIMD. Each follows the tf.js operations it replaces
// operation for operation, in float32, so the results are the same (tanh: within 2 ulp).

#include <wasm_simd128.h>

#include "abi.h"

// LeakyRelu's gradient, tf.js's where(x > 0, dy, dy·alpha).
void leaky_relu_grad(const f32* x, const f32* dy, f32* out, int n, f32 alpha_f) {
  v128_t zero = wasm_f32x4_splat(0.f), alpha = wasm_f32x4_splat(alpha_f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t d = wasm_v128_load(dy + i);
    v128_t mask = wasm_f32x4_gt(wasm_v128_load(x + i), zero);
    wasm_v128_store(out + i, wasm_v128_bitselect(d, wasm_f32x4_mul(d, alpha), mask));
  }
  for (; i < n; i++) out[i] = x[i] > 0.f ? dy[i] : dy[i] * alpha_f;
}

// Relu's gradient, tf.js's dy · step(x) (step: 1 where x > 0, else 0; NaN stays NaN).
void relu_grad(const f32* x, const f32* dy, f32* out, int n) {
  v128_t zero = wasm_f32x4_splat(0.f), one = wasm_f32x4_splat(1.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    v128_t step = wasm_v128_and(wasm_f32x4_gt(xi, zero), one);
    step = wasm_v128_bitselect(xi, step, wasm_f32x4_ne(xi, xi));  // NaN where x is NaN
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), step));
  }
  for (; i < n; i++) {
    f32 step = x[i] != x[i] ? x[i] : (x[i] > 0.f ? 1.f : 0.f);
    out[i] = dy[i] * step;
  }
}

// Tanh's gradient from its output y, tf.js's (1 - y²) · dy.
void tanh_grad(const f32* y, const f32* dy, f32* out, int n) {
  v128_t one = wasm_f32x4_splat(1.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t yi = wasm_v128_load(y + i);
    v128_t g = wasm_f32x4_sub(one, wasm_f32x4_mul(yi, yi));
    wasm_v128_store(out + i, wasm_f32x4_mul(g, wasm_v128_load(dy + i)));
  }
  for (; i < n; i++) out[i] = (1.f - y[i] * y[i]) * dy[i];
}

// tanh, in SIMD. tf.js-wasm calls libc's scalar tanhf per element, the slowest kernel left in a
// step. Within 2 ulp of the exact value (tests/kernels_test.ts measures it):
//   |x| < 0.5:  the Taylor series to x^15 (relative error below 1.2e-7 there);
//   |x| ≥ 0.5:  (1 - e) / (1 + e) with e = exp(-2|x|) (no cancellation: e ≤ 0.37), and exp as in
//               Cephes' expf: 2^n · e^r, |r| ≤ ln2/2, a degree-7 polynomial for e^r.

static v128_t exp_neg(v128_t x) {  // e^x for x ≤ 0
  v128_t lo = wasm_f32x4_splat(-87.3f);
  x = wasm_f32x4_max(x, lo);
  v128_t fx = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)),
                                              wasm_f32x4_splat(0.5f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(r, r);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), r), wasm_f32x4_splat(1.f));
  v128_t n = wasm_i32x4_trunc_sat_f32x4(fx);
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, scale);
}

static v128_t tanh4(v128_t x) {
  v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  v128_t ax = wasm_f32x4_abs(x);
  // Series: x + x³·(c3 + x²·(c5 + …)).
  v128_t x2 = wasm_f32x4_mul(ax, ax);
  v128_t p = wasm_f32x4_splat(-1.45583438705e-3f);                            // -929569/638512875
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(3.59212803657e-3f));   // 21844/6081075
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-8.86323552990e-3f));  // -1382/155925
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(2.18694885362e-2f));   // 62/2835
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-5.39682539683e-2f));  // -17/315
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(1.33333333333e-1f));   // 2/15
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-3.33333333333e-1f));  // -1/3
  v128_t small = wasm_f32x4_add(ax, wasm_f32x4_mul(wasm_f32x4_mul(ax, x2), p));
  v128_t e = exp_neg(wasm_f32x4_mul(ax, wasm_f32x4_splat(-2.f)));
  v128_t one = wasm_f32x4_splat(1.f);
  v128_t large = wasm_f32x4_div(wasm_f32x4_sub(one, e), wasm_f32x4_add(one, e));
  v128_t t = wasm_v128_bitselect(small, large, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.5f)));
  return wasm_v128_or(t, sign);
}

void tanh_f32(const f32* x, f32* out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, tanh4(wasm_v128_load(x + i)));
  for (; i < n; i++) out[i] = wasm_f32x4_extract_lane(tanh4(wasm_f32x4_splat(x[i])), 0);
}

// Relu, max(x, 0) (an unfused Relu: after a BatchNorm).
void relu(const f32* x, f32* out, int n) {
  v128_t zero = wasm_f32x4_splat(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_v128_and(xi, wasm_f32x4_gt(xi, zero)));
  }
  for (; i < n; i++) out[i] = x[i] > 0.f ? x[i] : 0.f;
}

// LeakyRelu, tf.js's x < 0 ? alpha·x : x.
void leaky_relu(const f32* x, f32* out, int n, f32 alpha_f) {
  v128_t zero = wasm_f32x4_splat(0.f), alpha = wasm_f32x4_splat(alpha_f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_v128_bitselect(wasm_f32x4_mul(xi, alpha), xi, wasm_f32x4_lt(xi, zero)));
  }
  for (; i < n; i++) out[i] = x[i] < 0.f ? alpha_f * x[i] : x[i];
}

