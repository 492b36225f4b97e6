// Adam's first and second moment estimates of one element.
struct Moments {
  m: f32,
  v: f32,
}

// The moments of element i after gradient d, stored back: m = β₁·m + (1 − β₁)·d and
// v = β₂·v + (1 − β₂)·d².
fn update_moments(i: u32, d: f32) -> Moments {
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * d;
  let v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * d * d;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  return Moments(m, v);
}
