/**
 * How a thread of the register-blocked matmul (matmul_direct.wgsl) gets its values of
 * op(A) for one step of k (`a_registers`), and the entry point's inputs (`DirectInputs`):
 * - alone: each thread loads its TM rows × 4 k itself.
 * - shared across a subgroup: the WG_X threads of one row of the workgroup need the same
 *   rows of A, so each of them loads one quad (TM = WG_X = 8) and the others get it by
 *   `subgroupShuffle`: one load and eight shuffles instead of eight loads (TRANS_A: two).
 *   It needs the `subgroups` feature, and a row of threads to be WG_X consecutive lanes of
 *   one subgroup, in order; a subgroup checks that once (`a_sharing`) and loads alone if not.
 *
 * @module
 */

/** WGSL of the direct kernel's inputs and its `a_sharing` / `a_registers`. */
export function directALoads(subgroups: boolean): string {
  return subgroups ? SHARED : ALONE;
}

const INPUTS = `  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) t: u32,`;

// (column, row) of the thread among the workgroup's WG_X × WG_Y.
const THREAD_XY = `fn thread_xy(input: DirectInputs) -> vec2<u32> {
  return vec2<u32>(input.t % WG_X, input.t / WG_X);
}`;

// Fills *a with the thread's op(A) for the step of k at k0 (see A_ALONE).
const A_REGISTERS = `fn a_registers(
  input: DirectInputs,
  sharing: bool,
  a: ptr<function, A_REGS>,
  a_base: u32,
  row0: u32,
  k0: u32,
  k_end: u32,
) {`;

// (*a)[i][kk] = op(A)[row0 + i, k0 + kk], loaded by this thread. Through a pointer: an
// array of 8 vec4s returned by value costs llvmpipe half the speed of 8×8 blocks.
const A_ALONE = `fn a_alone(a: ptr<function, A_REGS>, a_base: u32, row0: u32, k0: u32, k_end: u32) {
  if (TRANS_A) {
    // A is [k, m]: a quad holds four rows of op(A) at one kk.
    for (var kk = 0u; kk < 4u; kk++) {
      for (var i = 0u; i < TM; i += 4u) {
        let q = quad_a(a_base, k0 + kk, row0 + i, params.m, k_end, params.m);
        (*a)[i][kk] = q.x;
        (*a)[i + 1u][kk] = q.y;
        (*a)[i + 2u][kk] = q.z;
        (*a)[i + 3u][kk] = q.w;
      }
    }
  } else {
    for (var i = 0u; i < TM; i++) {
      (*a)[i] = quad_a(a_base, row0 + i, k0, params.k, params.m, k_end);
    }
  }
}`;

const ALONE = `struct DirectInputs {
${INPUTS}
}

${THREAD_XY}

${A_ALONE}

fn a_sharing(input: DirectInputs) -> bool {
  return false;
}

${A_REGISTERS}
  a_alone(a, a_base, row0, k0, k_end);
}`;

const SHARED = `struct DirectInputs {
${INPUTS}
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) lanes: u32,
}

${THREAD_XY}

${A_ALONE}

// The lane of the first thread of this thread's row of the workgroup.
fn row_lane(input: DirectInputs) -> u32 {
  let x = input.t % WG_X;
  return select(0u, input.lane - x, input.lane >= x);
}

// Whether, for every thread of this subgroup, lanes row_lane .. row_lane + WG_X - 1 hold
// the threads of its row, in order.
fn a_sharing(input: DirectInputs) -> bool {
  let t = input.t;
  let x = t % WG_X;
  let first = row_lane(input);
  var ok = input.lane >= x && first + WG_X <= input.lanes;
  for (var j = 0u; j < WG_X; j++) {
    ok = ok && subgroupShuffle(t, min(first + j, input.lanes - 1u)) == t - x + j;
  }
  return subgroupAll(ok);
}

${A_REGISTERS}
  if (!sharing) {
    a_alone(a, a_base, row0, k0, k_end);
    return;
  }
  let first = row_lane(input);
  let s = input.t % WG_X;
  if (TRANS_A) {
    // Thread s loads rows 4·(s / 4) .. + 3 at kk = s % 4.
    let mine = quad_a(a_base, k0 + s % 4u, row0 + 4u * (s / 4u), params.m, k_end, params.m);
    for (var j = 0u; j < WG_X; j++) {
      let q = subgroupShuffle(mine, first + j);
      let r = 4u * (j / 4u);
      (*a)[r][j % 4u] = q.x;
      (*a)[r + 1u][j % 4u] = q.y;
      (*a)[r + 2u][j % 4u] = q.z;
      (*a)[r + 3u][j % 4u] = q.w;
    }
  } else {
    // Thread s loads row s.
    let mine = quad_a(a_base, row0 + s, k0, params.k, params.m, k_end);
    for (var i = 0u; i < TM; i++) {
      (*a)[i] = subgroupShuffle(mine, first + i);
    }
  }
}`;
