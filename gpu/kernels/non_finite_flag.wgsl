// Second pass, one workgroup: the least index over the first pass's partials, written into
// flag as [mark, ⌊i / 65536⌋, i mod 65536] unless nothing was found or flag[0] is already set.
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var found = NONE;
  for (var g = t; g < params.groups; g += WG) {
    found = min(found, (u32(partials[2u * g]) << 16u) | u32(partials[2u * g + 1u]));
  }
  let least = workgroup_min(t, found);
  if (t == 0u && least != NONE && flag[0] == 0.0) {
    flag[0] = params.mark;
    flag[1] = f32(least >> 16u);
    flag[2] = f32(least & 0xffffu);
  }
}
