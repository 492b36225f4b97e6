// One step of torch.optim.Adamax in place.
fn update(i: u32) {
  let d = direction(i);
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * d;
  exp_avg[i] = m;
  let u = max(params.beta2 * exp_inf[i], abs(d) + params.eps);
  exp_inf[i] = u;
  p[i] -= params.clr * (m / u);
}
