/*
 * The fused optimizer updates of SGD and Adam/AdamW (core/optim/updates/sgd.ts and adam.ts),
 * in place over flat parameters, gradients and state, split over threads in 64-byte blocks.
 * Each element follows the reference's arithmetic step for step in f64 (its JavaScript
 * numbers), rounding to f32 exactly where the reference stores to a Float32Array, so the
 * results are bitwise the reference's on any thread count. Two elements go through each
 * f64x2 operation, which rounds as the scalar one does.
 */
#include <wasm_simd128.h>

/* Which update: the values of UPDATE_KINDS in cpu/thread_protocol.ts. */
enum { UPDATE_SGD = 0, UPDATE_ADAM = 1 };

/* Bits of UpdateJob.flags. */
enum {
  MAXIMIZE = 1,
  DECAY = 2, /* weight_decay != 0 */
  MOMENTUM = 4, /* SGD: momentum != 0 */
  FIRST = 8, /* SGD: the first step, which sets the momentum buffer to the direction */
  NESTEROV = 16,
  DECOUPLED = 32, /* AdamW */
  AMSGRAD = 64,
  /* Set here, not by the caller: SGD without dampening, whose `keep * d` is d exactly. */
  UNDAMPENED = 128
};

/* One update's scalars and operands, as cpu/wasm_kernels.ts lays them out. */
typedef struct {
  double lr, weight_decay;
  double momentum, keep; /* SGD: momentum and 1 - dampening */
  double beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
  double step_size, bias_correction2_sqrt, decay_factor; /* Adam's per-step scalars */
  int kind, size, threads, flags;
  float *p;
  const float *g;
  float *s0, *s1, *s2; /* SGD: momentum_buffer; Adam: exp_avg, exp_avg_sq, max_exp_avg_sq */
} UpdateJob;

int update_job_bytes(void) { return sizeof(UpdateJob); }

/* Two f64 lanes, with C's arithmetic operators. */
typedef double d2 __attribute__((vector_size(16)));

/* `lanes` (1 or 2) floats from x as f64. */
static inline d2 load(const float *x, int lanes) {
  v128_t v = lanes == 2 ? wasm_v128_load64_zero(x) : wasm_v128_load32_zero(x);
  return (d2)wasm_f64x2_promote_low_f32x4(v);
}

/* v rounded to f32, as storing it to a Float32Array does. */
static inline v128_t to_f32(d2 v) { return wasm_f32x4_demote_f64x2_zero((v128_t)v); }

/* Stores the low `lanes` (1 or 2) floats of v. */
static inline void store_f32(float *x, v128_t v, int lanes) {
  if (lanes == 2) wasm_v128_store64_lane(x, v, 0);
  else wasm_v128_store32_lane(x, v, 0);
}

/* Stores `lanes` (1 or 2) lanes of v rounded to f32. */
static inline void store(float *x, d2 v, int lanes) { store_f32(x, to_f32(v), lanes); }

/*
 * v unchanged, but opaque to the compiler: it cannot see through it to fuse what comes before
 * with what comes after.
 */
static inline v128_t opaque(v128_t v) {
  __asm__("" : "+r"(v));
  return v;
}

/*
 * v rounded to f32 and back: JavaScript's Math.fround. Without the barrier clang 14 sees the
 * round trip as one <2 x double> -> <2 x float> -> <2 x double> conversion, which it cannot
 * lower to the two SIMD instructions and does lane by lane (eight instructions instead of two,
 * most of the SGD update's time).
 */
static inline d2 fround(d2 v) { return (d2)wasm_f64x2_promote_low_f32x4(opaque(to_f32(v))); }

static inline d2 splat(double x) { return (d2){x, x}; }

/* The low and high two floats of v as f64. */
static inline d2 low(v128_t v) { return (d2)wasm_f64x2_promote_low_f32x4(v); }
static inline d2 high(v128_t v) { return low(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)); }

/* Four floats from two pairs rounded to f32. */
static inline v128_t pack(d2 lo, d2 hi) {
  return wasm_i32x4_shuffle(to_f32(lo), to_f32(hi), 0, 1, 4, 5);
}

/*
 * New parameters of two elements of SGD, and their momentum buffer already rounded to f32 (in
 * the low two lanes), as it is stored.
 */
typedef struct {
  d2 p;
  v128_t b;
} SgdOut;

/* SGD of two elements, as the record's general loop. */
static inline SgdOut sgd_math(const UpdateJob *job, d2 p, d2 d, d2 b, int flags) {
  if (flags & MAXIMIZE) d = -d;
  if (flags & DECAY) d = d + splat(job->weight_decay) * p;
  v128_t b32 = wasm_f32x4_const_splat(0.0f);
  if (flags & MOMENTUM) {
    d2 kept = flags & UNDAMPENED ? d : splat(job->keep) * d;
    b32 = opaque(to_f32(flags & FIRST ? d : splat(job->momentum) * b + kept));
    b = low(b32);
    d = flags & NESTEROV ? d + splat(job->momentum) * b : b;
  }
  return (SgdOut){p - splat(job->lr) * d, b32};
}

/* Elements i to i + 3 of SGD, through whole f32x4 loads and stores. */
static inline void sgd_four(const UpdateJob *job, int i, int flags) {
  v128_t p = wasm_v128_load(job->p + i), g = wasm_v128_load(job->g + i);
  v128_t b = flags & MOMENTUM ? wasm_v128_load(job->s0 + i) : p;
  SgdOut lo = sgd_math(job, low(p), low(g), low(b), flags);
  SgdOut hi = sgd_math(job, high(p), high(g), high(b), flags);
  if (flags & MOMENTUM) wasm_v128_store(job->s0 + i, wasm_i32x4_shuffle(lo.b, hi.b, 0, 1, 4, 5));
  wasm_v128_store(job->p + i, pack(lo.p, hi.p));
}

/* Element i and, when lanes is 2, i + 1 of SGD (the last few of a range). */
static inline void sgd_lanes(const UpdateJob *job, int i, int lanes, int flags) {
  d2 b = flags & MOMENTUM ? load(job->s0 + i, lanes) : splat(0);
  SgdOut out = sgd_math(job, load(job->p + i, lanes), load(job->g + i, lanes), b, flags);
  if (flags & MOMENTUM) store_f32(job->s0 + i, out.b, lanes);
  store_f32(job->p + i, to_f32(out.p), lanes);
}

/* New parameters and state of two elements of Adam. */
typedef struct {
  d2 p, m, v, vmax;
} AdamOut;

/* Adam or AdamW of two elements, as the record's loop. */
static inline AdamOut adam_math(const UpdateJob *job, d2 p, d2 d, d2 m, d2 v, d2 vmax,
                                int flags) {
  if (flags & MAXIMIZE) d = -d;
  if (flags & DECOUPLED) p = fround(p * splat(job->decay_factor));
  else if (flags & DECAY) d = d + splat(job->weight_decay) * p;
  m = fround(splat(job->beta1) * m + splat(job->one_minus_beta1) * d);
  v = fround(splat(job->beta2) * v + splat(job->one_minus_beta2) * d * d);
  d2 second = v;
  /* f64x2.max, as JavaScript's Math.max: NaN wins, and +0 is above -0. */
  if (flags & AMSGRAD) second = vmax = (d2)wasm_f64x2_max((v128_t)vmax, (v128_t)v);
  d2 root = (d2)wasm_f64x2_sqrt((v128_t)second);
  d2 denom = fround(root / splat(job->bias_correction2_sqrt) + splat(job->eps));
  return (AdamOut){p - splat(job->step_size) * (m / denom), m, v, vmax};
}

/* Elements i to i + 3 of Adam, through whole f32x4 loads and stores. */
static inline void adam_four(const UpdateJob *job, int i, int flags) {
  v128_t p = wasm_v128_load(job->p + i), g = wasm_v128_load(job->g + i);
  v128_t m = wasm_v128_load(job->s0 + i), v = wasm_v128_load(job->s1 + i);
  v128_t vmax = flags & AMSGRAD ? wasm_v128_load(job->s2 + i) : v;
  AdamOut lo = adam_math(job, low(p), low(g), low(m), low(v), low(vmax), flags);
  AdamOut hi = adam_math(job, high(p), high(g), high(m), high(v), high(vmax), flags);
  wasm_v128_store(job->s0 + i, pack(lo.m, hi.m));
  wasm_v128_store(job->s1 + i, pack(lo.v, hi.v));
  if (flags & AMSGRAD) wasm_v128_store(job->s2 + i, pack(lo.vmax, hi.vmax));
  wasm_v128_store(job->p + i, pack(lo.p, hi.p));
}

/* Element i and, when lanes is 2, i + 1 of Adam (the last few of a range). */
static inline void adam_lanes(const UpdateJob *job, int i, int lanes, int flags) {
  d2 v = load(job->s1 + i, lanes), vmax = flags & AMSGRAD ? load(job->s2 + i, lanes) : v;
  AdamOut out = adam_math(job, load(job->p + i, lanes), load(job->g + i, lanes),
                          load(job->s0 + i, lanes), v, vmax, flags);
  store(job->s0 + i, out.m, lanes);
  store(job->s1 + i, out.v, lanes);
  if (flags & AMSGRAD) store(job->s2 + i, out.vmax, lanes);
  store(job->p + i, out.p, lanes);
}

/*
 * Elements [i, end) of the update, with `flags` a constant where the caller names one, so
 * that the loop has no per-element branches (they cost more than the arithmetic).
 */
static inline __attribute__((always_inline)) void update_range(const UpdateJob *job, int i,
                                                               int end, int flags) {
  if (job->kind == UPDATE_SGD) {
    for (; i + 4 <= end; i += 4) sgd_four(job, i, flags);
    for (; i + 2 <= end; i += 2) sgd_lanes(job, i, 2, flags);
    if (i < end) sgd_lanes(job, i, 1, flags);
  } else {
    for (; i + 4 <= end; i += 4) adam_four(job, i, flags);
    for (; i + 2 <= end; i += 2) adam_lanes(job, i, 2, flags);
    if (i < end) adam_lanes(job, i, 1, flags);
  }
}

void update_thread(const UpdateJob *shared_job, int thread) {
  /* A private copy: the stores through v128 may alias anything, and would otherwise make
   * every iteration reload the descriptor's fields. */
  const UpdateJob copy = *shared_job, *job = &copy;
  int blocks = (job->size + 15) / 16;
  int i = (int)((long long)blocks * thread / job->threads) * 16;
  int end = (int)((long long)blocks * (thread + 1) / job->threads) * 16;
  if (end > job->size) end = job->size;
  /* The settings that training runs most: SGD with momentum (after its first step) and
   * Adam/AdamW with their defaults, with or without weight decay. */
  int flags = job->flags;
  if (job->kind == UPDATE_SGD && (flags & MOMENTUM) && job->keep == 1.0) flags |= UNDAMPENED;
  switch (flags) {
  case 0: update_range(job, i, end, 0); break;
  case DECAY: update_range(job, i, end, DECAY); break;
  case MOMENTUM | UNDAMPENED: update_range(job, i, end, MOMENTUM | UNDAMPENED); break;
  case MOMENTUM | DECAY | UNDAMPENED:
    update_range(job, i, end, MOMENTUM | DECAY | UNDAMPENED);
    break;
  case DECOUPLED | DECAY: update_range(job, i, end, DECOUPLED | DECAY); break;
  default: update_range(job, i, end, flags);
  }
}
