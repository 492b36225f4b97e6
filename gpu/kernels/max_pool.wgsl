// out[b, ci, oy, ox] = the largest value of its window and idx = its plane index iy·w + ix
// (as f32): the first tap inside the plane until a larger value or a NaN comes, as in
// PyTorch. One thread per output.
fn output_element(e: u32, oy: u32, ox: u32, base: u32) {
  var best = neg_inf();
  var at = -1;
  for (var i = 0u; i < params.kh; i++) {
    let iy = i32(oy * params.stride_h + i * params.dilation_h) - i32(params.pad_h);
    if (iy < 0 || iy >= i32(params.h)) {
      continue;
    }
    for (var j = 0u; j < params.kw; j++) {
      let ix = i32(ox * params.stride_w + j * params.dilation_w) - i32(params.pad_w);
      if (ix < 0 || ix >= i32(params.w)) {
        continue;
      }
      let here = iy * i32(params.w) + ix;
      let v = x[base + u32(here)];
      if (at < 0 || v > best || is_nan(v)) {
        best = v;
        at = here;
      }
    }
  }
  out[e] = best;
  idx[e] = f32(at);
}
