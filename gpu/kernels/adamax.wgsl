// One step of torch.optim.Adamax in place.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  let d = direction(i);
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * d;
  exp_avg[i] = m;
  let u = max(params.beta2 * exp_inf[i], abs(d) + params.eps);
  exp_inf[i] = u;
  p[i] -= params.clr * (m / u);
}
