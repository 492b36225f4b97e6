// gx[b, ci, iy, ix] = the sum of gy over the outputs whose maximum is this element: for
// each window tap, the output whose tap lands here (if the stride reaches it exactly),
// when its index names this element. One thread per input element.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  if (e >= params.n * params.c * params.h * params.w) {
    return;
  }
  let ix = e % params.w;
  let iy = (e / params.w) % params.h;
  let out_base = e / (params.w * params.h) * params.out_h * params.out_w;
  let here = f32(iy * params.w + ix);
  var sum = 0.0;
  for (var i = 0u; i < params.kh; i++) {
    let ty = i32(iy + params.pad_h) - i32(i * params.dilation_h);
    if (ty < 0 || u32(ty) % params.stride_h != 0u || u32(ty) / params.stride_h >= params.out_h) {
      continue;
    }
    let oy = u32(ty) / params.stride_h;
    for (var j = 0u; j < params.kw; j++) {
      let tx = i32(ix + params.pad_w) - i32(j * params.dilation_w);
      if (tx < 0 || u32(tx) % params.stride_w != 0u || u32(tx) / params.stride_w >= params.out_w) {
        continue;
      }
      let o = out_base + oy * params.out_w + u32(tx) / params.stride_w;
      if (idx[o] == here) {
        sum += gy[o];
      }
    }
  }
  gx[e] = sum;
}
