// One step of torch.optim.RMSprop in place (centered and momentum variants by flag).
fn update(i: u32) {
  let d = direction(i);
  let sa = params.alpha * square_avg[i] + params.one_minus_alpha * d * d;
  square_avg[i] = sa;
  var avg: f32;
  if (params.centered != 0u) {
    let ga = params.alpha * grad_avg[i] + params.one_minus_alpha * d;
    grad_avg[i] = ga;
    avg = sqrt(sa - ga * ga);
  } else {
    avg = sqrt(sa);
  }
  avg += params.eps;
  if (params.momentum > 0.0) {
    let buf = params.momentum * momentum_buffer[i] + d / avg;
    momentum_buffer[i] = buf;
    p[i] -= params.lr * buf;
  } else {
    p[i] -= params.lr * (d / avg);
  }
}
