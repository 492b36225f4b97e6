// cols[row, col], row = (ci, i, j) and col = (b, oy, ox): what window tap (i, j) of output
// (oy, ox) reads from plane (b, ci), or 0 in the padding. Consecutive threads write
// consecutive columns, so the stores coalesce.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  let plane = params.out_h * params.out_w;
  let width = params.n * plane;
  if (e >= params.c * params.kh * params.kw * width) {
    return;
  }
  let row = e / width;
  let col = e % width;
  let b = col / plane;
  let oy = (col % plane) / params.out_w;
  let ox = col % params.out_w;
  let j = row % params.kw;
  let i = (row / params.kw) % params.kh;
  let ci = row / (params.kw * params.kh);
  let iy = i32(oy * params.stride_h + i * params.dilation_h) - i32(params.pad_h);
  let ix = i32(ox * params.stride_w + j * params.dilation_w) - i32(params.pad_w);
  var v = 0.0;
  if (iy >= 0 && iy < i32(params.h) && ix >= 0 && ix < i32(params.w)) {
    v = x[((b * params.c + ci) * params.h + u32(iy)) * params.w + u32(ix)];
  }
  cols[e] = v;
}
