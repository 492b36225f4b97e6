// One step of torch.optim.RAdam in place; the host decides whether the variance is
// tractable (ρₜ > 5) and passes the rectification term.
fn update(i: u32) {
  let d = direction(i);
  let moments = update_moments(i, d);
  let corrected = moments.m / params.bias_correction1 * params.lr;
  if (params.rectified != 0u) {
    let adaptive = params.bias_correction2_sqrt / (sqrt(moments.v) + params.eps);
    p[i] -= corrected * adaptive * params.rect;
  } else {
    p[i] -= corrected;
  }
}
