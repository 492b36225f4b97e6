// One step of torch.optim.SGD in place, as its record's reference update computes it. The flags
// are uniform across the dispatch, so their branches cost nothing per element.
fn update(i: u32) {
  var d = direction(i);
  if (params.momentum != 0.0) {
    var buf = d;
    if (params.first_step == 0u) {
      buf = params.momentum * momentum_buffer[i] + params.one_minus_dampening * d;
    }
    momentum_buffer[i] = buf;
    d = select(buf, d + params.momentum * buf, params.nesterov != 0u);
  }
  p[i] -= params.lr * d;
}
