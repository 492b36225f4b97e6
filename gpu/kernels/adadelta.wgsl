// One step of torch.optim.Adadelta in place.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  let d = direction(i);
  let sa = params.rho * square_avg[i] + params.one_minus_rho * d * d;
  square_avg[i] = sa;
  let delta = sqrt(acc_delta[i] + params.eps) / sqrt(sa + params.eps) * d;
  acc_delta[i] = params.rho * acc_delta[i] + params.one_minus_rho * delta * delta;
  p[i] -= params.lr * delta;
}
