// Batch norm backward, one workgroup per channel: gβ = Σ gy, gγ = Σ gy·x̂, and
// gx = γ·invStd·(gy − gβ/M − x̂·gγ/M) with batch statistics (BATCH), γ·invStd·gy without.
@compute @workgroup_size(REDUCE_WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let ch = group_index(wid, nwg);
  if (ch >= params.c) {
    return;
  }
  let m = mean[ch];
  let inv_std = 1.0 / sqrt(variance[ch] + params.eps);
  let count = params.n * params.len;
  var sum_gy = 0.0;
  var sum_gy_xhat = 0.0;
  for (var k = t; k < count; k += REDUCE_WG) {
    let i = channel_at(ch, k);
    sum_gy += gy[i];
    sum_gy_xhat += gy[i] * (x[i] - m) * inv_std;
  }
  sum_gy = workgroup_reduce(t, sum_gy, false);
  sum_gy_xhat = workgroup_reduce(t, sum_gy_xhat, false);
  if (t == 0u) {
    g_weight[ch] = sum_gy_xhat;
    g_bias[ch] = sum_gy;
  }
  var scale = inv_std;
  if (AFFINE) {
    scale *= weight[ch];
  }
  var mean_gy = 0.0;
  var mean_gy_xhat = 0.0;
  if (BATCH) {
    mean_gy = sum_gy / f32(count);
    mean_gy_xhat = sum_gy_xhat / f32(count);
  }
  for (var k = t; k < count; k += REDUCE_WG) {
    let i = channel_at(ch, k);
    gx[i] = scale * (gy[i] - mean_gy - (x[i] - m) * inv_std * mean_gy_xhat);
  }
}
