// Convolutions as products (NHWC images, HWIO filters): im2col lays every receptive field out as
// one row, so that a convolution is cols · filter, the gradient for the filter colsᵀ · dy, and
// the gradient for the input (also a transposed convolution's forward pass) dy · filterᵀ folded
// back by col2im. Row r = (b, oy, ox) of cols holds (ky, kx, c) in the filter's order.
//
// The shape of one convolution comes as an array of ints (fewer arguments to pass around):
// abi.h's CV_* index it.

#include <wasm_simd128.h>

#include "abi.h"

// cols[r][(ky·fw + kx)·inC + c] = x[b][oy·sh − padTop + ky·dh][ox·sw − padLeft + kx·dw][c], or 0
// outside the image; rows [r0, r1) only.
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

