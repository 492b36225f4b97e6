// Fused softmax cross-entropy forward. A row's loss with target y, from one pass of
// log-sum-exp: w[y]·(1−ε)·(lse − x[y]) + ε/C·Σ_c w[c]·(lse − x[c]). Without REDUCED, one
// thread per row writes scale·loss; with it, one workgroup sums every row's loss and
// target weight and writes [scale·total (÷ weight sum when MEAN), weight sum].

fn row_loss(r: u32, y: u32) -> f32 {
  let base = r * params.cols;
  var m = neg_inf();
  for (var c = 0u; c < params.cols; c++) {
    m = max(m, logits[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c < params.cols; c++) {
    s += exp(logits[base + c] - m);
  }
  let lse = m + log(s);
  var loss = class_weight(y) * (1.0 - params.smoothing) * (lse - logits[base + y]);
  if (params.smoothing > 0.0) {
    var spread = 0.0;
    for (var c = 0u; c < params.cols; c++) {
      spread += class_weight(c) * (lse - logits[base + c]);
    }
    loss += params.smoothing / f32(params.cols) * spread;
  }
  return loss;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  if (!REDUCED) {
    let r = flat_index(gid, nwg);
    if (r < params.rows) {
      let y = target_of(r);
      dst[r] = select(0.0, params.scale * row_loss(r, u32(max(y, 0))), y >= 0);
    }
    return;
  }
  var total = 0.0;
  var weights = 0.0;
  for (var r = t; r < params.rows; r += WG) {
    let y = target_of(r);
    if (y >= 0) {
      total += row_loss(r, u32(y));
      weights += class_weight(u32(y));
    }
  }
  total = workgroup_reduce(t, total, false);
  weights = workgroup_reduce(t, weights, false);
  if (t == 0u) {
    dst[0] = params.scale * select(total, total / weights, MEAN);
    dst[1] = weights;
  }
}
