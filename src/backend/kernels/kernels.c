// @gan/mnist's WASM SIMD kernels: matrix multiply for every transpose case (with a bias and
// activation epilogue) and a fused Adam update.
//
// Built by build.sh with Debian's clang + lld: `--target=wasm32 -msimd128`, no libc, and the
// memory imported. The functions touch no memory but the buffers they are given: no globals, no
// data segments, no stack (build.sh checks), so one instance can work directly on tf.js's own
// WASM heap, and copies of the module in workers can share one memory.
//
// Pointers are byte offsets into the imported memory. Matrices are row-major.

#include <wasm_simd128.h>

#define MR 4     // rows of C per micro-tile
#define NR 8     // columns of C per micro-tile (two v128)
#define KC 512   // most depth per block: the packed B panel (16 KB) stays in L1
#define MC 64    // most rows per block: the packed A block (≤ 128 KB) stays in L2

typedef float f32;

// ---------------------------------------------------------------------------------------------
// Packing. The micro-kernel reads A as MR values per k and B as NR values per k, contiguously.

// A panel for rows [i0, i0+MR) and depth [k0, k0+kc): out[k][i], zero-padded past M.
// A is M×K (lda = K), or K×M when transposed (lda = M).
static void pack_a(const f32* a, int trans_a, int lda, int m, int i0, int k0, int kc, f32* out) {
  int h = m - i0;
  if (h > MR) h = MR;
  if (trans_a && h == MR) {
    // A(i, k) = a[k·M + i]: four consecutive rows are four consecutive floats.
    for (int k = 0; k < kc; k++) {
      wasm_v128_store(out + k * MR, wasm_v128_load(a + (long)(k0 + k) * lda + i0));
    }
    return;
  }
  for (int k = 0; k < kc; k++) {
    for (int i = 0; i < MR; i++) {
      f32 v = 0.f;
      if (i < h) v = trans_a ? a[(long)(k0 + k) * lda + i0 + i] : a[(long)(i0 + i) * lda + k0 + k];
      out[k * MR + i] = v;
    }
  }
}

// B panel for columns [j0, j0+NR) and depth [k0, k0+kc): out[k][j], zero-padded past N.
// B is K×N (ldb = N), or N×K when transposed (ldb = K).
static void pack_b(const f32* b, int trans_b, int ldb, int n, int j0, int k0, int kc, f32* out) {
  int w = n - j0;
  if (w > NR) w = NR;
  if (!trans_b && w == NR) {
    for (int k = 0; k < kc; k++) {
      const f32* row = b + (long)(k0 + k) * ldb + j0;
      wasm_v128_store(out + k * NR, wasm_v128_load(row));
      wasm_v128_store(out + k * NR + 4, wasm_v128_load(row + 4));
    }
    return;
  }
  if (trans_b) {
    // B(k, j) = b[j·K + k]: read each column's run of k in order.
    for (int j = 0; j < NR; j++) {
      const f32* col = b + (long)(j0 + j) * ldb + k0;
      if (j < w) {
        for (int k = 0; k < kc; k++) out[k * NR + j] = col[k];
      } else {
        for (int k = 0; k < kc; k++) out[k * NR + j] = 0.f;
      }
    }
    return;
  }
  for (int k = 0; k < kc; k++) {
    const f32* row = b + (long)(k0 + k) * ldb + j0;
    for (int j = 0; j < NR; j++) out[k * NR + j] = j < w ? row[j] : 0.f;
  }
}

// ---------------------------------------------------------------------------------------------
// The micro-kernel: an MR×NR tile of C over depth kc, kept in eight v128 registers.
// mul + add rather than FMA: WASM SIMD has no fused multiply-add, and the results then round
// exactly as a plain loop does.

#define MADD(c, x, y) c = wasm_f32x4_add(c, wasm_f32x4_mul(x, y))
// Row r's A value broadcast from the 4 packed in `av` (a shuffle measures faster than 4 splat
// loads in V8: ~35 against ~28 GFLOPS on the 2-core test machine).
#define ROW(r)                                   \
  x = wasm_i32x4_shuffle(av, av, r, r, r, r);    \
  MADD(c##r##0, x, b0);                          \
  MADD(c##r##1, x, b1);

#ifdef GAN_RELAXED_SIMD
// The same tile with fused multiply-adds: hand-written in micro_kernel.wat (relaxed SIMD).
void micro_kernel_fma(const f32* ap, const f32* bp, int kc, f32* tile);
#define MICRO_KERNEL micro_kernel_fma
#else
#define MICRO_KERNEL micro_kernel
#endif

// tile[MR][NR] = Apanel · Bpanel over depth kc
__attribute__((unused)) static void micro_kernel(const f32* ap, const f32* bp, int kc, f32* tile) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.f);
  for (int k = 0; k < kc; k++, ap += MR, bp += NR) {
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4), av = wasm_v128_load(ap), x;
    ROW(0) ROW(1) ROW(2) ROW(3)
  }
  wasm_v128_store(tile + 0, c00), wasm_v128_store(tile + 4, c01);
  wasm_v128_store(tile + 8, c10), wasm_v128_store(tile + 12, c11);
  wasm_v128_store(tile + 16, c20), wasm_v128_store(tile + 20, c21);
  wasm_v128_store(tile + 24, c30), wasm_v128_store(tile + 28, c31);
}

// ---------------------------------------------------------------------------------------------
// Epilogue activations (tf.js's fused activations that need no exp).

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY_RELU = 3 };

static v128_t activate(v128_t v, int act, v128_t alpha) {
  v128_t zero = wasm_f32x4_splat(0.f);
  switch (act) {
    case ACT_RELU:
      return wasm_f32x4_max(v, zero);
    case ACT_RELU6:
      return wasm_f32x4_min(wasm_f32x4_max(v, zero), wasm_f32x4_splat(6.f));
    case ACT_LEAKY_RELU:
      return wasm_v128_bitselect(v, wasm_f32x4_mul(v, alpha), wasm_f32x4_gt(v, zero));
    default:
      return v;
  }
}

// Writes rows [i0, i0+h) × columns [j0, j0+w) of a tile to C, adding to what C holds when
// `accumulate` (a later block of K), and adding the bias and applying the activation when `last`.
static void store_tile(const f32* tile, f32* c, int ldc, int i0, int j0, int h, int w,
                       int accumulate, int last, const f32* bias, int act, f32 alpha_f) {
  v128_t alpha = wasm_f32x4_splat(alpha_f);
  v128_t bias0 = wasm_f32x4_splat(0.f), bias1 = bias0;
  int with_bias = last && bias;
  if (with_bias && w == NR) {
    bias0 = wasm_v128_load(bias + j0);
    bias1 = wasm_v128_load(bias + j0 + 4);
  }
  if (!last) act = ACT_LINEAR;
  for (int i = 0; i < h; i++) {
    f32* out = c + (long)(i0 + i) * ldc + j0;
    const f32* t = tile + i * NR;
    if (w == NR) {
      v128_t lo = wasm_v128_load(t), hi = wasm_v128_load(t + 4);
      if (accumulate) {
        lo = wasm_f32x4_add(wasm_v128_load(out), lo);
        hi = wasm_f32x4_add(wasm_v128_load(out + 4), hi);
      }
      if (with_bias) {
        lo = wasm_f32x4_add(lo, bias0);
        hi = wasm_f32x4_add(hi, bias1);
      }
      wasm_v128_store(out, activate(lo, act, alpha));
      wasm_v128_store(out + 4, activate(hi, act, alpha));
    } else {
      for (int j = 0; j < w; j++) {
        f32 v = t[j];
        if (accumulate) v = out[j] + v;
        if (with_bias) v = v + bias[j0 + j];
        out[j] = wasm_f32x4_extract_lane(activate(wasm_f32x4_splat(v), act, alpha), 0);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// C[M×N] = act(op(A) · op(B) + bias), for rows [m0, m1) and columns [n0, n1) only, so that
// threads can share one product. m0 must be a multiple of MR and n0 of NR (or the end).
// `scratch` holds gemm_scratch_floats(m1 - m0, n1 - n0) floats.

__attribute__((export_name("gemm_scratch_floats")))
int gemm_scratch_floats(int rows, int cols) {
  int panels = (rows + MR - 1) / MR;
  if (panels > MC / MR) panels = MC / MR;
  // More than one block of rows: B is packed once per depth block for all of them.
  int b_floats = rows > MC ? KC * ((cols + NR - 1) / NR) * NR : KC * NR;
  return panels * MR * KC + b_floats + MR * NR;
}

__attribute__((export_name("gemm")))
void gemm(const f32* a, const f32* b, f32* c, int m, int n, int k, int trans_a, int trans_b,
          const f32* bias, int act, f32 alpha, int m0, int m1, int n0, int n1, f32* scratch) {
  if (m1 > m) m1 = m;
  if (n1 > n) n1 = n;
  if (m0 >= m1 || n0 >= n1) return;
  int col_blocks = (n1 - n0 + NR - 1) / NR;
  int block_panels = (m1 - m0 + MR - 1) / MR;
  if (block_panels > MC / MR) block_panels = MC / MR;
  // With several blocks of rows (a convolution's thousands), B is packed once per depth block
  // for all of them rather than again for each (a transposed B packs value by value).
  int shared_b = m1 - m0 > MC;
  f32* apack = scratch;
  f32* bpack = apack + block_panels * MR * KC;
  f32* tile = bpack + (shared_b ? KC * col_blocks * NR : KC * NR);
  int lda = trans_a ? m : k;
  int ldb = trans_b ? k : n;
  // Equal blocks no deeper than KC (784 = 2 × 392, not 512 + 272).
  int blocks = (k + KC - 1) / KC;
  int depth = blocks > 0 ? (k + blocks - 1) / blocks : 0;
  int k0 = 0;
  do {
    int kc = k - k0 < depth ? k - k0 : depth;
    int last = k0 + kc >= k;
    if (shared_b) {
      for (int q = 0; q < col_blocks; q++) {
        pack_b(b, trans_b, ldb, n, n0 + q * NR, k0, kc, bpack + (long)q * kc * NR);
      }
    }
    // Blocks of at most MC rows: a block's packed A stays in L2 while every column block of B
    // passes it (one block for the MLPs' batch of 64; 49 for a DCGAN convolution's 3,136 rows).
    for (int b0 = m0; b0 < m1; b0 += MC) {
      int b1 = b0 + MC < m1 ? b0 + MC : m1;
      int panels = (b1 - b0 + MR - 1) / MR;
      for (int p = 0; p < panels; p++) {
        pack_a(a, trans_a, lda, m, b0 + p * MR, k0, kc, apack + p * MR * KC);
      }
      for (int q = 0; q < col_blocks; q++) {
        int j0 = n0 + q * NR;
        int w = n1 - j0 < NR ? n1 - j0 : NR;
        const f32* bp = bpack + (long)q * kc * NR;
        if (!shared_b) {
          bp = bpack;
          pack_b(b, trans_b, ldb, n, j0, k0, kc, bpack);
        }
        for (int p = 0; p < panels; p++) {
          int i0 = b0 + p * MR;
          int h = b1 - i0 < MR ? b1 - i0 : MR;
          MICRO_KERNEL(apack + p * MR * KC, bp, kc, tile);
          store_tile(tile, c, n, i0, j0, h, w, k0 > 0, last, bias, act, alpha);
        }
      }
    }
    k0 += kc;
  } while (k0 < k);
}

// ---------------------------------------------------------------------------------------------
// Adam, fused: one pass over a variable instead of ~10 tf.js ops. The arithmetic follows
// tf.js's AdamOptimizer operation for operation, in float32, so the results are the same:
//   m' = m·β1 + g·(1-β1);  v' = v·β2 + g²·(1-β2)
//   x' = (m' / (1-β1^t)) / (sqrt(v' / (1-β2^t)) + ε) · (-lr) + x

__attribute__((export_name("adam")))
void adam(const f32* x, const f32* g, const f32* m, const f32* v, f32* x_out, f32* m_out,
          f32* v_out, int n, f32 lr, f32 beta1, f32 beta2, f32 one_minus_beta1,
          f32 one_minus_beta2, f32 one_minus_acc_beta1, f32 one_minus_acc_beta2, f32 epsilon) {
  v128_t b1 = wasm_f32x4_splat(beta1), b2 = wasm_f32x4_splat(beta2);
  v128_t ob1 = wasm_f32x4_splat(one_minus_beta1), ob2 = wasm_f32x4_splat(one_minus_beta2);
  v128_t oa1 = wasm_f32x4_splat(one_minus_acc_beta1), oa2 = wasm_f32x4_splat(one_minus_acc_beta2);
  v128_t eps = wasm_f32x4_splat(epsilon), neg_lr = wasm_f32x4_splat(-lr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(gi, ob1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2),
                               wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), ob2));
    v128_t step = wasm_f32x4_div(wasm_f32x4_div(mi, oa1),
                                 wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, oa2)), eps));
    wasm_v128_store(x_out + i, wasm_f32x4_add(wasm_f32x4_mul(step, neg_lr), wasm_v128_load(x + i)));
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
  }
  for (; i < n; i++) {
    f32 gi = g[i];
    f32 mi = m[i] * beta1 + gi * one_minus_beta1;
    f32 vi = v[i] * beta2 + (gi * gi) * one_minus_beta2;
    v128_t s = wasm_f32x4_sqrt(wasm_f32x4_splat(vi / one_minus_acc_beta2));
    f32 step = (mi / one_minus_acc_beta1) / (wasm_f32x4_extract_lane(s, 0) + epsilon);
    x_out[i] = step * -lr + x[i];
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise and reduction kernels for the rest of a training step. Each follows the tf.js
// operations it replaces operation for operation, in float32, so the results are the same.

// out = a + b (same shapes).
__attribute__((export_name("add")))
void add(const f32* a, const f32* b, f32* out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  }
  for (; i < n; i++) out[i] = a[i] + b[i];
}

// out[j] = Σ_i x[i·cols + j], summed in order of i (as tf.js's Sum over the leading axes).
__attribute__((export_name("sum_rows")))
void sum_rows(const f32* x, f32* out, int rows, int cols) {
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t s = wasm_f32x4_splat(0.f);
    for (int i = 0; i < rows; i++) s = wasm_f32x4_add(s, wasm_v128_load(x + (long)i * cols + j));
    wasm_v128_store(out + j, s);
  }
  for (; j < cols; j++) {
    f32 s = 0.f;
    for (int i = 0; i < rows; i++) s += x[(long)i * cols + j];
    out[j] = s;
  }
}

// LeakyRelu's gradient, tf.js's where(x > 0, dy, dy·alpha).
__attribute__((export_name("leaky_relu_grad")))
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
__attribute__((export_name("relu_grad")))
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
__attribute__((export_name("tanh_grad")))
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

__attribute__((export_name("tanh_f32")))
void tanh_f32(const f32* x, f32* out, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, tanh4(wasm_v128_load(x + i)));
  for (; i < n; i++) out[i] = wasm_f32x4_extract_lane(tanh4(wasm_f32x4_splat(x[i])), 0);
}

// Relu, max(x, 0) (an unfused Relu: after a BatchNorm).
__attribute__((export_name("relu")))
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
__attribute__((export_name("leaky_relu")))
void leaky_relu(const f32* x, f32* out, int n, f32 alpha_f) {
  v128_t zero = wasm_f32x4_splat(0.f), alpha = wasm_f32x4_splat(alpha_f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    wasm_v128_store(out + i, wasm_v128_bitselect(wasm_f32x4_mul(xi, alpha), xi, wasm_f32x4_lt(xi, zero)));
  }
  for (; i < n; i++) out[i] = x[i] < 0.f ? alpha_f * x[i] : x[i];
}

// ---------------------------------------------------------------------------------------------
// BatchNorm in training mode over the rows of x (rows × cols, one column per feature), in one
// pass each way where tf.js composes moments, a FusedBatchNorm and their gradients (about forty
// kernels per layer and step).

// Per column: mean and biased variance over the rows (as tf.moments), then
// y = (x - mean) / sqrt(var + eps) · gamma + beta.
__attribute__((export_name("batch_norm_train")))
void batch_norm_train(const f32* x, const f32* gamma, const f32* beta, f32* y, f32* mean,
                      f32* var, int rows, int cols, f32 eps_f) {
  const f32 inv_rows = 1.f / (f32)rows;
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t s = wasm_f32x4_splat(0.f);
    for (int i = 0; i < rows; i++) s = wasm_f32x4_add(s, wasm_v128_load(x + (long)i * cols + j));
    v128_t mu = wasm_f32x4_mul(s, wasm_f32x4_splat(inv_rows));
    v128_t q = wasm_f32x4_splat(0.f);
    for (int i = 0; i < rows; i++) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (long)i * cols + j), mu);
      q = wasm_f32x4_add(q, wasm_f32x4_mul(d, d));
    }
    v128_t v = wasm_f32x4_mul(q, wasm_f32x4_splat(inv_rows));
    wasm_v128_store(mean + j, mu);
    wasm_v128_store(var + j, v);
    v128_t inv_std = wasm_f32x4_div(wasm_f32x4_splat(1.f),
                                    wasm_f32x4_sqrt(wasm_f32x4_add(v, wasm_f32x4_splat(eps_f))));
    v128_t g = wasm_f32x4_mul(wasm_v128_load(gamma + j), inv_std), b = wasm_v128_load(beta + j);
    for (int i = 0; i < rows; i++) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (long)i * cols + j), mu);
      wasm_v128_store(y + (long)i * cols + j, wasm_f32x4_add(wasm_f32x4_mul(d, g), b));
    }
  }
  for (; j < cols; j++) {
    f32 s = 0.f, q = 0.f;
    for (int i = 0; i < rows; i++) s += x[(long)i * cols + j];
    f32 mu = s * inv_rows;
    for (int i = 0; i < rows; i++) {
      f32 d = x[(long)i * cols + j] - mu;
      q += d * d;
    }
    f32 v = q * inv_rows;
    mean[j] = mu, var[j] = v;
    f32 g = gamma[j] * (1.f / __builtin_sqrtf(v + eps_f));
    for (int i = 0; i < rows; i++) y[(long)i * cols + j] = (x[(long)i * cols + j] - mu) * g + beta[j];
  }
}

// The gradient of batch_norm_train (through the batch mean and variance too):
// x̂ = (x - mean)·r with r = 1/sqrt(var + eps); dbeta = Σ dy; dgamma = Σ dy·x̂;
// dx = gamma·r/rows · (rows·dy - dbeta - x̂·dgamma).
__attribute__((export_name("batch_norm_train_grad")))
void batch_norm_train_grad(const f32* x, const f32* dy, const f32* gamma, const f32* mean,
                           const f32* var, f32* dx, f32* dgamma, f32* dbeta, int rows, int cols,
                           f32 eps_f) {
  const f32 n = (f32)rows;
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t mu = wasm_v128_load(mean + j);
    v128_t r = wasm_f32x4_div(
        wasm_f32x4_splat(1.f),
        wasm_f32x4_sqrt(wasm_f32x4_add(wasm_v128_load(var + j), wasm_f32x4_splat(eps_f))));
    v128_t sd = wasm_f32x4_splat(0.f), sdx = wasm_f32x4_splat(0.f);
    for (int i = 0; i < rows; i++) {
      v128_t d = wasm_v128_load(dy + (long)i * cols + j);
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + (long)i * cols + j), mu), r);
      sd = wasm_f32x4_add(sd, d);
      sdx = wasm_f32x4_add(sdx, wasm_f32x4_mul(d, xh));
    }
    wasm_v128_store(dbeta + j, sd);
    wasm_v128_store(dgamma + j, sdx);
    v128_t k = wasm_f32x4_div(wasm_f32x4_mul(wasm_v128_load(gamma + j), r), wasm_f32x4_splat(n));
    v128_t nv = wasm_f32x4_splat(n);
    for (int i = 0; i < rows; i++) {
      v128_t d = wasm_v128_load(dy + (long)i * cols + j);
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + (long)i * cols + j), mu), r);
      v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(nv, d), sd), wasm_f32x4_mul(xh, sdx));
      wasm_v128_store(dx + (long)i * cols + j, wasm_f32x4_mul(k, t));
    }
  }
  for (; j < cols; j++) {
    f32 mu = mean[j], r = 1.f / __builtin_sqrtf(var[j] + eps_f), sd = 0.f, sdx = 0.f;
    for (int i = 0; i < rows; i++) {
      f32 d = dy[(long)i * cols + j];
      sd += d;
      sdx += d * (x[(long)i * cols + j] - mu) * r;
    }
    dbeta[j] = sd, dgamma[j] = sdx;
    f32 k = gamma[j] * r / n;
    for (int i = 0; i < rows; i++) {
      f32 xh = (x[(long)i * cols + j] - mu) * r;
      dx[(long)i * cols + j] = k * (n * dy[(long)i * cols + j] - sd - xh * sdx);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Convolutions as products (NHWC images, HWIO filters): im2col lays every receptive field out as
// one row, so that a convolution is cols · filter, the gradient for the filter colsᵀ · dy, and
// the gradient for the input (also a transposed convolution's forward pass) dy · filterᵀ folded
// back by col2im. Row r = (b, oy, ox) of cols holds (ky, kx, c) in the filter's order.

// The shape of one convolution, as an array of ints (fewer arguments to pass around).
enum {
  CV_BATCH, CV_IN_H, CV_IN_W, CV_IN_C, CV_OUT_H, CV_OUT_W, CV_F_H, CV_F_W,
  CV_STRIDE_H, CV_STRIDE_W, CV_PAD_TOP, CV_PAD_LEFT, CV_DIL_H, CV_DIL_W, CV_FIELDS
};

// cols[r][(ky·fw + kx)·inC + c] = x[b][oy·sh − padTop + ky·dh][ox·sw − padLeft + kx·dw][c], or 0
// outside the image; rows [r0, r1) only.
__attribute__((export_name("im2col")))
void im2col(const f32* x, f32* cols, const int* s, int r0, int r1) {
  int in_h = s[CV_IN_H], in_w = s[CV_IN_W], in_c = s[CV_IN_C], out_h = s[CV_OUT_H];
  int out_w = s[CV_OUT_W], f_h = s[CV_F_H], f_w = s[CV_F_W];
  long width = (long)f_h * f_w * in_c;
  for (int r = r0; r < r1; r++) {
    int b = r / (out_h * out_w), rest = r % (out_h * out_w), oy = rest / out_w, ox = rest % out_w;
    f32* row = cols + (long)r * width;
    for (int ky = 0; ky < f_h; ky++) {
      int iy = oy * s[CV_STRIDE_H] - s[CV_PAD_TOP] + ky * s[CV_DIL_H];
      for (int kx = 0; kx < f_w; kx++) {
        int ix = ox * s[CV_STRIDE_W] - s[CV_PAD_LEFT] + kx * s[CV_DIL_W];
        f32* out = row + (ky * f_w + kx) * in_c;
        if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
          for (int c = 0; c < in_c; c++) out[c] = 0.f;
          continue;
        }
        const f32* in = x + (((long)b * in_h + iy) * in_w + ix) * in_c;
        int c = 0;
        for (; c + 4 <= in_c; c += 4) wasm_v128_store(out + c, wasm_v128_load(in + c));
        for (; c < in_c; c++) out[c] = in[c];
      }
    }
  }
}

// The adjoint of im2col: dx = 0, then every entry of cols added back where im2col read it; the
// images [b0, b1) only (each image's rows touch only that image).
__attribute__((export_name("col2im")))
void col2im(const f32* cols, f32* dx, const int* s, int b0, int b1) {
  int in_h = s[CV_IN_H], in_w = s[CV_IN_W], in_c = s[CV_IN_C], out_h = s[CV_OUT_H];
  int out_w = s[CV_OUT_W], f_h = s[CV_F_H], f_w = s[CV_F_W];
  long width = (long)f_h * f_w * in_c;
  long image = (long)in_h * in_w * in_c;
  for (long i = b0 * image; i < b1 * image; i++) dx[i] = 0.f;
  for (int b = b0; b < b1; b++) {
    for (int oy = 0; oy < out_h; oy++) {
      for (int ox = 0; ox < out_w; ox++) {
        const f32* row = cols + (((long)b * out_h + oy) * out_w + ox) * width;
        for (int ky = 0; ky < f_h; ky++) {
          int iy = oy * s[CV_STRIDE_H] - s[CV_PAD_TOP] + ky * s[CV_DIL_H];
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < f_w; kx++) {
            int ix = ox * s[CV_STRIDE_W] - s[CV_PAD_LEFT] + kx * s[CV_DIL_W];
            if (ix < 0 || ix >= in_w) continue;
            const f32* in = row + (ky * f_w + kx) * in_c;
            f32* out = dx + (((long)b * in_h + iy) * in_w + ix) * in_c;
            int c = 0;
            for (; c + 4 <= in_c; c += 4) {
              wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_v128_load(in + c)));
            }
            for (; c < in_c; c++) out[c] += in[c];
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum (the gradient of a Gather, e.g. an Embedding): out = 0, then
// out[ids[i]] += x[i] for every row i of `inner` values; ids outside [0, segments) are dropped
// (as tf.js does).
__attribute__((export_name("segment_sum")))
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
