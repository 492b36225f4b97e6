// Entry point of the kernels over the softmax of each row of [rows, cols] src, one
// workgroup per row: a shared-memory reduction finds the row's max, a second its sum of
// exp(x - max), so no exponent sees more than 0 and ±1e4 logits stay finite; the kernel's
// `softmax_row` gets them with the row's first element (base) and this thread (t).
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
  softmax_row(row, t, base, row_max, sum);
}
