// Rows [x, y) of average-pool window o inside a plane of `size` rows, and in z how many
// rows it spans counting padding (PyTorch's pool_size; ceil_mode=False).
fn avg_span(o: u32, stride: u32, pad: u32, k: u32, size: u32) -> vec3<u32> {
  let start = i32(o * stride) - i32(pad);
  let end = min(start + i32(k), i32(size + pad));
  return vec3<u32>(u32(max(start, 0)), u32(min(end, i32(size))), u32(end - start));
}

// What the window with row span r and column span c divides its sum by.
fn avg_divisor(r: vec3<u32>, c: vec3<u32>) -> f32 {
  if (params.divisor_override != 0.0) {
    return params.divisor_override;
  }
  if (params.count_include_pad != 0u) {
    return f32(r.z * c.z);
  }
  return f32((r.y - r.x) * (c.y - c.x));
}
