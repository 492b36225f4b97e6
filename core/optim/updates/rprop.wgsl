// One step of torch.optim.Rprop in place: each step size grows while the gradient keeps
// its sign and shrinks when it flips (and that element then skips its update).
fn update(i: u32) {
  var d = select(g[i], -g[i], params.maximize != 0u);
  let s = sign(d * prev[i]);
  var factor = 1.0;
  if (s > 0.0) {
    factor = params.eta_plus;
  } else if (s < 0.0) {
    factor = params.eta_minus;
    d = 0.0;
  }
  let previous = select(step_size[i], params.lr, params.first_step != 0u);
  let size = clamp(previous * factor, params.step_size_min, params.step_size_max);
  step_size[i] = size;
  p[i] -= sign(d) * size;
  prev[i] = d;
}
