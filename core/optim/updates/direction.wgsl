// The gradient as an update starts from it: negated to maximize, plus the L2 penalty.
fn direction(i: u32) -> f32 {
  var d = select(g[i], -g[i], params.maximize != 0u);
  if (params.weight_decay != 0.0) {
    d += params.weight_decay * p[i];
  }
  return d;
}
