// Row-wise softmax (or log-softmax when LOG) of [rows, cols], one workgroup per row:
// a shared-memory reduction finds the row's max, a second its sum of exp(x - max), so
// no exponent sees more than 0 and ±1e4 logits stay finite.
var<workgroup> partial: array<f32, ROW_WG>;

// Tree reduction over the workgroup by max or sum; every thread gets the result.
fn reduce_row(t: u32, value: f32, by_max: bool) -> f32 {
  partial[t] = value;
  workgroupBarrier();
  for (var half = ROW_WG / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      let other = partial[t + half];
      partial[t] = select(partial[t] + other, max(partial[t], other), by_max);
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

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
  var row_max = neg_inf();
  for (var c = t; c < params.cols; c += ROW_WG) {
    row_max = max(row_max, src[base + c]);
  }
  row_max = reduce_row(t, row_max, true);
  var sum = 0.0;
  for (var c = t; c < params.cols; c += ROW_WG) {
    sum += exp(src[base + c] - row_max);
  }
  sum = reduce_row(t, sum, false);
  let log_sum = log(sum);
  for (var c = t; c < params.cols; c += ROW_WG) {
    let shifted = src[base + c] - row_max;
    if (LOG) {
      dst[base + c] = shifted - log_sum;
    } else {
      dst[base + c] = exp(shifted) / sum;
    }
  }
}
