// Row-wise softmax (or log-softmax when LOG) of [rows, cols], one workgroup per row:
// a shared-memory reduction finds the row's max, a second its sum of exp(x - max), so
// no exponent sees more than 0 and ±1e4 logits stay finite.
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
  row_max = workgroup_reduce(t, row_max, true);
  var sum = 0.0;
  for (var c = t; c < params.cols; c += ROW_WG) {
    sum += exp(src[base + c] - row_max);
  }
  sum = workgroup_reduce(t, sum, false);
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
