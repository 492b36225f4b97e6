// What the fused cross-entropy's forward and backward share: a row's target and the
// class weights (all 1 without a weight binding in use).

// Row r's target class, or -1 when it is ignored (equal to ignore_index or outside
// [0, cols)), like the CPU reference.
fn target_of(r: u32) -> i32 {
  let y = labels[r];
  if (y >= 0.0 && y < f32(params.cols) && y != params.ignore_index) {
    return i32(y);
  }
  return -1;
}

fn class_weight(c: u32) -> f32 {
  if (HAS_WEIGHT) {
    return weight[c];
  }
  return 1.0;
}
