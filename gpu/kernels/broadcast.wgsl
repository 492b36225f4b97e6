// dst[i] = binary_op(a[ia], b[ib], alpha, beta) where ia and ib follow the output index
// through each operand's strides (0 along broadcast dimensions). RANK is the collapsed rank.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = 0u; d < RANK; d++) {
    let axis = RANK - 1u - d;
    let extent = params.shape[axis / 4u][axis % 4u];
    let index = rest % extent;
    rest /= extent;
    ia += index * params.a_strides[axis / 4u][axis % 4u];
    ib += index * params.b_strides[axis / 4u][axis % 4u];
  }
  dst[i] = binary_op(a[ia], b[ib], params.alpha, params.beta);
}
