/**
 * How the tiled matmul (matmul.wgsl) brings one operand's tile from storage into
 * workgroup memory: `fetch_<x>` loads this thread's part of the tile at `k0` into
 * registers, `stage_<x>` writes those registers into the tile. Two forms:
 * - scalar: one checked word at a time through the operand's `load_<x>`; any shape.
 * - vec4: one quad (four neighbouring words of the stored matrix) per load from a
 *   `vec4<f32>` binding, for shapes where `vec4Aligned` holds (every stored row a whole
 *   number of quads, so a quad is wholly inside the matrix or wholly outside). A tile
 *   wholly inside loads without checks; an edge tile checks each quad.
 *
 * Operand `a` is op(A) [m, k] (stored [m, k], or [k, m] when TRANS_A), operand `b` is
 * op(B) [k, n] seen as [n, k] (stored [k, n], or [n, k] when TRANS_B). Each is called
 * x below: `BX` rows of op(x) per tile, `X_DIM` rows in all, stored "k-major" when its
 * storage runs along x (consecutive words are neighbouring rows of op(x)).
 *
 * @module
 */

/** The WGSL names one operand's staging is written with. */
interface OperandNames {
  readonly BX: string;
  readonly X_DIM: string;
  readonly K_MAJOR: string;
}

const names: Record<"a" | "b", OperandNames> = {
  a: { BX: "BM", X_DIM: "params.m", K_MAJOR: "TRANS_A" },
  b: { BX: "BN", X_DIM: "params.n", K_MAJOR: "!TRANS_B" },
};

// Index in x's storage of op(x)[xi, kk], and how many words (or quads) one thread stages.
function common(x: "a" | "b", perLoad: number): string {
  const { BX, X_DIM, K_MAJOR } = names[x];
  const X = x.toUpperCase();
  return `const ${X}_LOADS = ${BX} * BK / (${perLoad}u * THREADS);

fn ${x}_index(xi: u32, kk: u32) -> u32 {
  return select(xi * params.k + kk, kk * ${X_DIM} + xi, ${K_MAJOR});
}`;
}

/**
 * Scalar staging of operand `x`: consecutive threads take consecutive words of x's
 * storage; a word outside the matrix or the k range reads 0.
 */
export function scalarStaging(x: "a" | "b"): string {
  const { BX, X_DIM, K_MAJOR } = names[x];
  const X = x.toUpperCase();
  return `${common(x, 1)}

// (row of op(x), kk) of this thread's j-th word of the tile.
fn ${x}_element(t: u32, j: u32) -> vec2<u32> {
  let e = t + j * THREADS;
  return select(vec2<u32>(e / BK, e % BK), vec2<u32>(e % ${BX}, e / ${BX}), ${K_MAJOR});
}

fn fetch_${x}(t: u32, x0: u32, k0: u32, k_end: u32, base: u32) -> array<f32, ${X}_LOADS> {
  var v: array<f32, ${X}_LOADS>;
  for (var j = 0u; j < ${X}_LOADS; j++) {
    let xk = ${x}_element(t, j);
    if (x0 + xk.x < ${X_DIM} && k0 + xk.y < k_end) {
      v[j] = load_${x}(base + ${x}_index(x0 + xk.x, k0 + xk.y));
    }
  }
  return v;
}

fn stage_${x}(t: u32, v: array<f32, ${X}_LOADS>) {
  for (var j = 0u; j < ${X}_LOADS; j++) {
    let xk = ${x}_element(t, j);
    ${x}_tile[xk.y * ${X}_STRIDE + xk.x / 4u][xk.x % 4u] = v[j];
  }
}`;
}

/**
 * Vec4 staging of operand `x` (bound as `array<vec4<f32>>`): consecutive threads take
 * consecutive quads of x's storage. Stored k-major, a quad is four neighbouring rows of
 * op(x) at one kk, one vec4 of the tile; else four kk of one row, four words of it.
 */
export function vec4Staging(x: "a" | "b"): string {
  const { BX, X_DIM, K_MAJOR } = names[x];
  const X = x.toUpperCase();
  return `${common(x, 4)}

// (row of op(x), kk) of the first word of this thread's j-th quad of the tile.
fn ${x}_quad(t: u32, j: u32) -> vec2<u32> {
  let e = t + j * THREADS;
  let along_k = vec2<u32>(e / (BK / 4u), 4u * (e % (BK / 4u)));
  return select(along_k, vec2<u32>(4u * (e % (${BX} / 4u)), e / (${BX} / 4u)), ${K_MAJOR});
}

fn fetch_${x}(t: u32, x0: u32, k0: u32, k_end: u32, base: u32) -> array<vec4<f32>, ${X}_LOADS> {
  var v: array<vec4<f32>, ${X}_LOADS>;
  if (x0 + ${BX} <= ${X_DIM} && k0 + BK <= k_end) {
    for (var j = 0u; j < ${X}_LOADS; j++) {
      let xk = ${x}_quad(t, j);
      v[j] = ${x}[(base + ${x}_index(x0 + xk.x, k0 + xk.y)) / 4u];
    }
    return v;
  }
  for (var j = 0u; j < ${X}_LOADS; j++) {
    let xk = ${x}_quad(t, j);
    if (x0 + xk.x < ${X_DIM} && k0 + xk.y < k_end) {
      v[j] = ${x}[(base + ${x}_index(x0 + xk.x, k0 + xk.y)) / 4u];
    }
  }
  return v;
}

fn stage_${x}(t: u32, v: array<vec4<f32>, ${X}_LOADS>) {
  for (var j = 0u; j < ${X}_LOADS; j++) {
    let xk = ${x}_quad(t, j);
    if (${K_MAJOR}) {
      ${x}_tile[xk.y * ${X}_STRIDE + xk.x / 4u] = v[j];
    } else {
      for (var i = 0u; i < 4u; i++) {
        ${x}_tile[(xk.y + i) * ${X}_STRIDE + xk.x / 4u][xk.x % 4u] = v[j][i];
      }
    }
  }
}`;
}

/** Whether `tile` splits each operand's tile into whole quads per thread. */
export function vec4Tile(tile: { BM: number; BN: number; BK: number; TM: number; TN: number }) {
  const threads = (tile.BM / tile.TM) * (tile.BN / tile.TN);
  return tile.BK % 4 === 0 &&
    [tile.BM, tile.BN].every((bx) => (bx * tile.BK) % (4 * threads) === 0);
}
