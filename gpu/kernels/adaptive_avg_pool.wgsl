// out[b, ci, oy, ox] = the mean of its adaptive window. One thread per output.
fn output_element(e: u32, oy: u32, ox: u32, base: u32) {
  let r = adaptive_span(oy, params.h, params.out_h);
  let c = adaptive_span(ox, params.w, params.out_w);
  var sum = 0.0;
  for (var iy = r.x; iy < r.y; iy++) {
    for (var ix = c.x; ix < c.y; ix++) {
      sum += x[base + iy * params.w + ix];
    }
  }
  out[e] = sum / f32((r.y - r.x) * (c.y - c.x));
}
