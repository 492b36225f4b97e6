// Tree reduction over a workgroup of REDUCE_WG threads by max or sum; every thread gets
// the result. Call it from uniform control flow only (it holds barriers).
var<workgroup> partial: array<f32, REDUCE_WG>;

fn workgroup_reduce(t: u32, value: f32, by_max: bool) -> f32 {
  partial[t] = value;
  workgroupBarrier();
  for (var half = REDUCE_WG / 2u; half > 0u; half /= 2u) {
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
