/**
 * The number format gradients travel in (`--grad-dtype`): float32 as computed, or cast to
 * 16 bits (IEEE half or bfloat16) to halve the bytes on the wire, as PyTorch DDP's
 * `fp16_compress_hook` and `bf16_compress_hook` do. Casts round to nearest, ties to even,
 * and treat the edges as PyTorch 1.13's CPU `.half()` and `.bfloat16()` do
 * (tests/fixtures/wire_casts_golden.json): overflow becomes ±∞, float32 subnormals round
 * like any other value, a half NaN is `0x7e00` with the sign kept, a bfloat16 NaN is
 * `0xffff`.
 *
 * A chunk of `n` 16-bit values travels as the `⌈n / 2⌉` 32-bit words of a `Float32Array`
 * over the same bytes ({@link wireWords}): a `Link` only copies the words it is given (typed
 * array `slice` and `set` between arrays of one type copy bytes, never values), so the
 * 16-bit patterns arrive unchanged.
 *
 * @module
 */

/** Number format of gradients on the wire. */
export type WireDtype = "fp32" | "fp16" | "bf16";

/** Every {@link WireDtype}, for flag parsing. */
export const WIRE_DTYPES: readonly WireDtype[] = ["fp32", "fp16", "bf16"];

/** 32-bit words that `n` values of `dtype` take on the wire. */
export function wireWords(dtype: WireDtype, n: number): number {
  return dtype === "fp32" ? n : Math.ceil(n / 2);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// What a float32 of each sign and exponent (its top 9 bits) becomes in half: the bits to
// add to its mantissa (with the implicit bit where the half is subnormal) shifted right by
// `HALF_SHIFT`, rounded to nearest even. A carry out of the mantissa raises the exponent,
// which also takes 65520 and up to ∞; exponents past the half range keep only `HALF_BASE`.
const HALF_BASE = new Uint16Array(512);
const HALF_SHIFT = new Uint8Array(512);
const HALF_IMPLICIT = new Uint32Array(512);
for (let i = 0; i < 512; i++) {
  const exponent = i & 0xff;
  const sign = (i & 0x100) << 7;
  HALF_SHIFT[i] = 24; // below 2⁻²⁵ and above the half range: the mantissa rounds to 0
  HALF_BASE[i] = exponent >= 143 ? sign | 0x7c00 : sign;
  if (exponent >= 113 && exponent < 143) {
    HALF_BASE[i] = sign | ((exponent - 112) << 10); // a half normal: keep 10 of 23 bits
    HALF_SHIFT[i] = 13;
  } else if (exponent >= 102 && exponent < 113) {
    HALF_IMPLICIT[i] = 0x800000; // a half subnormal: the value in units of 2⁻²⁴
    HALF_SHIFT[i] = 126 - exponent;
  }
}

/** The IEEE half (binary16) bits nearest to float32 `bits`, ties to even. */
export function halfBitsOf(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7e00; // NaN
  const top = bits >>> 23;
  const shift = HALF_SHIFT[top];
  const mantissa = (bits & 0x7fffff) | HALF_IMPLICIT[top];
  const rounded = mantissa + ((1 << (shift - 1)) - 1) + ((mantissa >>> shift) & 1);
  return HALF_BASE[top] + (rounded >>> shift);
}

/** Float32 bits of half `h`, exactly (every half is a float32). */
export function floatBitsOfHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  f32[0] = mantissa * 2 ** -24; // exact: a subnormal half is an integer times 2⁻²⁴
  return (sign | u32[0]) >>> 0;
}

/** The bfloat16 bits nearest to float32 `bits`, ties to even; NaN is `0xffff`. */
export function bfloat16BitsOf(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

// Every half widened, so decoding is one load per value.
let halfTable: Float32Array | undefined;
const halfToFloat = (): Float32Array => {
  if (!halfTable) {
    const bits = Uint32Array.from({ length: 65536 }, (_, h) => floatBitsOfHalf(h));
    halfTable = new Float32Array(bits.buffer);
  }
  return halfTable;
};

const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

// 2^(max(e, 113) − 112) for each float32 exponent e: added to a value scaled into place, it
// makes the float32 adder round the mantissa to the half's precision (see encode16).
const HALF_ROUNDER = Float64Array.from({ length: 256 }, (_, e) => 2 ** (Math.max(e, 113) - 112));

/**
 * Casts `source` to 16-bit `dtype` into `target` (at least as long). The fp16 cast is the
 * one of the FP16 library that PyTorch uses: scaled by 2¹¹² then 2⁻¹¹⁰ (overflow to ∞ on
 * the way) and added to a power of two in float32, the value's mantissa is rounded to
 * nearest even by the float32 adder itself, in two passes over typed arrays. Every step is
 * exact in float64 before one `Math.fround` or store rounds it, so each rounds once, as in
 * float32; `halfBitsOf` gives the same bits one value at a time.
 */
export function encode16(dtype: "fp16" | "bf16", source: Float32Array, target: Uint16Array): void {
  const bits = bitsOf(source);
  if (dtype === "bf16") {
    for (let i = 0; i < bits.length; i++) target[i] = bfloat16BitsOf(bits[i]);
    return;
  }
  const sums = widened(source.length);
  for (let i = 0; i < sums.length; i++) {
    const scaled = Math.fround(Math.fround(Math.abs(source[i]) * 2 ** 112) * 2 ** -110);
    sums[i] = HALF_ROUNDER[(bits[i] >>> 23) & 0xff] + scaled;
  }
  const sumBits = bitsOf(sums);
  for (let i = 0; i < sumBits.length; i++) {
    const w = bits[i], r = sumBits[i];
    const nan = (w & 0x7fffffff) > 0x7f800000;
    target[i] = ((w >>> 16) & 0x8000) | (nan ? 0x7e00 : ((r >>> 13) & 0x7c00) + (r & 0xfff));
  }
}

/**
 * Widens the first `target.length` 16-bit values of `source` to float32, adding them to
 * `target` when `add` (one float32 add per value) or else overwriting it.
 */
export function decode16(
  dtype: "fp16" | "bf16",
  source: Uint16Array,
  target: Float32Array,
  add: boolean,
): void {
  if (add && dtype === "fp16") {
    const table = halfToFloat();
    for (let i = 0; i < target.length; i++) target[i] += table[source[i]];
    return;
  }
  const out = bitsOf(add ? widened(target.length) : target);
  if (dtype === "bf16") {
    for (let i = 0; i < out.length; i++) out[i] = source[i] << 16;
  } else {
    const table = bitsOf(halfToFloat());
    for (let i = 0; i < out.length; i++) out[i] = table[source[i]];
  }
  if (add) {
    const values = widened(target.length);
    for (let i = 0; i < target.length; i++) target[i] += values[i];
  }
}

// Scratch floats of encode16 and decode16; their calls never overlap (no await inside).
let wideScratch = new Float32Array(0);
const widened = (n: number): Float32Array => {
  if (wideScratch.length < n) wideScratch = new Float32Array(n);
  return wideScratch.subarray(0, n);
};

/** The 16-bit values packed in wire words `words` (see the module doc). */
export function halves(words: Float32Array): Uint16Array {
  return new Uint16Array(words.buffer, words.byteOffset, 2 * words.length);
}

/**
 * Rounds `data` in place to the nearest values of `dtype` (widened back to float32), as a
 * cast to 16 bits and back would; nothing for `fp32`.
 */
export function roundToWire(dtype: WireDtype, data: Float32Array): void {
  if (dtype === "fp32") return;
  const bits = bitsOf(data);
  if (dtype === "bf16") {
    for (let i = 0; i < bits.length; i++) bits[i] = bfloat16BitsOf(bits[i]) << 16;
  } else {
    const table = bitsOf(halfToFloat());
    for (let i = 0; i < bits.length; i++) bits[i] = table[halfBitsOf(bits[i])];
  }
}
