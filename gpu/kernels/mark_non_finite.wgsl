// One workgroup finds the first NaN or ±∞ of x (exponent bits all ones, a test that
// compilers cannot fold away as they may `v != v`) and, if flag[0] is still 0, writes
// [mark, ⌊i / 65536⌋, i mod 65536] into flag. One workgroup keeps the flag write free of
// races; the strided scan reads x once.
var<workgroup> first: array<u32, WG>;

fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var found = 0xffffffffu;
  for (var i = t; i < params.n; i += WG) {
    if (non_finite(x[i])) {
      found = i;
      break;
    }
  }
  first[t] = found;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      first[t] = min(first[t], first[t + s]);
    }
    workgroupBarrier();
  }
  if (t == 0u && first[0] != 0xffffffffu && flag[0] == 0.0) {
    flag[0] = params.mark;
    flag[1] = f32(first[0] >> 16u);
    flag[2] = f32(first[0] & 0xffffu);
  }
}
