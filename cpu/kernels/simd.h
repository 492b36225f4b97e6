/*
 * The few SIMD128 operations the kernels use. MADD(a, b, c) is a*b + c: the relaxed-SIMD
 * f32x4.relaxed_madd in the relaxed build (clang 14 cannot emit its final opcode, so the
 * build script turns calls to the placeholder import `relaxed_madd` into that instruction),
 * a multiply then an add in the plain SIMD128 build.
 */
#ifndef SIMD_H
#define SIMD_H
#include <wasm_simd128.h>

typedef v128_t f4;

#define f4_load(p) wasm_v128_load(p)
#define f4_store(p, v) wasm_v128_store(p, v)
#define f4_splat(x) wasm_f32x4_splat(x)
#define f4_zero() wasm_f32x4_const_splat(0.0f)
#define f4_add(a, b) wasm_f32x4_add(a, b)
#define f4_mul(a, b) wasm_f32x4_mul(a, b)

#ifdef RELAXED
__attribute__((import_module("env"), import_name("relaxed_madd"), const)) f4
relaxed_madd(f4 a, f4 b, f4 c);
#define MADD(a, b, c) relaxed_madd(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

#endif
