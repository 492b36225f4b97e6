// One step of torch.optim.Adam (or AdamW when `decoupled`) in place, as
// core/optim/updates/adam.ts computes it. Bias corrections and 1 − β are computed on the host
// in double precision and arrive ready to use.
fn update(i: u32) {
  var d = select(g[i], -g[i], params.maximize != 0u);
  var w = p[i];
  if (params.decoupled != 0u) {
    w *= params.decay_factor;
  } else if (params.weight_decay != 0.0) {
    d += params.weight_decay * w;
  }
  let moments = update_moments(i, d);
  var second = moments.v;
  if (params.amsgrad != 0u) {
    second = max(max_exp_avg_sq[i], moments.v);
    max_exp_avg_sq[i] = second;
  }
  let denom = sqrt(second) / params.bias_correction2_sqrt + params.eps;
  p[i] = w - params.step_size * (moments.m / denom);
}
