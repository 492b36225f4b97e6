// gx[b, ci, iy, ix] = the sum of gy over the outputs whose maximum is this element: for
// each window tap, the output whose tap lands here, when its index names this element.
// One thread per input element.
fn input_element(e: u32, iy: u32, ix: u32, plane: u32) {
  gx[e] = landing_tap_sum(iy, ix, plane);
}

fn tap_value(plane: u32, iy: u32, ix: u32, i: u32, j: u32, oy: u32, ox: u32) -> f32 {
  let o = (plane * params.out_h + oy) * params.out_w + ox;
  if (idx[o] != f32(iy * params.w + ix)) {
    return 0.0;
  }
  return gy[o];
}
