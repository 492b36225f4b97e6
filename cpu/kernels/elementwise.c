/*
 * Same-shape elementwise ops over large tensors (Backend.unary relu, Backend.binary relu_grad,
 * add and mul in core/backend.ts), split over threads in 64-byte blocks, and the scan for
 * non-finite values, and a linear layer's bias-and-relu epilogue and its backward on the
 * calling thread. Each element is the reference's formula (core/elementwise.ts) in f32, which
 * is exactly the f64 result rounded to f32, so the results are bitwise the reference's on any
 * thread count.
 */
#include "simd.h"

/* Which op: the values of ELEMENTWISE_OPS in cpu/thread_protocol.ts. */
enum { OP_RELU = 0, OP_RELU_GRAD = 1, OP_ADD = 2, OP_MUL = 3 };

/* One call's operands, as cpu/wasm_kernels.ts lays them out; y is unused by relu. */
typedef struct {
  int op, size, threads;
  const float *x, *y;
  float *out;
} ElementwiseJob;

int elementwise_job_bytes(void) { return sizeof(ElementwiseJob); }

/* x <= 0 ? 0 : v, lane by lane: NaN in x keeps v, and −0 gives +0, as the reference. */
static inline f4 unless_nonpositive(f4 x, f4 v) {
  return wasm_v128_andnot(v, wasm_f32x4_le(x, f4_zero()));
}

void elementwise_thread(const ElementwiseJob *job, int thread) {
  int blocks = (job->size + 15) / 16;
  int i = (int)((long long)blocks * thread / job->threads) * 16;
  int end = (int)((long long)blocks * (thread + 1) / job->threads) * 16;
  if (end > job->size) end = job->size;
  const float *x = job->x, *y = job->y;
  float *out = job->out;
  int vec_end = i + (end - i) / 4 * 4;
  switch (job->op) {
  case OP_RELU:
    for (; i < vec_end; i += 4) {
      f4 a = f4_load(x + i);
      f4_store(out + i, unless_nonpositive(a, a));
    }
    for (; i < end; i++) out[i] = x[i] <= 0 ? 0 : x[i];
    break;
  case OP_RELU_GRAD:
    for (; i < vec_end; i += 4) {
      f4_store(out + i, unless_nonpositive(f4_load(x + i), f4_load(y + i)));
    }
    for (; i < end; i++) out[i] = x[i] <= 0 ? 0 : y[i];
    break;
  case OP_ADD:
    for (; i < vec_end; i += 4) f4_store(out + i, f4_add(f4_load(x + i), f4_load(y + i)));
    for (; i < end; i++) out[i] = x[i] + y[i];
    break;
  case OP_MUL:
    for (; i < vec_end; i += 4) f4_store(out + i, f4_mul(f4_load(x + i), f4_load(y + i)));
    for (; i < end; i++) out[i] = x[i] * y[i];
    break;
  }
}

/*
 * 1 when every one of the n floats at x is finite, else 0, for the divergence watch's pass over
 * the gradients (cpu/all_finite.ts): v*0 is +-0 for every finite v and NaN for NaN and
 * +-Infinity, so sums of it stay 0 exactly when every element is finite.
 */
int all_finite(const float *x, int n) {
  f4 a0 = f4_zero(), a1 = f4_zero(), a2 = f4_zero(), a3 = f4_zero();
  const f4 zero = f4_zero();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = f4_add(a0, f4_mul(f4_load(x + i), zero));
    a1 = f4_add(a1, f4_mul(f4_load(x + i + 4), zero));
    a2 = f4_add(a2, f4_mul(f4_load(x + i + 8), zero));
    a3 = f4_add(a3, f4_mul(f4_load(x + i + 12), zero));
  }
  float rest = 0;
  for (; i < n; i++) rest += x[i] * 0.0f;
  f4 sum = f4_add(f4_add(a0, a1), f4_add(a2, a3));
  /* A lane is 0 (+0 or -0) exactly when it saw only finite values. */
  return wasm_i32x4_all_true(wasm_f32x4_eq(sum, zero)) && rest == 0;
}

/*
 * A linear layer's epilogue on this thread, in place over [m, n] y: y = y + bias[col] (a null
 * bias adds 0, which turns -0 into +0 as the reference's sum does), then relu when `relu` is
 * non-zero. The sum is the f32 sum the reference rounds its double sum to; relu as
 * unless_nonpositive, so NaN passes.
 */
void bias_act(float *y, const float *bias, int m, int n, int relu) {
  int vec_n = n / 4 * 4;
  for (int r = 0; r < m; r++, y += n) {
    int c = 0;
    for (; c < vec_n; c += 4) {
      f4 v = f4_add(f4_load(y + c), bias ? f4_load(bias + c) : f4_zero());
      f4_store(y + c, relu ? unless_nonpositive(v, v) : v);
    }
    for (; c < n; c++) {
      float v = y[c] + (bias ? bias[c] : 0.0f);
      y[c] = relu && v <= 0 ? 0 : v;
    }
  }
}

/*
 * The backward of bias_act with relu, given its output y and the gradient gy of [m, n]:
 * gz = y <= 0 ? 0 : gy, and, unless gb is null, gb[c] = the sum of gz's column c in f32,
 * rows in order from 0 (the reference's bias gradient, bitwise).
 */
void relu_grad_bias(const float *y, const float *gy, float *gz, float *gb, int m, int n) {
  int vec_n = n / 4 * 4;
  if (gb)
    for (int c = 0; c < n; c++) gb[c] = 0;
  for (int r = 0; r < m; r++, y += n, gy += n, gz += n) {
    int c = 0;
    for (; c < vec_n; c += 4) {
      f4 g = unless_nonpositive(f4_load(y + c), f4_load(gy + c));
      f4_store(gz + c, g);
      if (gb) f4_store(gb + c, f4_add(f4_load(gb + c), g));
    }
    for (; c < n; c++) {
      gz[c] = y[c] <= 0 ? 0 : gy[c];
      if (gb) gb[c] += gz[c];
    }
  }
}
