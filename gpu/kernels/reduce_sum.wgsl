fn identity() -> f32 {
  return 0.0;
}

fn combine(acc: f32, v: f32) -> f32 {
  return acc + v;
}
