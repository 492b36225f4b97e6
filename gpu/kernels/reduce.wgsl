// Reduces [outer, len, inner] over len with one thread per output. Neighbouring threads
// take neighbouring inner indices, so each step of the loop reads a contiguous run.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.outer * params.inner) {
    return;
  }
  var index = (i / params.inner) * params.len * params.inner + i % params.inner;
  var acc = identity();
  for (var l = 0u; l < params.len; l++) {
    acc = combine(acc, load_src(index));
    index += params.inner;
  }
  dst[i] = acc;
}
