// dst[i] = uniform in [0, 1): Philox2x32-10 of the 64-bit counter offset + i (low word first)
// under key seed, the first output word's top 24 bits over 2^24. The same integer steps as
// core/cpu/random.ts, so both backends give the same bits.
const PHILOX_M = 0xd256d193u;
const PHILOX_W = 0x9e3779b9u;

// High 32 bits of a * b from 16-bit halves: no partial product overflows a u32.
fn mul_hi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let mid = ((a_lo * b_lo) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return a_hi * b_hi + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  var x0 = params.offset_lo + i;
  var x1 = params.offset_hi + select(0u, 1u, x0 < i);
  var key = params.seed;
  for (var round = 0u; round < 10u; round++) {
    let hi = mul_hi(PHILOX_M, x0);
    let lo = PHILOX_M * x0;
    x0 = hi ^ key ^ x1;
    x1 = lo;
    key += PHILOX_W;
  }
  dst[i] = f32(x0 >> 8u) * (1.0 / 16777216.0);
}
