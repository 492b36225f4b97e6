/*
 * The SIMD128 peak of one core, for the benchmarks: twelve independent chains of f32x4
 * multiply-adds held in registers (enough to cover the FMA latency on two ports), no memory
 * traffic. Each iteration is 12 x 4 x 2 = 96 flops.
 */
#include "simd.h"

/* Runs `iterations` rounds and returns a sum of the chains, so none is optimised away. */
float simd_peak(int iterations) {
  f4 x = f4_splat(0.5f), y = f4_splat(0.5f);
  f4 a0 = f4_splat(0.0f), a1 = f4_splat(0.1f), a2 = f4_splat(0.2f), a3 = f4_splat(0.3f);
  f4 a4 = f4_splat(0.4f), a5 = f4_splat(0.5f), a6 = f4_splat(0.6f), a7 = f4_splat(0.7f);
  f4 a8 = f4_splat(0.8f), a9 = f4_splat(0.9f), a10 = f4_splat(1.0f), a11 = f4_splat(1.1f);
  for (int i = 0; i < iterations; i++) {
    a0 = MADD(a0, x, y), a1 = MADD(a1, x, y), a2 = MADD(a2, x, y), a3 = MADD(a3, x, y);
    a4 = MADD(a4, x, y), a5 = MADD(a5, x, y), a6 = MADD(a6, x, y), a7 = MADD(a7, x, y);
    a8 = MADD(a8, x, y), a9 = MADD(a9, x, y), a10 = MADD(a10, x, y), a11 = MADD(a11, x, y);
  }
  f4 s = f4_add(f4_add(f4_add(a0, a1), f4_add(a2, a3)), f4_add(f4_add(a4, a5), f4_add(a6, a7)));
  s = f4_add(s, f4_add(f4_add(a8, a9), f4_add(a10, a11)));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) +
         wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3);
}
