// One step of torch.optim.Adagrad in place; clr is the lr after lr_decay, from the host.
fn update(i: u32) {
  let d = direction(i);
  let s = sum[i] + d * d;
  sum[i] = s;
  p[i] -= params.clr * (d / (sqrt(s) + params.eps));
}
