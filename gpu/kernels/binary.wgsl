// dst[i] = binary_op(a[i], b[i], alpha, beta) for operands of the output's shape.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < params.n) {
    dst[i] = binary_op(a[i], b[i], params.alpha, params.beta);
  }
}
