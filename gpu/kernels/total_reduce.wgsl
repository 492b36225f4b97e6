// Reduces load(0..n) to one value per workgroup: each thread combines a strided run, then
// the workgroup combines its threads' values in a tree. With one workgroup, dst[0] is the
// total; with many, dst holds partials that a second one-workgroup pass combines.
var<workgroup> scratch: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  var acc = identity();
  for (var i = wid.x * WG + t; i < params.n; i += nwg.x * WG) {
    acc = combine(acc, load(i));
  }
  scratch[t] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      scratch[t] = combine(scratch[t], scratch[t + s]);
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    dst[wid.x] = scratch[0];
  }
}
