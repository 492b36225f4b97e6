// Entry point of the kernels that run one thread per input element of NCHW planes: finds
// input element e's column ix, row iy and plane (b·c + ci), and hands them to the kernel's
// `input_element`.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  if (e >= params.n * params.c * params.h * params.w) {
    return;
  }
  let ix = e % params.w;
  let iy = (e / params.w) % params.h;
  input_element(e, iy, ix, e / (params.w * params.h));
}
