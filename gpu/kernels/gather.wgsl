// dst[r] = src[r, idx[r]], or 0 where the index is outside [0, cols).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg);
  if (r >= params.rows) {
    return;
  }
  let c = idx[r];
  var value = 0.0;
  if (c >= 0.0 && c < f32(params.cols)) {
    value = src[r * params.cols + u32(c)];
  }
  dst[r] = value;
}
