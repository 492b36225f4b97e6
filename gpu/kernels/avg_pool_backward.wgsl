// gx[b, ci, iy, ix] = the sum of gy / avg_divisor over the windows that hold this element:
// rows oy with oy·stride − pad ≤ iy < oy·stride − pad + kh, columns alike. One thread per
// input element.
fn first_window(i: u32, stride: u32, pad: u32, k: u32) -> u32 {
  let t = i + pad + 1u;
  return select(0u, (t - k + stride - 1u) / stride, t > k);
}

fn input_element(e: u32, iy: u32, ix: u32, plane: u32) {
  let out_base = plane * params.out_h * params.out_w;
  let last_y = min((iy + params.pad_h) / params.stride_h, params.out_h - 1u);
  let last_x = min((ix + params.pad_w) / params.stride_w, params.out_w - 1u);
  var sum = 0.0;
  for (var oy = first_window(iy, params.stride_h, params.pad_h, params.kh); oy <= last_y; oy++) {
    let r = avg_span(oy, params.stride_h, params.pad_h, params.kh, params.h);
    for (var ox = first_window(ix, params.stride_w, params.pad_w, params.kw); ox <= last_x; ox++) {
      let c = avg_span(ox, params.stride_w, params.pad_w, params.kw, params.w);
      sum += gy[out_base + oy * params.out_w + ox] / avg_divisor(r, c);
    }
  }
  gx[e] = sum;
}
