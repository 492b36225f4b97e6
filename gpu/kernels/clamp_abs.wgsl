// clip_grad_value_, in place: x = clamp(x, -limit, limit).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < params.n) {
    x[i] = clamp(x[i], -params.limit, params.limit);
  }
}
