// What both passes of the non-finite search share. An element is non-finite when its exponent
// bits are all ones (NaN or ±∞): a bit test, which compilers cannot fold away as they may
// `v != v`. Indices travel between the passes as two exact f32 halves (⌊i / 65536⌋,
// i mod 65536); NONE (all ones) means "none found".
const NONE = 0xffffffffu;

var<workgroup> least: atomic<u32>;

fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

// The least of every thread's `v` in this workgroup (every thread must call it): one
// workgroup atomic instead of a tree of barriers.
fn workgroup_min(t: u32, v: u32) -> u32 {
  if (t == 0u) {
    atomicStore(&least, NONE);
  }
  workgroupBarrier();
  if (v != NONE) {
    atomicMin(&least, v);
  }
  workgroupBarrier();
  return atomicLoad(&least);
}
