// out[b, ci, oy, ox] = the sum of its window over avg_divisor. One thread per output.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  if (e >= params.n * params.c * params.out_h * params.out_w) {
    return;
  }
  let ox = e % params.out_w;
  let oy = (e / params.out_w) % params.out_h;
  let base = e / (params.out_w * params.out_h) * params.h * params.w;
  let r = avg_span(oy, params.stride_h, params.pad_h, params.kh, params.h);
  let c = avg_span(ox, params.stride_w, params.pad_w, params.kw, params.w);
  var sum = 0.0;
  for (var iy = r.x; iy < r.y; iy++) {
    for (var ix = c.x; ix < c.y; ix++) {
      sum += x[base + iy * params.w + ix];
    }
  }
  out[e] = sum / avg_divisor(r, c);
}
