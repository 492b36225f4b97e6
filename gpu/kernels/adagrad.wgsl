// One step of torch.optim.Adagrad in place; clr is the lr after lr_decay, from the host.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  let d = direction(i);
  let s = sum[i] + d * d;
  sum[i] = s;
  p[i] -= params.clr * (d / (sqrt(s) + params.eps));
}
