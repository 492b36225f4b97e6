// One step of torch.optim.ASGD in place. eta and mu are the host's scalar state.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.n) {
    return;
  }
  let d = direction(i);
  let w = p[i] * params.decay - params.eta * d;
  p[i] = w;
  ax[i] = select(w, ax[i] + (w - ax[i]) * params.mu, params.mu != 1.0);
}
