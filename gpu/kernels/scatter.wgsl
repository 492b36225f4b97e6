// dst[r, c] = g[r] where c == idx[r], else 0: one thread per output element, so the
// result needs no clearing pass and bad indices simply never match.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.rows * params.cols) {
    return;
  }
  let r = i / params.cols;
  dst[i] = select(0.0, src[r], idx[r] == f32(i % params.cols));
}
