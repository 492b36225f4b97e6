// One step of torch.optim.Adadelta in place.
fn update(i: u32) {
  let d = direction(i);
  let sa = params.rho * square_avg[i] + params.one_minus_rho * d * d;
  square_avg[i] = sa;
  let delta = sqrt(acc_delta[i] + params.eps) / sqrt(sa + params.eps) * d;
  acc_delta[i] = params.rho * acc_delta[i] + params.one_minus_rho * delta * delta;
  p[i] -= params.lr * delta;
}
