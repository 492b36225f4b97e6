// Row-wise softmax (or log-softmax when LOG) of [rows, cols] (entry: softmax_rows.wgsl).
fn softmax_row(row: u32, t: u32, base: u32, row_max: f32, sum: f32) {
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
