// Fused metric tally, one workgroup: sums[0] += loss[0]·loss_scale and sums[1] += the rows
// whose first maximum (scanned in order, like argmax) is at their label.
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var hits = 0.0;
  for (var r = t; r < params.rows; r += WG) {
    let base = r * params.cols;
    var best = 0u;
    for (var c = 1u; c < params.cols; c++) {
      if (logits[base + c] > logits[base + best]) {
        best = c;
      }
    }
    hits += select(0.0, 1.0, f32(best) == labels[r]);
  }
  hits = workgroup_reduce(t, hits, false);
  if (t == 0u) {
    sums[0] += loss[0] * params.loss_scale;
    sums[1] += hits;
  }
}
