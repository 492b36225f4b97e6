// gx[b, ci, iy, ix] = the sum of gy / window size over the adaptive windows holding this
// element: rows ⌊iy·out_h/h⌋ to ⌈(iy + 1)·out_h/h⌉ − 1, columns alike. One thread per input
// element.
fn input_element(e: u32, iy: u32, ix: u32, plane: u32) {
  let out_base = plane * params.out_h * params.out_w;
  let rows = adaptive_span(iy, params.out_h, params.h);
  let cols = adaptive_span(ix, params.out_w, params.w);
  var sum = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    let r = adaptive_span(oy, params.h, params.out_h);
    for (var ox = cols.x; ox < cols.y; ox++) {
      let c = adaptive_span(ox, params.w, params.out_w);
      sum += gy[out_base + oy * params.out_w + ox] / f32((r.y - r.x) * (c.y - c.x));
    }
  }
  gx[e] = sum;
}
