// The output row (or column) whose window tap `tap` lands on input row i, or -1 when none
// does: the stride must reach it exactly and the output must exist.
fn tap_output(i: u32, tap: u32, stride: u32, pad: u32, dilation: u32, out_size: u32) -> i32 {
  let t = i32(i + pad) - i32(tap * dilation);
  if (t < 0 || u32(t) % stride != 0u || u32(t) / stride >= out_size) {
    return -1;
  }
  return t / i32(stride);
}

// The sum, in tap order, of the kernel's `tap_value` over every window tap (i, j) whose
// output (oy, ox) lands on input element (iy, ix) of `plane`.
fn landing_tap_sum(iy: u32, ix: u32, plane: u32) -> f32 {
  var sum = 0.0;
  for (var i = 0u; i < params.kh; i++) {
    let oy = tap_output(iy, i, params.stride_h, params.pad_h, params.dilation_h, params.out_h);
    if (oy < 0) {
      continue;
    }
    for (var j = 0u; j < params.kw; j++) {
      let ox = tap_output(ix, j, params.stride_w, params.pad_w, params.dilation_w, params.out_w);
      if (ox < 0) {
        continue;
      }
      sum += tap_value(plane, iy, ix, i, j, u32(oy), u32(ox));
    }
  }
  return sum;
}
