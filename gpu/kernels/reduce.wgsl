// Reduces [outer, len, inner] over chunks of `chunk` values of len, giving
// [outer, ceil(len / chunk), inner]: one thread per output, looping over at most `chunk`
// values (a chunk of len or more reduces all of len at once). Neighbouring threads take
// neighbouring inner indices, so each step of the loop reads a contiguous run.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let chunks = (params.len + params.chunk - 1u) / params.chunk;
  if (i >= params.outer * chunks * params.inner) {
    return;
  }
  let first = (i / params.inner) % chunks * params.chunk;
  let count = min(params.chunk, params.len - first);
  var index = ((i / (chunks * params.inner)) * params.len + first) * params.inner + i % params.inner;
  var acc = identity();
  for (var l = 0u; l < count; l++) {
    acc = combine(acc, load_src(index));
    index += params.inner;
  }
  dst[i] = acc;
}
