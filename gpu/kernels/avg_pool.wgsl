// out[b, ci, oy, ox] = the sum of its window over avg_divisor. One thread per output.
fn output_element(e: u32, oy: u32, ox: u32, base: u32) {
  let r = avg_span(oy, params.stride_h, params.pad_h, params.kh, params.h);
  let c = avg_span(ox, params.stride_w, params.pad_w, params.kw, params.w);
  var sum = 0.0;
  for (var iy = r.x; iy < r.y; iy++) {
    for (var ix = c.x; ix < c.y; ix++) {
      sum += x[base + iy * params.w + ix];
    }
  }
  out[e] = sum / avg_divisor(r, c);
}
