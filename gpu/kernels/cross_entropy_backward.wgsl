// Gradient of the fused cross-entropy with respect to the logits, one workgroup per row:
// coef·(w[y]·(1−ε)·(p[c] − [c = y]) + ε/C·(W·p[c] − w[c])), W = Σ w, coef the upstream
// gradient times scale (÷ the forward's weight sum when MEAN). Ignored rows get zeros.
@compute @workgroup_size(ROW_WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let row = group_index(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.cols;
  var m = neg_inf();
  var w_all = 0.0;
  for (var c = t; c < params.cols; c += ROW_WG) {
    m = max(m, logits[base + c]);
    w_all += class_weight(c);
  }
  m = workgroup_reduce(t, m, true);
  w_all = workgroup_reduce(t, w_all, false);
  var s = 0.0;
  for (var c = t; c < params.cols; c += ROW_WG) {
    s += exp(logits[base + c] - m);
  }
  s = workgroup_reduce(t, s, false);
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
    let p = exp(logits[base + c] - m) / s;
    let hard = w_y * (1.0 - eps) * (p - select(0.0, 1.0, i32(c) == y));
    let g = coef * (hard + eps / f32(params.cols) * (w_all * p - class_weight(c)));
    dst[base + c] = select(0.0, g, y >= 0);
  }
}
