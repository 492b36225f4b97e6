// One step of torch.optim.ASGD in place. eta and mu are the host's scalar state.
fn update(i: u32) {
  let d = direction(i);
  let w = p[i] * params.decay - params.eta * d;
  p[i] = w;
  ax[i] = select(w, ax[i] + (w - ax[i]) * params.mu, params.mu != 1.0);
}
