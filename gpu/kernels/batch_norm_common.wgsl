// Index of value k (0 ≤ k < n·len) of channel ch in [n, c, len] storage.
fn channel_at(ch: u32, k: u32) -> u32 {
  return ((k / params.len) * params.c + ch) * params.len + k % params.len;
}

// Mean and biased variance of channel ch over its n·len values, by a workgroup (two passes,
// like the CPU's), or the given statistics when BATCH is false; call from uniform control flow.
fn channel_stats(ch: u32, t: u32) -> vec2<f32> {
  if (!BATCH) {
    return vec2<f32>(mean[ch], variance[ch]);
  }
  let count = params.n * params.len;
  var sum = 0.0;
  for (var k = t; k < count; k += REDUCE_WG) {
    sum += x[channel_at(ch, k)];
  }
  let m = workgroup_reduce(t, sum, false) / f32(count);
  var squares = 0.0;
  for (var k = t; k < count; k += REDUCE_WG) {
    let d = x[channel_at(ch, k)] - m;
    squares += d * d;
  }
  return vec2<f32>(m, workgroup_reduce(t, squares, false) / f32(count));
}
