// One step of torch.optim.NAdam in place; the μ-schedule coefficients come from the host,
// which keeps mu_product.
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
  let denom = sqrt(v / params.bias_correction2) + params.eps;
  var w = p[i] - params.grad_coef * (d / denom);
  p[i] = w - params.avg_coef * (m / denom);
}
