// x[b, ci, iy, ix] = the sum of every column entry that reads it: for each window tap
// (i, j), the output (oy, ox) whose tap lands here.
fn input_element(e: u32, iy: u32, ix: u32, plane: u32) {
  x[e] = landing_tap_sum(iy, ix, plane);
}

// cols[row, col] with row = (ci, i, j) and col = (b, oy, ox); plane = b·c + ci.
fn tap_value(plane: u32, iy: u32, ix: u32, i: u32, j: u32, oy: u32, ox: u32) -> f32 {
  let row = ((plane % params.c) * params.kh + i) * params.kw + j;
  let col = ((plane / params.c) * params.out_h + oy) * params.out_w + ox;
  return cols[row * params.n * params.out_h * params.out_w + col];
}
