// Rows [⌊o·size/count⌋, ⌈(o + 1)·size/count⌉) of adaptive window o of `count`.
fn adaptive_span(o: u32, size: u32, count: u32) -> vec2<u32> {
  return vec2<u32>(o * size / count, ((o + 1u) * size + count - 1u) / count);
}
