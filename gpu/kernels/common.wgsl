// Helpers every kernel may use. A dispatch holds at most 65,535 workgroups per dimension,
// so large launches spread over a 2-D grid and kernels flatten it back.

// Index of this invocation in a 2-D grid of WG-wide workgroups.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Index of this workgroup in a 2-D grid (one workgroup per row).
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Compilers may assume NaN never occurs and fold `v != v` away; the bit test survives.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn neg_inf() -> f32 {
  return bitcast<f32>(0xff800000u);
}

// x^e with Math.pow's results where WGSL's pow is undefined (x ≤ 0) or off (e = 0);
// the elementwise table's `pow` uses it.
fn pow_real(x: f32, e: f32) -> f32 {
  if (e == 0.0) {
    return 1.0;
  }
  if (x > 0.0) {
    return pow(x, e);
  }
  if (x == 0.0) {
    return select(bitcast<f32>(0x7f800000u), 0.0, e > 0.0);
  }
  if (fract(e) != 0.0) {
    return bitcast<f32>(0x7fc00000u);
  }
  let magnitude = pow(-x, e);
  return select(magnitude, -magnitude, fract(e * 0.5) != 0.0);
}
