// Register-blocked product op(A)·op(B) → [m, n] without workgroup memory: each thread
// owns TM rows × TN columns of the result (TN/4 vec4 registers per row) and walks k four
// at a time, loading the 4×TM values of op(A) and 4×TN of op(B) it needs straight from
// storage as quads of four neighbouring words. On a CPU implementation (llvmpipe) the
// caches do what workgroup memory would, and staging plus barriers only cost; on a GPU
// the L1 serves the threads of a workgroup that read the same quads.
//
// quad_a/quad_b (defined by the generator) read four neighbouring words of a row-major
// matrix and return 0 outside it: one vec4 load when rows are a multiple of 4 words long
// (VEC4), four checked scalar loads otherwise. The generator also defines the entry
// point's inputs (DirectInputs) and a_registers, which loads a thread's values of op(A)
// for one step of k by itself or shared across a subgroup (matmul_direct.ts).
//
// Batches and split k work as in matmul.wgsl: workgroup row wid.y is row tile
// wid.y % tiles of slot wid.y / tiles; with SPLIT_K slot p·chunks + c sums k in
// [c·K_CHUNK, (c + 1)·K_CHUNK) of product p.
const BM = TM * WG_Y;
const BN = TN * WG_X;
const TN4 = TN / 4u;
alias A_REGS = array<vec4<f32>, TM>;

// One-dimensional workgroups (subgroup builtins need them): thread t is column t % WG_X,
// row t / WG_X of the workgroup's threads.
@compute @workgroup_size(WG_X * WG_Y)
fn main(input: DirectInputs) {
  let wid = input.wid;
  let lid = thread_xy(input);
  let m = params.m;
  let k = params.k;
  let n = params.n;
  let tiles = (m + BM - 1u) / BM;
  let slot = wid.y / tiles;
  let row0 = (wid.y % tiles) * BM + lid.y * TM;
  let col0 = wid.x * BN + lid.x * TN;
  let chunks = select(1u, (k + K_CHUNK - 1u) / K_CHUNK, SPLIT_K);
  let product = slot / chunks;
  let k_begin = select(0u, (slot % chunks) * K_CHUNK, SPLIT_K);
  let k_end = select(k, min(k_begin + K_CHUNK, k), SPLIT_K);
  let a_base = product * m * k;
  let b_base = product * k * n;
  var acc: array<array<vec4<f32>, TN4>, TM>;
  let sharing = a_sharing(input);
  for (var k0 = k_begin; k0 < k_end; k0 += 4u) {
    // a_reg[i][kk] = op(A)[row0 + i, k0 + kk]
    var a_reg: A_REGS;
    a_registers(input, sharing, &a_reg, a_base, row0, k0, k_end);
    // b_reg[kk][j] = op(B)[k0 + kk, col0 + 4j .. col0 + 4j + 3]
    var b_reg: array<array<vec4<f32>, TN4>, 4>;
    if (TRANS_B) {
      // B is [n, k]: a quad holds four kk of one column of op(B).
      for (var c = 0u; c < TN; c++) {
        let q = quad_b(b_base, col0 + c, k0, k, n, k_end);
        b_reg[0][c / 4u][c % 4u] = q.x;
        b_reg[1][c / 4u][c % 4u] = q.y;
        b_reg[2][c / 4u][c % 4u] = q.z;
        b_reg[3][c / 4u][c % 4u] = q.w;
      }
    } else {
      for (var kk = 0u; kk < 4u; kk++) {
        for (var j = 0u; j < TN4; j++) {
          b_reg[kk][j] = quad_b(b_base, k0 + kk, col0 + 4u * j, n, k_end, n);
        }
      }
    }
    for (var i = 0u; i < TM; i++) {
      let a = a_reg[i];
      for (var j = 0u; j < TN4; j++) {
        acc[i][j] += a.x * b_reg[0][j] + a.y * b_reg[1][j] + a.z * b_reg[2][j] +
          a.w * b_reg[3][j];
      }
    }
  }
  let base = slot * m * n;
  for (var i = 0u; i < TM; i++) {
    for (var j = 0u; j < TN4; j++) {
      store_quad(base, row0 + i, col0 + 4u * j, acc[i][j]);
    }
  }
}
