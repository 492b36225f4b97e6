// One step of torch.optim.RAdam in place; the host decides whether the variance is
// tractable (ρₜ > 5) and passes the rectification term.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  let d = direction(i);
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * d;
  let v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * d * d;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let corrected = m / params.bias_correction1 * params.lr;
  if (params.rectified != 0u) {
    let adaptive = params.bias_correction2_sqrt / (sqrt(v) + params.eps);
    p[i] -= corrected * adaptive * params.rect;
  } else {
    p[i] -= corrected;
  }
}
