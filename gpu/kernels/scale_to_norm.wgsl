// clip_grad_norm_'s scaling, in place: x *= min(1, max_norm / (norm + 1e-6)), with the
// total norm read from the device.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < params.n) {
    x[i] *= min(1.0, params.max_norm / (norm[0] + 1e-6));
  }
}
