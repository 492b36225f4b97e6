import assert from "node:assert/strict";
import {
  bfloat16BitsOf,
  decode16,
  encode16,
  floatBitsOfHalf,
  halfBitsOf,
  halves,
  roundToWire,
  wireWords,
} from "../../coordinator/transport/wire_dtype.ts";

interface CastCase {
  f32: number;
  f16: number;
  bf16: number;
  f16_back: number;
  bf16_back: number;
}

const golden: { cases: CastCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/wire_casts_golden.json", import.meta.url)),
);
const hex = (n: number) => `0x${n.toString(16)}`;

Deno.test("16-bit casts match PyTorch's .half() and .bfloat16() bit for bit", () => {
  assert.ok(golden.cases.length > 100);
  for (const c of golden.cases) {
    assert.equal(hex(halfBitsOf(c.f32)), hex(c.f16), `half of ${hex(c.f32)}`);
    assert.equal(hex(bfloat16BitsOf(c.f32)), hex(c.bf16), `bfloat16 of ${hex(c.f32)}`);
    assert.equal(hex(floatBitsOfHalf(c.f16)), hex(c.f16_back), `float of half ${hex(c.f16)}`);
  }
});

Deno.test("encode16 and decode16 over arrays agree with the scalar casts", () => {
  const bits = Uint32Array.from(golden.cases, (c) => c.f32);
  const values = new Float32Array(bits.buffer);
  for (const dtype of ["fp16", "bf16"] as const) {
    const words = new Float32Array(wireWords(dtype, values.length));
    encode16(dtype, values, halves(words));
    const back = new Float32Array(values.length);
    decode16(dtype, halves(words), back, false);
    const backBits = new Uint32Array(back.buffer);
    golden.cases.forEach((c, i) => {
      const want = dtype === "fp16" ? c.f16_back : c.bf16_back;
      assert.equal(hex(backBits[i]), hex(want), `${dtype} round trip of ${hex(c.f32)}`);
    });
    const rounded = values.slice();
    roundToWire(dtype, rounded);
    assert.deepEqual(new Uint32Array(rounded.buffer), backBits);
    // Adding widens and adds in float32.
    const sums = Float32Array.from(values, () => 0.25);
    decode16(dtype, halves(words), sums, true);
    sums.forEach((s, i) => assert.ok(Object.is(s, Math.fround(back[i] + 0.25)) || isNaN(s)));
  }
});

Deno.test("the array fp16 cast agrees with the scalar one on every exponent and rounding edge", () => {
  const lows = [0, 1, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0x1001, 0x1fff];
  const list: number[] = [];
  for (let top = 0; top < 512; top++) {
    for (let hi = 0; hi < 1024; hi += 7) {
      for (const lo of lows) list.push(((top << 23) | (hi << 13) | lo) >>> 0);
    }
  }
  const bits = Uint32Array.from(list);
  const out = new Uint16Array(bits.length);
  encode16("fp16", new Float32Array(bits.buffer), out);
  for (let i = 0; i < bits.length; i++) {
    if (out[i] !== halfBitsOf(bits[i])) assert.fail(`half of ${hex(bits[i])}: ${hex(out[i])}`);
  }
});
