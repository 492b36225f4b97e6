fn load(i: u32) -> f32 {
  return a[i] * b[i];
}
