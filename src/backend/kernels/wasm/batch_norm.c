// BatchNorm in training mode over the rows of x (rows × cols, one column per feature), in one
// pass each way where tf.js composes moments, a FusedBatchNorm and their gradients (about forty
// kernels per layer and step).
//
// Every pass walks the rows in order, all columns of a row at a time (a convolution's feature
// maps have thousands of rows of a few dozen channels: walking a column at a time would stride
// through memory), with per-column sums kept in the outputs; each column's sums still add the
// rows in order, as tf.moments does. Per-column factors live in the first rows of the output
// until those rows are written last.

#include <wasm_simd128.h>

#include "abi.h"

// acc[j] += x[i][j] (or (x[i][j] − mu[j])² with `mu`) for all rows i, in order; acc zeroed first.
static void column_sums(const f32* x, const f32* mu, f32* acc, int rows, int cols) {
  for (int j = 0; j < cols; j++) acc[j] = 0.f;
  for (int i = 0; i < rows; i++) {
    const f32* row = x + (long)i * cols;
    int j = 0;
    if (mu) {
      for (; j + 4 <= cols; j += 4) {
        v128_t d = wasm_f32x4_sub(wasm_v128_load(row + j), wasm_v128_load(mu + j));
        wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_f32x4_mul(d, d)));
      }
      for (; j < cols; j++) {
        f32 d = row[j] - mu[j];
        acc[j] += d * d;
      }
    } else {
      for (; j + 4 <= cols; j += 4) {
        wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_v128_load(row + j)));
      }
      for (; j < cols; j++) acc[j] += row[j];
    }
  }
}

// Per column: mean and biased variance over the rows (as tf.moments), then
// y = (x - mean) / sqrt(var + eps) · gamma + beta.
void batch_norm_train(const f32* x, const f32* gamma, const f32* beta, f32* y, f32* mean,
                      f32* var, int rows, int cols, f32 eps_f) {
  const f32 inv_rows = 1.f / (f32)rows;
  column_sums(x, 0, mean, rows, cols);
  for (int j = 0; j < cols; j++) mean[j] *= inv_rows;
  column_sums(x, mean, var, rows, cols);
  for (int j = 0; j < cols; j++) var[j] *= inv_rows;
  // g = gamma / sqrt(var + eps), kept in y's first row, which is written last.
  f32* g = y;
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t inv_std = wasm_f32x4_div(
        wasm_f32x4_splat(1.f),
        wasm_f32x4_sqrt(wasm_f32x4_add(wasm_v128_load(var + j), wasm_f32x4_splat(eps_f))));
    wasm_v128_store(g + j, wasm_f32x4_mul(wasm_v128_load(gamma + j), inv_std));
  }
  for (; j < cols; j++) g[j] = gamma[j] * (1.f / __builtin_sqrtf(var[j] + eps_f));
  for (int i = rows - 1; i >= 0; i--) {
    const f32* in = x + (long)i * cols;
    f32* out = y + (long)i * cols;
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(in + j), wasm_v128_load(mean + j));
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_f32x4_mul(d, wasm_v128_load(g + j)),
                                              wasm_v128_load(beta + j)));
    }
    for (; j < cols; j++) out[j] = (in[j] - mean[j]) * g[j] + beta[j];
  }
}

// dx for one row: k · (n·dy − dbeta − x̂·dgamma), x̂ = (x − mean)·r; one column group.
#define BN_DX(xv, dv, mu, r, k, n, sd, sdx)                                                   \
  wasm_f32x4_mul(k, wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(n, dv), sd),                 \
                                   wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_sub(xv, mu), r), sdx)))

// The gradient of batch_norm_train (through the batch mean and variance too):
// x̂ = (x - mean)·r with r = 1/sqrt(var + eps); dbeta = Σ dy; dgamma = Σ dy·x̂;
// dx = gamma·r/rows · (rows·dy - dbeta - x̂·dgamma).
void batch_norm_train_grad(const f32* x, const f32* dy, const f32* gamma, const f32* mean,
                           const f32* var, f32* dx, f32* dgamma, f32* dbeta, int rows, int cols,
                           f32 eps_f) {
  const f32 n = (f32)rows;
  // r in dx's first row, k = gamma·r/rows in its second (when there is one): written last.
  f32* r = dx;
  f32* k = rows > 1 ? dx + cols : 0;
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t rv = wasm_f32x4_div(
        wasm_f32x4_splat(1.f),
        wasm_f32x4_sqrt(wasm_f32x4_add(wasm_v128_load(var + j), wasm_f32x4_splat(eps_f))));
    wasm_v128_store(r + j, rv);
  }
  for (; j < cols; j++) r[j] = 1.f / __builtin_sqrtf(var[j] + eps_f);
  for (j = 0; j < cols; j++) dbeta[j] = dgamma[j] = 0.f;
  for (int i = 0; i < rows; i++) {
    const f32* xi = x + (long)i * cols;
    const f32* di = dy + (long)i * cols;
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t d = wasm_v128_load(di + j);
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xi + j), wasm_v128_load(mean + j)),
                                 wasm_v128_load(r + j));
      wasm_v128_store(dbeta + j, wasm_f32x4_add(wasm_v128_load(dbeta + j), d));
      wasm_v128_store(dgamma + j, wasm_f32x4_add(wasm_v128_load(dgamma + j), wasm_f32x4_mul(d, xh)));
    }
    for (; j < cols; j++) {
      f32 d = di[j];
      dbeta[j] += d;
      dgamma[j] += d * (xi[j] - mean[j]) * r[j];
    }
  }
  v128_t nv = wasm_f32x4_splat(n);
  if (k) {
    for (j = 0; j + 4 <= cols; j += 4) {
      wasm_v128_store(k + j, wasm_f32x4_div(wasm_f32x4_mul(wasm_v128_load(gamma + j),
                                                           wasm_v128_load(r + j)), nv));
    }
    for (; j < cols; j++) k[j] = gamma[j] * r[j] / n;
  }
  for (int i = rows - 1; i >= 0; i--) {
    const f32* xi = x + (long)i * cols;
    const f32* di = dy + (long)i * cols;
    f32* out = dx + (long)i * cols;
    if (i == 1) {
      // Rows 1 and 0 together: they hold k and r.
      for (j = 0; j + 4 <= cols; j += 4) {
        v128_t rv = wasm_v128_load(r + j), kv = wasm_v128_load(k + j), mu = wasm_v128_load(mean + j);
        v128_t sd = wasm_v128_load(dbeta + j), sdx = wasm_v128_load(dgamma + j);
        v128_t d1 = BN_DX(wasm_v128_load(xi + j), wasm_v128_load(di + j), mu, rv, kv, nv, sd, sdx);
        v128_t d0 = BN_DX(wasm_v128_load(x + j), wasm_v128_load(dy + j), mu, rv, kv, nv, sd, sdx);
        wasm_v128_store(out + j, d1);
        wasm_v128_store(dx + j, d0);
      }
      for (; j < cols; j++) {
        f32 rj = r[j], kj = k[j], mu = mean[j], sd = dbeta[j], sdx = dgamma[j];
        out[j] = kj * (n * di[j] - sd - (xi[j] - mu) * rj * sdx);
        dx[j] = kj * (n * dy[j] - sd - (x[j] - mu) * rj * sdx);
      }
      break;
    }
    for (j = 0; j + 4 <= cols; j += 4) {
      v128_t rv = wasm_v128_load(r + j), mu = wasm_v128_load(mean + j);
      v128_t kv = k ? wasm_v128_load(k + j)
                    : wasm_f32x4_div(wasm_f32x4_mul(wasm_v128_load(gamma + j), rv), nv);
      wasm_v128_store(out + j, BN_DX(wasm_v128_load(xi + j), wasm_v128_load(di + j), mu, rv, kv, nv,
                                     wasm_v128_load(dbeta + j), wasm_v128_load(dgamma + j)));
    }
    for (; j < cols; j++) {
      f32 kj = k ? k[j] : gamma[j] * r[j] / n;
      out[j] = kj * (n * di[j] - dbeta[j] - (xi[j] - mean[j]) * r[j] * dgamma[j]);
    }
  }
}
