// A batch gathered from a dataset on the device, one thread per output value. The images
// may be bound in shards (a binding has a size limit): this dispatch binds samples
// [first, first + shard) and writes the rows whose index falls there, x[r, j] =
// images[idx[r], j] and, from each row's first thread, y[r] = labels[idx[r]]. The shard
// with first = 0 also writes zeros for indices outside [0, count).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.rows * params.width) {
    return;
  }
  let r = i / params.width;
  let j = i - r * params.width;
  let k = idx[r];
  let valid = k >= 0.0 && k < f32(params.count);
  let local = k - f32(params.first);
  let here = valid && local >= 0.0 && local < f32(params.shard);
  if (!here && (valid || params.first != 0u)) {
    return;
  }
  let sample = u32(select(0.0, local, here));
  x[i] = select(0.0, images[sample * params.width + j], here);
  if (j == 0u) {
    y[r] = select(0.0, labels[u32(select(0.0, k, here))], here);
  }
}
