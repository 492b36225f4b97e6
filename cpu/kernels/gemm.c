/*
 * Packed, cache-blocked single-precision GEMM for WebAssembly SIMD128, in the BLIS structure:
 * the product is cut into NC-column blocks of op(B) and KC-deep slices of k; each slice of
 * op(B) is packed into NR-wide panels, each MC-row block of op(A) into MR-tall panels, and a
 * register-tile micro-kernel multiplies one A panel by one B panel into an MR x NR tile of C.
 * Packing reads A and B in place for every transpose combination, so nothing is copied whole.
 *
 * Every element of C is summed over k in the same order (p ascending inside a KC slice,
 * slices in order) whichever thread computes it, so results do not depend on the thread count.
 */
#include "simd.h"

#define MR 6
#define NR 8
#define KC 256
#define MC 96
#define NC 1024

/* One matrix product, possibly batched, as laid out by the caller in linear memory. */
typedef struct {
  int m, n, k;
  const float *a;
  int lda, trans_a;
  const float *b;
  int ldb, trans_b;
  float *c;
  int ldc;
  int batch, stride_a, stride_b, stride_c;
  int threads;
  float *work; /* threads x GEMM_WORK_FLOATS floats */
} Gemm;

#define PACK_A_FLOATS (MC * KC)
#define PACK_B_FLOATS (KC * NC)

/*
 * Floats of scratch each thread needs: the packed A block, the packed B slice and one edge
 * tile (kept here, not on the stack, because every thread's instance shares one stack).
 */
int gemm_work_floats(void) { return PACK_A_FLOATS + PACK_B_FLOATS + MR * NR; }

/* The Gemm descriptor's size in bytes, so the caller can check its layout. */
int gemm_job_bytes(void) { return (int)sizeof(Gemm); }

/*
 * The 4 x 4 block at s (row stride ld) transposed: out[j] is column j of the block. Packing
 * only moves floats, so the packed panels, and the products, are the same as element-wise.
 */
static inline void transpose4(const float *s, int ld, f4 out[4]) {
  f4 r0 = f4_load(s), r1 = f4_load(s + ld), r2 = f4_load(s + 2 * ld), r3 = f4_load(s + 3 * ld);
  f4 u0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), u1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  f4 u2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), u3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  out[0] = wasm_i32x4_shuffle(u0, u2, 0, 1, 4, 5), out[1] = wasm_i32x4_shuffle(u0, u2, 2, 3, 6, 7);
  out[2] = wasm_i32x4_shuffle(u1, u3, 0, 1, 4, 5), out[3] = wasm_i32x4_shuffle(u1, u3, 2, 3, 6, 7);
}

/*
 * Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-tall panels at kc * MR floats
 * each, when A is transposed (op(A)'s rows are then strided); the kernels read the rows of an
 * untransposed A in place, so it is not packed at all. A short last panel holds only its rows.
 */
static void pack_a(const Gemm *g, const float *a, int i0, int mc, int p0, int kc, float *dst) {
  if (!g->trans_a) return;
  for (int ir = 0; ir < mc; ir += MR, dst += kc * MR) {
    int rows = mc - ir < MR ? mc - ir : MR;
    const float *src = a + p0 * g->lda + i0 + ir;
    if (rows == MR) {
      float *out = dst;
      for (int p = 0; p < kc; p++, src += g->lda, out += MR) {
        f4_store(out, f4_load(src));
        out[4] = src[4], out[5] = src[5];
      }
      continue;
    }
    for (int p = 0; p < kc; p++)
      for (int r = 0; r < rows; r++) dst[p * MR + r] = src[p * g->lda + r];
  }
}

/* Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-wide panels, zero-padded. */
static void pack_b(const Gemm *g, const float *b, int p0, int kc, int j0, int nc, float *dst) {
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = nc - jr < NR ? nc - jr : NR;
    if (!g->trans_b && cols == NR) {
      const float *src = b + p0 * g->ldb + j0 + jr;
      for (int p = 0; p < kc; p++, src += g->ldb, dst += NR) {
        f4_store(dst, f4_load(src));
        f4_store(dst + 4, f4_load(src + 4));
      }
      continue;
    }
    if (g->trans_b && cols == NR) {
      /* Columns of op(B) are rows of B here: transpose 4 x 4 blocks into the panel. */
      const float *src = b + (j0 + jr) * g->ldb + p0;
      int p = 0;
      for (; p + 4 <= kc; p += 4, src += 4, dst += 4 * NR) {
        f4 t[4];
        for (int h = 0; h < 2; h++) {
          transpose4(src + 4 * h * g->ldb, g->ldb, t);
          for (int q = 0; q < 4; q++) f4_store(dst + q * NR + 4 * h, t[q]);
        }
      }
      for (; p < kc; p++, src++, dst += NR)
        for (int c = 0; c < NR; c++) dst[c] = src[c * g->ldb];
      continue;
    }
    for (int c = 0; c < NR; c++) {
      float *out = dst + c;
      if (c >= cols) {
        for (int p = 0; p < kc; p++) out[p * NR] = 0.0f;
      } else if (g->trans_b) {
        const float *src = b + (j0 + jr + c) * g->ldb + p0;
        for (int p = 0; p < kc; p++) out[p * NR] = src[p];
      } else {
        const float *src = b + p0 * g->ldb + j0 + jr + c;
        for (int p = 0; p < kc; p++) out[p * NR] = src[p * g->ldb];
      }
    }
    dst += kc * NR;
  }
}

/*
 * C[0..ROWS, 0..NR) (row stride ldc) = (add ? C : 0) + A . B panel over kc steps, with
 * ROWS x NR accumulators held in registers for the whole of kc; A's element (r, p) is
 * a[r * rs + p * ps]. ROWS (1 to MR) is a constant wherever this is inlined, so the loops over
 * rows unroll and the accumulators stay in registers; rs and ps become a packed panel's
 * constants or an in-place row's stride. Every element of C is the same chain of multiply-adds
 * over p whatever ROWS is, so a short panel's rows are bitwise what a full panel gives them.
 */
static inline __attribute__((always_inline)) void
micro_tile(int ROWS, int kc, const float *a, int rs, int ps, const float *restrict b, float *c,
           int ldc, int add) {
  f4 lo[MR], hi[MR];
  for (int r = 0; r < ROWS; r++) lo[r] = f4_zero(), hi[r] = f4_zero();
  for (int p = 0; p < kc; p++, a += ps, b += NR) {
    f4 b0 = f4_load(b), b1 = f4_load(b + 4);
    for (int r = 0; r < ROWS; r++) {
      f4 x = f4_splat(a[r * rs]);
      lo[r] = MADD(x, b0, lo[r]), hi[r] = MADD(x, b1, hi[r]);
    }
  }
  for (int r = 0; r < ROWS; r++) {
    if (add) {
      lo[r] = f4_add(f4_load(c + r * ldc), lo[r]);
      hi[r] = f4_add(f4_load(c + r * ldc + 4), hi[r]);
    }
    f4_store(c + r * ldc, lo[r]);
    f4_store(c + r * ldc + 4, hi[r]);
  }
}

/* micro_tile on `rows` rows (1 to MR), each row count its own unrolled instance. */
static inline __attribute__((always_inline)) void
tile_rows(int rows, int kc, const float *a, int rs, int ps, const float *restrict b, float *c,
          int ldc, int add) {
  switch (rows) {
  case MR: micro_tile(MR, kc, a, rs, ps, b, c, ldc, add); break;
  case 5: micro_tile(5, kc, a, rs, ps, b, c, ldc, add); break;
  case 4: micro_tile(4, kc, a, rs, ps, b, c, ldc, add); break;
  case 3: micro_tile(3, kc, a, rs, ps, b, c, ldc, add); break;
  case 2: micro_tile(2, kc, a, rs, ps, b, c, ldc, add); break;
  default: micro_tile(1, kc, a, rs, ps, b, c, ldc, add);
  }
}

/*
 * The micro-kernel on `rows` rows of C, directly on C. A is a packed panel (MR floats per step
 * of k) when lda is 0; else its rows are read in place, lda apart (A not transposed: each row
 * is contiguous in p). The same products are summed in the same order either way, so C is
 * bitwise the same; only the packing is saved.
 */
static void row_kernel(int rows, int kc, const float *a, int lda, const float *b, float *c,
                       int ldc, int add) {
  if (lda) tile_rows(rows, kc, a, lda, 1, b, c, ldc, add);
  else tile_rows(rows, kc, a, 1, MR, b, c, ldc, add);
}

/*
 * The micro-kernel on a tile of `rows` x `cols` < NR, through a full-width buffer (the kernel
 * writes whole rows of NR).
 */
static void edge_kernel(int kc, const float *a, int lda, const float *b, float *c, int ldc,
                        int add, int rows, int cols, float *tile) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) tile[r * NR + j] = add ? c[r * ldc + j] : 0.0f;
  row_kernel(rows, kc, a, lda, b, tile, NR, add);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[r * ldc + j] = tile[r * NR + j];
}

/* C[i0..i1, j0..j1) of one product, using this thread's scratch. */
static void gemm_block(const Gemm *g, const float *a, const float *b, float *c, int i0, int i1,
                       int j0, int j1, float *work) {
  float *pa = work, *pb = work + PACK_A_FLOATS;
  if (g->k == 0) {
    for (int i = i0; i < i1; i++)
      for (int j = j0; j < j1; j++) c[i * g->ldc + j] = 0.0f;
    return;
  }
  for (int jc = j0; jc < j1; jc += NC) {
    int nc = j1 - jc < NC ? j1 - jc : NC;
    for (int pc = 0; pc < g->k; pc += KC) {
      int kc = g->k - pc < KC ? g->k - pc : KC;
      pack_b(g, b, pc, kc, jc, nc, pb);
      for (int ic = i0; ic < i1; ic += MC) {
        int mc = i1 - ic < MC ? i1 - ic : MC;
        pack_a(g, a, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          int cols = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int rows = mc - ir < MR ? mc - ir : MR;
            float *ct = c + (ic + ir) * g->ldc + jc + jr;
            const float *bt = pb + jr * kc;
            /* The rows of an untransposed A are read in place (see pack_a). */
            int lda = g->trans_a ? 0 : g->lda;
            const float *at = lda ? a + (ic + ir) * lda + pc : pa + ir * kc;
            if (cols < NR) {
              edge_kernel(kc, at, lda, bt, ct, g->ldc, pc > 0, rows, cols, pb + PACK_B_FLOATS);
            } else {
              row_kernel(rows, kc, at, lda, bt, ct, g->ldc, pc > 0);
            }
          }
        }
      }
    }
  }
}

static int split(int total, int part, int parts) {
  return (int)((long long)total * part / parts);
}

/* The most of `tiles` tiles that one of `parts` contiguous shares gets. */
static int largest_share(int tiles, int parts) {
  int most = 0;
  for (int t = 0; t < parts; t++) {
    int share = split(tiles, t + 1, parts) - split(tiles, t, parts);
    if (share > most) most = share;
  }
  return most;
}

/*
 * Thread `t`'s share of the product: whole matrices of the batch when there are at least as
 * many as threads, else a contiguous range of MR-row or NR-column tiles of each matrix,
 * along the dimension whose split gives the busiest thread fewer tiles (at 256 x 256 on two
 * threads, columns: 16 x 43 tiles each, where rows would give one thread 22 x 32); on a tie,
 * the dimension with more tiles.
 */
void gemm_thread(const Gemm *g, int t) {
  float *work = g->work + t * gemm_work_floats();
  int T = g->threads;
  if (g->batch >= T) {
    for (int bi = split(g->batch, t, T); bi < split(g->batch, t + 1, T); bi++)
      gemm_block(g, g->a + bi * g->stride_a, g->b + bi * g->stride_b, g->c + bi * g->stride_c,
                 0, g->m, 0, g->n, work);
    return;
  }
  int tiles_m = (g->m + MR - 1) / MR, tiles_n = (g->n + NR - 1) / NR;
  long long by_rows = (long long)largest_share(tiles_m, T) * tiles_n;
  long long by_cols = (long long)largest_share(tiles_n, T) * tiles_m;
  int split_cols = by_cols < by_rows || (by_cols == by_rows && tiles_n >= tiles_m);
  for (int bi = 0; bi < g->batch; bi++) {
    const float *a = g->a + bi * g->stride_a, *b = g->b + bi * g->stride_b;
    float *c = g->c + bi * g->stride_c;
    if (split_cols) {
      int j0 = split(tiles_n, t, T) * NR, j1 = split(tiles_n, t + 1, T) * NR;
      if (j1 > g->n) j1 = g->n;
      if (j0 < j1) gemm_block(g, a, b, c, 0, g->m, j0, j1, work);
    } else {
      int i0 = split(tiles_m, t, T) * MR, i1 = split(tiles_m, t + 1, T) * MR;
      if (i1 > g->m) i1 = g->m;
      if (i0 < i1) gemm_block(g, a, b, c, i0, i1, 0, g->n, work);
    }
  }
}
