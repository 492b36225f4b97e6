// One step of torch.optim.Adam (or AdamW when `decoupled`) in place, as
// core/optim/update.ts computes it. Bias corrections and 1 − β are computed on the host
// in double precision and arrive ready to use.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  var d = select(g[i], -g[i], params.maximize != 0u);
  var w = p[i];
  if (params.decoupled != 0u) {
    w *= params.decay_factor;
  } else if (params.weight_decay != 0.0) {
    d += params.weight_decay * w;
  }
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * d;
  let v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * d * d;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  var second = v;
  if (params.amsgrad != 0u) {
    second = max(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = second;
  }
  p[i] = w - params.step_size * (m / (sqrt(second) / params.bias_correction2_sqrt + params.eps));
}
