// Entry point of the optimizer updates: one thread per element i of the flat parameter
// buffer, handed to the kernel's `update`.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i < params.n) {
    update(i);
  }
}
