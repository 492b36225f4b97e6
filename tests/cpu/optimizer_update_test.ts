/**
 * The SGD, Adam and AdamW updates of the fast CPU backend's kernels (cpu/kernels/optimizer.c)
 * against the records' own loops, which the reference backend runs: bitwise equal on 1 and
 * 2 threads and in both SIMD builds, over every option that changes the arithmetic, with NaN,
 * ±0 and ±Infinity.
 *
 * @module
 */

import type { Backend, OptimizerHyper } from "../../core/backend.ts";
import type { CpuStorage } from "../../core/cpu/backend.ts";
import { type OptimizerKind, optimizerRecord } from "../../core/optim/kinds.ts";
import { hyperAt, type OptimizerOptions, resolveSettings } from "../../core/optim/settings.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { assert, assertEquals } from "../core/asserts.ts";

/**
 * Past the update's threading threshold (cpu/wasm_kernels.ts), and not a multiple of 16; and a
 * small size whose tail after the last 16-float block takes each of the kernel's 4-, 2- and
 * 1-float paths.
 */
const SIZES = [(1 << 18) + 13, 23];

function values(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** The bit patterns of `a`, every NaN as one (engines may canonicalise NaN payloads). */
function bits(a: Float32Array): Uint32Array {
  const copy = a.slice();
  copy.forEach((v, i) => Number.isNaN(v) && (copy[i] = NaN));
  return new Uint32Array(copy.buffer);
}

const CASES: [OptimizerKind, OptimizerOptions][] = [
  ["sgd", { lr: 0.05 }],
  ["sgd", { lr: 0.05, momentum: 0.9 }],
  ["sgd", { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }],
  ["sgd", { lr: 0.1, momentum: 0.8, dampening: 0.3, maximize: true }],
  ["sgd", { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ["sgd", { lr: 0.1, weightDecay: 0.01 }],
  ["adam", {}],
  ["adam", { lr: 0.01, weightDecay: 0.1, amsgrad: true }],
  ["adam", { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, maximize: true }],
  ["adamw", {}],
  ["adamw", { lr: 0.01, weightDecay: 0.05, amsgrad: true, maximize: true }],
];

/** Three steps of `kind` on `size` floats on `backend`, then the parameters and state. */
function threeSteps(
  backend: Backend | null,
  kind: OptimizerKind,
  options: OptimizerOptions,
  size: number,
): Float32Array[] {
  const record = optimizerRecord(kind);
  const settings = resolveSettings(kind, options);
  const p = values(size, 1).map((v) => v * 4);
  p.set([Infinity, -0, 0, NaN, 1e-30], Math.floor(size / 3));
  const state = record.kernel.stateNames.map(() => new Float32Array(size));
  const arrays = [p, ...state].map((a) => backend ? backend.upload(a, true) : null);
  for (let step = 1; step <= 3; step++) {
    const g = values(size, 10 + step);
    g.set([NaN, -0, Infinity, 0.5, -Infinity, 0], Math.floor(size / 2) - 3);
    const hyper: OptimizerHyper = hyperAt(settings, step);
    if (!backend) {
      record.kernel.update(p, g, state, hyper);
      continue;
    }
    const grads = backend.upload(g, true);
    const [params, ...buffers] = arrays as CpuStorage[];
    backend.optimizerStep({ kernel: record.kernel, params, grads, state: buffers, hyper });
  }
  if (!backend) return [p, ...state];
  return (arrays as CpuStorage[]).map((s) => s.data.slice());
}

Deno.test("SGD, Adam and AdamW updates in the kernels are bitwise the records' loops on 1 and 2 threads and the plain SIMD128 build", async () => {
  const backends = [
    await createFastCpuBackend({ threads: 1, sgemm: "wasm" }),
    await createFastCpuBackend({ threads: 2, sgemm: "wasm" }),
    await createFastCpuBackend({ threads: 1, sgemm: "wasm", simd: "simd128" }),
  ];
  try {
    // The kernels run only on storages in their memory: persistent ones are.
    const probe = backends[0].upload(new Float32Array(4), true) as CpuStorage;
    assert(probe.data.buffer instanceof SharedArrayBuffer, "a persistent storage is not shared");
    for (const [kind, options] of CASES) {
      for (const size of SIZES) {
        const want = threeSteps(null, kind, options, size).map(bits);
        for (const backend of backends) {
          const got = threeSteps(backend, kind, options, size).map(bits);
          const what = `${kind} ${JSON.stringify(options)}, ${size} floats, ${backend.description}`;
          assertEquals(got, want, what);
        }
      }
    }
  } finally {
    for (const b of backends) b.destroy();
  }
});
