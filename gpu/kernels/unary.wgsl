// dst[i] = unary_op(src[i], alpha, beta); unary_op comes from the elementwise table.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < params.n) {
    dst[i] = unary_op(src[i], params.alpha, params.beta);
  }
}
