// Tiled product op(A)·op(B) → [m, n], with op(A) [m, k] read by load_a and op(B) [k, n]
// by load_b, and each result passed through epilogue(value, column) before it is stored.
//
// A workgroup owns a BM×BN block of the result and walks k in steps of BK, staging the
// BM×BK block of op(A) and the BK×BN block of op(B) in workgroup memory. Each thread
// owns TM×TN results (TM/4 quads of rows by TN/4 quads of columns, in vec4 registers)
// and, per step of k, reads TM/4 + TN/4 vec4s of the tiles: with 4×4, 16 multiply-adds
// per two loads; with 8×8, 64 per four. Loads outside the matrices read 0, which
// makes any m, k, n work, including 1 and non-multiples of the tile. How a tile is
// loaded (fetch_a/b, stage_a/b: a word or a quad at a time, matmul_staging.ts) and how
// results are stored (store_quad) come with the variant.
//
// A batch of products (matrices back to back: A m·k apart, B k·n, the result m·n) stacks
// its row tiles along y: workgroup row wid.y is row tile wid.y % tiles of product
// wid.y / tiles. A single product is batch 0. With SPLIT_K each product is several: chunk
// c of product p sums k in [c·K_CHUNK, (c + 1)·K_CHUNK) into result p·chunks + c.
const WG_M = BM / TM;
const WG_N = BN / TN;
const THREADS = WG_M * WG_N;
// Quads (vec4 registers) of rows and of columns per thread.
const QM = TM / 4u;
const QN = TN / 4u;
// Tiles are k-major: row kk holds op(A)[·, kk] (or op(B)[kk, ·]) as vec4s of four
// neighbouring rows (columns), so a thread's four values for one kk are one load. A row
// is one vec4 longer than the tile: staging an operand stored along k sends consecutive
// threads to consecutive rows kk, which without the pad all start in the same bank (a
// 16-way conflict at BK 16); with it they spread over 8 banks per row of the tile.
const A_STRIDE = BM / 4u + 1u;
const B_STRIDE = BN / 4u + 1u;

var<workgroup> a_tile: array<vec4<f32>, BK * A_STRIDE>;
var<workgroup> b_tile: array<vec4<f32>, BK * B_STRIDE>;

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
  var acc: array<array<vec4<f32>, QN>, TM>;
  // Register prefetch: the next step's words are loaded from storage while this step
  // computes, and written to the tiles only after everyone is done with them.
  var a_next = fetch_a(t, row0, k_begin, k_end, a_base);
  var b_next = fetch_b(t, col0, k_begin, k_end, b_base);
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    stage_a(t, a_next);
    stage_b(t, b_next);
    workgroupBarrier();
    if (k0 + BK < k_end) {
      a_next = fetch_a(t, row0, k0 + BK, k_end, a_base);
      b_next = fetch_b(t, col0, k0 + BK, k_end, b_base);
    }
    // A thread's quads of rows are WG_M quads apart (and of columns WG_N apart), so the
    // threads of a row of the workgroup read neighbouring vec4s: no bank conflicts.
    for (var kk = 0u; kk < BK; kk++) {
      var b: array<vec4<f32>, QN>;
      for (var p = 0u; p < QN; p++) {
        b[p] = b_tile[kk * B_STRIDE + lid.x + WG_N * p];
      }
      for (var q = 0u; q < QM; q++) {
        let a = a_tile[kk * A_STRIDE + lid.y + WG_M * q];
        for (var p = 0u; p < QN; p++) {
          acc[4u * q][p] += a.x * b[p];
          acc[4u * q + 1u][p] += a.y * b[p];
          acc[4u * q + 2u][p] += a.z * b[p];
          acc[4u * q + 3u][p] += a.w * b[p];
        }
      }
    }
    workgroupBarrier();
  }
  let base = slot * params.m * params.n;
  for (var q = 0u; q < QM; q++) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + 4u * (lid.y + WG_M * q) + i;
      for (var p = 0u; p < QN; p++) {
        store_quad(base, row, col0 + 4u * (lid.x + WG_N * p), acc[4u * q + i][p]);
      }
    }
  }
}
