// Fused metric tally, one workgroup: sums[0] += loss[0]·loss_scale, sums[1] += the rows
// whose first maximum (scanned in order, like argmax) is at their label, and sums[2] +=
// the entropy in bits of each row's softmax, (ln Σ e^d − Σ e^d·d / Σ e^d) / ln 2 with
// d = z − max z (core/metrics/entropy.ts).
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var hits = 0.0;
  var entropy = 0.0;
  for (var r = t; r < params.rows; r += WG) {
    let base = r * params.cols;
    var best = 0u;
    for (var c = 1u; c < params.cols; c++) {
      if (logits[base + c] > logits[base + best]) {
        best = c;
      }
    }
    hits += select(0.0, 1.0, f32(best) == labels[r]);
    let top = logits[base + best];
    var s = 0.0;
    var weighted = 0.0;
    for (var c = 0u; c < params.cols; c++) {
      let d = logits[base + c] - top;
      let e = exp(d);
      s += e;
      weighted += e * d;
    }
    entropy += (log(s) - weighted / s) * 1.4426950408889634;
  }
  hits = workgroup_reduce(t, hits, false);
  entropy = workgroup_reduce(t, entropy, false);
  if (t == 0u) {
    sums[0] += loss[0] * params.loss_scale;
    sums[1] += hits;
    sums[2] += entropy;
  }
}
