// Gradient of the fused cross-entropy with respect to the logits src (entry:
// softmax_rows.wgsl): coef·(w[y]·(1−ε)·(p[c] − [c = y]) + ε/C·(W·p[c] − w[c])), W = Σ w,
// coef the upstream gradient times scale (÷ the forward's weight sum when MEAN). Ignored
// rows get zeros.
fn softmax_row(row: u32, t: u32, base: u32, row_max: f32, sum: f32) {
  var w_all = 0.0;
  for (var c = t; c < params.cols; c += ROW_WG) {
    w_all += class_weight(c);
  }
  w_all = workgroup_reduce(t, w_all, false);
  let y = target_of(row);
  var upstream = gy[0];
  if (!REDUCED) {
    upstream = gy[row];
  }
  var coef = params.scale * upstream;
  if (MEAN) {
    coef = coef / totals[1];
  }
  let eps = params.smoothing;
  let w_y = class_weight(u32(max(y, 0)));
  for (var c = t; c < params.cols; c += ROW_WG) {
    let p = exp(src[base + c] - row_max) / sum;
    let hard = w_y * (1.0 - eps) * (p - select(0.0, 1.0, i32(c) == y));
    let g = coef * (hard + eps / f32(params.cols) * (w_all * p - class_weight(c)));
    dst[base + c] = select(0.0, g, y >= 0);
  }
}
