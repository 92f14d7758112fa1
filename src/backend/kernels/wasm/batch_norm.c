// BatchNorm in training mode over the rows of x (rows × cols, one column per feature), in one
// pass each way where tf.js composes moments, a FusedBatchNorm and their gradients (about forty
// kernels per layer and step).

#include <wasm_simd128.h>

#include "abi.h"

// Per column: mean and biased variance over the rows (as tf.moments), then
// y = (x - mean) / sqrt(var + eps) · gamma + beta.
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

