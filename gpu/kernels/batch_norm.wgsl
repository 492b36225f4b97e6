// Batch norm forward, one workgroup per channel: y = (x − mean)/√(var + eps)·γ + β, with the
// batch's statistics (written to mean and variance) when BATCH, else the given ones.
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
  let stats = channel_stats(ch, t);
  if (BATCH && t == 0u) {
    mean[ch] = stats.x;
    variance[ch] = stats.y;
  }
  let inv_std = 1.0 / sqrt(stats.y + params.eps);
  var scale = inv_std;
  var shift = 0.0;
  if (AFFINE) {
    scale *= weight[ch];
    shift = bias[ch];
  }
  let count = params.n * params.len;
  for (var k = t; k < count; k += REDUCE_WG) {
    let i = channel_at(ch, k);
    y[i] = (x[i] - stats.x) * scale + shift;
  }
}
