fn identity() -> f32 {
  return neg_inf();
}

// A NaN wins and stays, as in the CPU reference.
fn combine(acc: f32, v: f32) -> f32 {
  return select(acc, v, v > acc || is_nan(v));
}
