fn load(i: u32) -> f32 {
  return abs(x[i]);
}
