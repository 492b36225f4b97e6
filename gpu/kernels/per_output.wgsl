// Entry point of the kernels that run one thread per output element of NCHW planes: finds
// output element e's column ox and row oy and where its input plane starts (base), and
// hands them to the kernel's `output_element`.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  if (e >= params.n * params.c * params.out_h * params.out_w) {
    return;
  }
  let ox = e % params.out_w;
  let oy = (e / params.out_w) % params.out_h;
  output_element(e, oy, ox, e / (params.out_w * params.out_h) * params.h * params.w);
}
