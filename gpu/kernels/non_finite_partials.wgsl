// First pass: each workgroup finds the least index of a non-finite x[i] in its strided share
// (each thread stops at its first, which is the least of its own elements) and writes it to
// partials[2·wg], partials[2·wg + 1] as two halves.
@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  var found = NONE;
  for (var i = wid.x * WG + t; i < params.n; i += nwg.x * WG) {
    if (non_finite(x[i])) {
      found = i;
      break;
    }
  }
  let least = workgroup_min(t, found);
  if (t == 0u) {
    partials[2u * wid.x] = f32(least >> 16u);
    partials[2u * wid.x + 1u] = f32(least & 0xffffu);
  }
}
