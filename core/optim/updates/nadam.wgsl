// One step of torch.optim.NAdam in place; the μ-schedule coefficients come from the host,
// which keeps mu_product.
fn update(i: u32) {
  let d = direction(i);
  let moments = update_moments(i, d);
  let denom = sqrt(moments.v / params.bias_correction2) + params.eps;
  var w = p[i] - params.grad_coef * (d / denom);
  p[i] = w - params.avg_coef * (moments.m / denom);
}
