/*
 * im2col and col2im for NCHW convolutions (the layout of Backend.im2col in core/backend.ts),
 * so that a convolution runs as one GEMM. col2im sums in float64 in the reference's order
 * (core/cpu/conv.ts), so its results are bitwise the reference's. Both split over threads by
 * input channel: each output element belongs to one channel and sees the same sums in the
 * same order whatever the thread count. im2col, a copy, splits by column row instead, which
 * balances a convolution of few channels too.
 */
#include "simd.h"

/* A sliding window in PyTorch's terms, field for field as in core/backend.ts's Window2d. */
typedef struct {
  int n, c, h, w, out_h, out_w, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
} Window;

/* One call's operands and thread count, as cpu/wasm_kernels.ts lays them out. */
typedef struct {
  Window win;
  const float *src;
  float *out;
  double *acc;
  int threads;
} WindowJob;

int window_job_bytes(void) { return sizeof(WindowJob); }

/* The part [*c0, *c1) that `thread` of `threads` takes of `c` items. */
static void thread_share(int c, int thread, int threads, int *c0, int *c1) {
  *c0 = (int)((long long)c * thread / threads);
  *c1 = (int)((long long)c * (thread + 1) / threads);
}

/*
 * This thread's share of the columns [c*kh*kw, n*outH*outW] of NCHW `src` into `out`, zeros
 * where a tap reads padding.
 */
void im2col_thread(const WindowJob *job, int thread) {
  const Window *win = &job->win;
  const float *x = job->src;
  float *out = job->out;
  int plane = win->out_h * win->out_w, width = win->n * plane, taps = win->kh * win->kw, r0, r1;
  thread_share(win->c * taps, thread, job->threads, &r0, &r1);
  for (int r = r0; r < r1; r++) {
    int ci = r / taps, i = r % taps / win->kw, j = r % win->kw;
    float *row = out + r * width;
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

/*
 * This thread's share of the adjoint of im2col: NCHW `out` where each element sums the column
 * entries (`src`) that read it. The sums run in the float64 scratch `acc` (one double per
 * element of `out`), visiting the entries in the reference's order, and are rounded to f32
 * once at the end.
 */
void col2im_thread(const WindowJob *job, int thread) {
  const Window *win = &job->win;
  const float *cols = job->src;
  float *out = job->out;
  double *acc = job->acc;
  int plane = win->out_h * win->out_w, width = win->n * plane, c0, c1;
  int in_plane = win->h * win->w;
  thread_share(win->c, thread, job->threads, &c0, &c1);
  for (int b = 0; b < win->n; b++)
    for (int e = (b * win->c + c0) * in_plane; e < (b * win->c + c1) * in_plane; e++) acc[e] = 0.0;
  for (int ci = c0; ci < c1; ci++)
    for (int i = 0; i < win->kh; i++)
      for (int j = 0; j < win->kw; j++) {
        const float *row = cols + ((ci * win->kh + i) * win->kw + j) * width;
        int dx = j * win->dil_w - win->pad_w;
        for (int b = 0; b < win->n; b++) {
          double *dst = acc + (b * win->c + ci) * win->h * win->w;
          for (int oy = 0; oy < win->out_h; oy++) {
            int iy = oy * win->stride_h - win->pad_h + i * win->dil_h;
            if (iy < 0 || iy >= win->h) continue;
            const float *src = row + b * plane + oy * win->out_w;
            double *line = dst + iy * win->w;
            if (win->stride_w == 1) {
              /* Contiguous taps: one branch-free run that the compiler vectorises. */
              int lo = dx < 0 ? -dx : 0, hi = win->w - dx;
              if (hi > win->out_w) hi = win->out_w;
              for (int ox = lo; ox < hi; ox++) line[ox + dx] += src[ox];
              continue;
            }
            for (int ox = 0; ox < win->out_w; ox++) {
              int ix = ox * win->stride_w + dx;
              if (ix >= 0 && ix < win->w) line[ix] += src[ox];
            }
          }
        }
      }
  for (int b = 0; b < win->n; b++)
    for (int e = (b * win->c + c0) * in_plane; e < (b * win->c + c1) * in_plane; e++)
      out[e] = (float)acc[e];
}
