// One step of torch.optim.SparseAdam in place over rows of `row_size` elements: a row
// whose gradient is all zero is absent from the sparse gradient and keeps its state.
fn update(i: u32) {
  let start = i - i % params.row_size;
  let end = min(start + params.row_size, params.n);
  var present = false;
  for (var j = start; j < end; j++) {
    if (g[j] != 0.0) {
      present = true;
      break;
    }
  }
  if (!present) {
    return;
  }
  let d = select(g[i], -g[i], params.maximize != 0u);
  let dm = (d - exp_avg[i]) * params.one_minus_beta1;
  let dv = (d * d - exp_avg_sq[i]) * params.one_minus_beta2;
  let numer = dm + exp_avg[i];
  let denom = sqrt(dv + exp_avg_sq[i]) + params.eps;
  exp_avg[i] += dm;
  exp_avg_sq[i] += dv;
  p[i] += -params.step_size * (numer / denom);
}
