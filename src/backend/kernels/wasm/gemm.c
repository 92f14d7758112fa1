// Matrix multiply for every transpose case, with a bias and activation epilogue: A and B packed
// into panels, an MR×NR micro-kernel in eight v128 registers, and blocks sized for L1 and L2.
//
// It is also the convolution (implicit GEMM): where `conv` says so, A is a convolution's im2col
// (every receptive field of an NHWC image as one row), read straight from the image as it is
// packed, or C is an im2col whose entries are added back into an image (col2im) as they are
// stored, so no cols buffer is written or read. The convolution's table (abi.h's CV_*: its shape,
// then per output position and per field entry where it reads) says where each entry lies.

#include <wasm_simd128.h>

#include "abi.h"

#define MR 4     // rows of C per micro-tile
#define NR 8     // columns of C per micro-tile (two v128)
#define KC 512   // most depth per block: the packed B panel (16 KB) stays in L1
#define MC 64    // most rows per block: the packed A block (≤ 128 KB) stays in L2

// ---------------------------------------------------------------------------------------------
// A convolution's im2col entry (r, f): output position r = (b, oy, ox), field entry f = (ky, kx,
// c). The table holds per position its first input row and column (oy·sh − padTop, ox·sw −
// padLeft) and the offset of that pixel; per field entry its row and column offsets (ky·dh,
// kx·dw) and its offset from the position's pixel. The entry is image[pixel(r) + offset(f)], or 0
// where the field reaches into the padding.

typedef struct {
  const int* pos;    // 3 ints per output position: iy, ix, offset
  const int* field;  // 3 ints per field entry: dy, dx, offset
  int in_h, in_w, in_c;
} ConvTable;

static ConvTable conv_table(const int* t) {
  ConvTable c;
  c.in_h = t[CV_IN_H];
  c.in_w = t[CV_IN_W];
  c.in_c = t[CV_IN_C];
  c.pos = t + CV_TABLE;
  c.field = c.pos + 3 * t[CV_BATCH] * t[CV_OUT_H] * t[CV_OUT_W];
  return c;
}

// The offset of entry (r, f) in the image, or −1 in the padding.
static inline long conv_at(const ConvTable* c, int r, int f) {
  const int* p = c->pos + 3 * r;
  const int* q = c->field + 3 * f;
  int iy = p[0] + q[0], ix = p[1] + q[1];
  if ((unsigned)iy >= (unsigned)c->in_h || (unsigned)ix >= (unsigned)c->in_w) return -1;
  return (long)p[2] + q[2];
}

// Whether field entries f .. f+n−1 are one run of channels of one tap (consecutive in memory).
static inline int conv_run(const ConvTable* c, int f, int n) {
  const int* q = c->field + 3 * f;
  const int* e = q + 3 * (n - 1);
  return q[0] == e[0] && q[1] == e[1] && e[2] - q[2] == n - 1;
}

// out[0..3] = the 4×4 block a0..a3 (rows) transposed: out[k] holds lane k of each row.
static inline void store_transposed(f32* out, v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t0 = wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7);
  v128_t t2 = wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7);
  wasm_v128_store(out, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
  wasm_v128_store(out + MR, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
  wasm_v128_store(out + 2 * MR, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
  wasm_v128_store(out + 3 * MR, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
}

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
  int k = 0;
  if (!trans_a && h == MR) {
    // Four rows, four k at a time: a 4×4 block transposed.
    const f32* r0 = a + (long)i0 * lda + k0;
    for (; k + 4 <= kc; k += 4) {
      store_transposed(out + k * MR, wasm_v128_load(r0 + k), wasm_v128_load(r0 + lda + k),
                       wasm_v128_load(r0 + 2 * lda + k), wasm_v128_load(r0 + 3 * lda + k));
    }
  }
  for (; k < kc; k++) {
    for (int i = 0; i < MR; i++) {
      f32 v = 0.f;
      if (i < h) v = trans_a ? a[(long)(k0 + k) * lda + i0 + i] : a[(long)(i0 + i) * lda + k0 + k];
      out[k * MR + i] = v;
    }
  }
}

// pack_a for A = im2col(x) (M positions × K field entries): rows [i0, i0+MR) are positions. The
// depth is walked a tap at a time: within a tap the entries are consecutive channels, read from
// each position's pixel (or zeros in the padding), four channels at a time where there are four.
static void pack_a_cols(const f32* x, const ConvTable* t, int m, int i0, int k0, int kc, f32* out) {
  int h = m - i0;
  if (h > MR) h = MR;
  v128_t zero = wasm_f32x4_splat(0.f);
  for (int k = 0; k < kc;) {
    int f = k0 + k;
    // The run of channels of f's tap from f on.
    int run = t->in_c - (t->field[3 * f + 2] - t->field[3 * (f - f % t->in_c) + 2]);
    if (run > kc - k) run = kc - k;
    long p0 = conv_at(t, i0, f);
    long p1 = h > 1 ? conv_at(t, i0 + 1, f) : -1;
    long p2 = h > 2 ? conv_at(t, i0 + 2, f) : -1;
    long p3 = h > 3 ? conv_at(t, i0 + 3, f) : -1;
    f32* o = out + k * MR;
    int c = 0;
    for (; c + 4 <= run; c += 4, o += 4 * MR) {
      store_transposed(o, p0 < 0 ? zero : wasm_v128_load(x + p0 + c),
                       p1 < 0 ? zero : wasm_v128_load(x + p1 + c),
                       p2 < 0 ? zero : wasm_v128_load(x + p2 + c),
                       p3 < 0 ? zero : wasm_v128_load(x + p3 + c));
    }
    for (; c < run; c++, o += MR) {
      o[0] = p0 < 0 ? 0.f : x[p0 + c];
      o[1] = p1 < 0 ? 0.f : x[p1 + c];
      o[2] = p2 < 0 ? 0.f : x[p2 + c];
      o[3] = p3 < 0 ? 0.f : x[p3 + c];
    }
    k += run;
  }
}

// pack_a for A = im2col(x)ᵀ (M field entries × K positions): rows [i0, i0+MR) are field entries,
// each position one load of four channels where the four entries are of one tap.
static void pack_a_cols_t(const f32* x, const ConvTable* t, int m, int i0, int k0, int kc,
                          f32* out) {
  int h = m - i0;
  if (h > MR) h = MR;
  if (h == MR && conv_run(t, i0, MR)) {
    v128_t zero = wasm_f32x4_splat(0.f);
    for (int k = 0; k < kc; k++) {
      long p = conv_at(t, k0 + k, i0);
      wasm_v128_store(out + k * MR, p < 0 ? zero : wasm_v128_load(x + p));
    }
    return;
  }
  // Entries of different taps (or past M): each its own offsets, read once.
  for (int i = 0; i < MR; i++) {
    const int* q = t->field + 3 * (i < h ? i0 + i : i0);
    int fy = q[0], fx = q[1], off = q[2];
    for (int k = 0; k < kc; k++) {
      const int* p = t->pos + 3 * (k0 + k);
      int iy = p[0] + fy, ix = p[1] + fx;
      int inside = i < h && (unsigned)iy < (unsigned)t->in_h && (unsigned)ix < (unsigned)t->in_w;
      out[k * MR + i] = inside ? x[(long)p[2] + off] : 0.f;
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
// Epilogue activations (tf.js's fused activations that need no exp; codes ACT_* from abi.h).

static v128_t activate(v128_t v, int act, v128_t alpha) {
  v128_t zero = wasm_f32x4_splat(0.f);
  switch (act) {
    case ACT_RELU:
      return wasm_f32x4_max(v, zero);
    case ACT_RELU6:
      return wasm_f32x4_min(wasm_f32x4_max(v, zero), wasm_f32x4_splat(6.f));
    case ACT_LEAKYRELU:
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

// Adds rows [i0, i0+h) × columns [j0, j0+w) of a tile of C = im2col(dx) (M positions × N field
// entries) back into the image dx, where im2col reads them.
static void store_tile_col2im(const f32* tile, f32* dx, const ConvTable* t, int i0, int j0, int h,
                              int w) {
  int run = w == NR && conv_run(t, j0, NR);
  for (int i = 0; i < h; i++) {
    const f32* v = tile + i * NR;
    if (run) {
      long p = conv_at(t, i0 + i, j0);
      if (p < 0) continue;
      f32* out = dx + p;
      wasm_v128_store(out, wasm_f32x4_add(wasm_v128_load(out), wasm_v128_load(v)));
      wasm_v128_store(out + 4, wasm_f32x4_add(wasm_v128_load(out + 4), wasm_v128_load(v + 4)));
      continue;
    }
    for (int j = 0; j < w; j++) {
      long p = conv_at(t, i0 + i, j0 + j);
      if (p >= 0) dx[p] += v[j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// C[M×N] = act(op(A) · op(B) + bias), for rows [m0, m1) and columns [n0, n1) only, so that
// threads can share one product. n0 must be a multiple of NR (or the end).
// `scratch` holds gemm_scratch_floats(m1 - m0, n1 - n0) floats.
//
// `conv` (CONV_*): A is im2col(a) (CONV_COLS) or im2col(a)ᵀ (CONV_COLS_T), read through the
// convolution's `table`; or C is im2col(c) (CONV_COL2IM): each entry is added into the image c
// (zeroed by the caller), no bias or activation. Blocks of rows start at multiples of MC whatever
// m0 is, so that every pixel of c receives its sums in one order, on one thread or two (threads
// must then split the rows between images).

int gemm_scratch_floats(int rows, int cols) {
  int panels = (rows + MR - 1) / MR;
  if (panels > MC / MR) panels = MC / MR;
  // More than one block of rows: B is packed once per depth block for all of them.
  int b_floats = rows > MC ? KC * ((cols + NR - 1) / NR) * NR : KC * NR;
  return panels * MR * KC + b_floats + MR * NR;
}

void gemm(const f32* a, const f32* b, f32* c, int m, int n, int k, int trans_a, int trans_b,
          const f32* bias, int act, f32 alpha, int m0, int m1, int n0, int n1, f32* scratch,
          int conv, const int* table) {
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
  ConvTable t;
  if (conv != CONV_NONE) t = conv_table(table);
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
    for (int b0 = m0, b1; b0 < m1; b0 = b1) {
      b1 = (b0 / MC + 1) * MC < m1 ? (b0 / MC + 1) * MC : m1;
      int panels = (b1 - b0 + MR - 1) / MR;
      for (int p = 0; p < panels; p++) {
        f32* ap = apack + p * MR * KC;
        int i0 = b0 + p * MR;
        if (conv == CONV_COLS) pack_a_cols(a, &t, m, i0, k0, kc, ap);
        else if (conv == CONV_COLS_T) pack_a_cols_t(a, &t, m, i0, k0, kc, ap);
        else pack_a(a, trans_a, lda, m, i0, k0, kc, ap);
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
          if (conv == CONV_COL2IM) store_tile_col2im(tile, c, &t, i0, j0, h, w);
          else store_tile(tile, c, n, i0, j0, h, w, k0 > 0, last, bias, act, alpha);
        }
      }
    }
    k0 += kc;
  } while (k0 < k);
}

