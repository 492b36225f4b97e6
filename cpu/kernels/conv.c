/*
 * im2col and col2im for NCHW convolutions (the layout of Backend.im2col in core/backend.ts),
 * so that a convolution runs as one GEMM. col2im gathers, for each input element, the column
 * entries that read it, summed in float64 in tap order: the reference's sum, with no scratch.
 */
#include "simd.h"

/* A sliding window in PyTorch's terms, field for field as in core/backend.ts's Window2d. */
typedef struct {
  int n, c, h, w, out_h, out_w, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
} Window;

/* Columns [c*kh*kw, n*outH*outW] of NCHW `x` into `out`, zeros where a tap reads padding. */
void im2col(const Window *win, const float *x, float *out) {
  int plane = win->out_h * win->out_w, width = win->n * plane;
  for (int ci = 0; ci < win->c; ci++)
    for (int i = 0; i < win->kh; i++)
      for (int j = 0; j < win->kw; j++) {
        float *row = out + ((ci * win->kh + i) * win->kw + j) * width;
        int dx = j * win->dil_w - win->pad_w;
        for (int b = 0; b < win->n; b++) {
          const float *src = x + (b * win->c + ci) * win->h * win->w;
          for (int oy = 0; oy < win->out_h; oy++) {
            float *dst = row + b * plane + oy * win->out_w;
            int iy = oy * win->stride_h - win->pad_h + i * win->dil_h;
            if (iy < 0 || iy >= win->h) {
              for (int ox = 0; ox < win->out_w; ox++) dst[ox] = 0.0f;
              continue;
            }
            const float *line = src + iy * win->w;
            if (win->stride_w == 1) {
              /* Contiguous taps: zeros, a run copied from the line, zeros. */
              int lo = dx < 0 ? -dx : 0, hi = win->w - dx;
              if (hi > win->out_w) hi = win->out_w;
              if (lo > win->out_w) lo = win->out_w;
              int ox = 0;
              for (; ox < lo; ox++) dst[ox] = 0.0f;
              for (; ox < hi; ox++) dst[ox] = line[ox + dx];
              for (; ox < win->out_w; ox++) dst[ox] = 0.0f;
              continue;
            }
            for (int ox = 0; ox < win->out_w; ox++) {
              int ix = ox * win->stride_w + dx;
              dst[ox] = ix >= 0 && ix < win->w ? line[ix] : 0.0f;
            }
          }
        }
      }
}

/* The adjoint of im2col: NCHW `out` where each element sums the column entries that read it. */
void col2im(const Window *win, const float *cols, float *out) {
  int plane = win->out_h * win->out_w, width = win->n * plane;
  for (int b = 0; b < win->n; b++)
    for (int ci = 0; ci < win->c; ci++)
      for (int iy = 0; iy < win->h; iy++)
        for (int ix = 0; ix < win->w; ix++) {
          double acc = 0.0;
          for (int i = 0; i < win->kh; i++) {
            int ty = iy + win->pad_h - i * win->dil_h;
            if (ty < 0 || ty % win->stride_h != 0) continue;
            int oy = ty / win->stride_h;
            if (oy >= win->out_h) continue;
            for (int j = 0; j < win->kw; j++) {
              int tx = ix + win->pad_w - j * win->dil_w;
              if (tx < 0 || tx % win->stride_w != 0) continue;
              int ox = tx / win->stride_w;
              if (ox >= win->out_w) continue;
              acc += cols[((ci * win->kh + i) * win->kw + j) * width + b * plane + oy * win->out_w +
                          ox];
            }
          }
          out[((b * win->c + ci) * win->h + iy) * win->w + ix] = (float)acc;
        }
}
