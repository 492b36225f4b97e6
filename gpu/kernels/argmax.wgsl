// dst[r] = index of the first maximum of row r, scanning in order like the CPU reference
// (so ties and NaNs resolve the same way). Rows are class scores: short.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= params.rows) {
    return;
  }
  let base = r * params.cols;
  var best = 0u;
  for (var c = 1u; c < params.cols; c++) {
    if (src[base + c] > src[base + best]) {
      best = c;
    }
  }
  dst[r] = f32(best);
}
