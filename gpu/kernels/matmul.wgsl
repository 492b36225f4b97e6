// Tiled product op(A)·op(B) → [m, n], with op(A) [m, k] read by load_a and op(B) [k, n]
// by load_b, and each result passed through epilogue(value, column) before it is stored.
//
// A workgroup owns a BM×BN block of the result and walks k in steps of BK, staging the
// BM×BK block of op(A) and the BK×BN block of op(B) in workgroup memory. Each thread
// owns a 4×4 block of results in four vec4 registers and, per step of k, reads one vec4
// of each tile: 16 multiply-adds per two loads. Loads outside the matrices read 0, which
// makes any m, k, n work, including 1 and non-multiples of the tile.
//
// A batch of products (matrices back to back: A m·k apart, B k·n, the result m·n) stacks
// its row tiles along y: workgroup row wid.y is row tile wid.y % tiles of product
// wid.y / tiles. A single product is batch 0. With SPLIT_K each product is several: chunk
// c of product p sums k in [c·K_CHUNK, (c + 1)·K_CHUNK) into result p·chunks + c.
const WG_M = BM / 4u;
const WG_N = BN / 4u;
const THREADS = WG_M * WG_N;
// Tiles are k-major: row kk holds op(A)[·, kk] (or op(B)[kk, ·]) as vec4s of four
// neighbouring rows (columns), so a thread's four values for one kk are one load.
const A_STRIDE = BM / 4u;
const B_STRIDE = BN / 4u;

var<workgroup> a_tile: array<vec4<f32>, BK * A_STRIDE>;
var<workgroup> b_tile: array<vec4<f32>, BK * B_STRIDE>;

// Index of op(A)[row, kk] in A's storage ([m, k], or [k, m] when TRANS_A).
fn a_index(row: u32, kk: u32) -> u32 {
  if (TRANS_A) {
    return kk * params.m + row;
  }
  return row * params.k + kk;
}

// Index of op(B)[kk, col] in B's storage ([k, n], or [n, k] when TRANS_B).
fn b_index(kk: u32, col: u32) -> u32 {
  if (TRANS_B) {
    return col * params.k + kk;
  }
  return kk * params.n + col;
}

fn store(base: u32, row: u32, col: u32, v: f32) {
  if (row < params.m && col < params.n) {
    result[base + row * params.n + col] = epilogue(v, col);
  }
}

@compute @workgroup_size(WG_N, WG_M)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let tiles = (params.m + BM - 1u) / BM;
  let slot = wid.y / tiles;
  let row0 = (wid.y % tiles) * BM;
  let col0 = wid.x * BN;
  let chunks = select(1u, (params.k + K_CHUNK - 1u) / K_CHUNK, SPLIT_K);
  let batch = slot / chunks;
  let k_begin = select(0u, (slot % chunks) * K_CHUNK, SPLIT_K);
  let k_end = select(params.k, min(k_begin + K_CHUNK, params.k), SPLIT_K);
  let a_base = batch * params.m * params.k;
  let b_base = batch * params.k * params.n;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    // Consecutive threads stage consecutive words of each operand's storage.
    for (var e = t; e < BM * BK; e += THREADS) {
      let r = select(e / BK, e % BM, TRANS_A);
      let kk = select(e % BK, e / BM, TRANS_A);
      var v = 0.0;
      if (row0 + r < params.m && k0 + kk < k_end) {
        v = load_a(a_base + a_index(row0 + r, k0 + kk));
      }
      a_tile[kk * A_STRIDE + r / 4u][r % 4u] = v;
    }
    for (var e = t; e < BN * BK; e += THREADS) {
      let c = select(e % BN, e / BK, TRANS_B);
      let kk = select(e / BN, e % BK, TRANS_B);
      var v = 0.0;
      if (col0 + c < params.n && k0 + kk < k_end) {
        v = load_b(b_base + b_index(k0 + kk, col0 + c));
      }
      b_tile[kk * B_STRIDE + c / 4u][c % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a = a_tile[kk * A_STRIDE + lid.y];
      let b = b_tile[kk * B_STRIDE + lid.x];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  let col = col0 + lid.x * 4u;
  let base = slot * params.m * params.n;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    store(base, row, col, acc[i].x);
    store(base, row, col + 1u, acc[i].y);
    store(base, row, col + 2u, acc[i].z);
    store(base, row, col + 3u, acc[i].w);
  }
}
