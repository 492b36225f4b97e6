/**
 * The words through which the kernel thread pool and its workers talk, in shared memory.
 *
 * @module
 */

/** Int32 indices of the control block. */
export const CONTROL = {
  /** Bumped by the pool for each job; workers wait for it to change. */
  generation: 0,
  /** Workers that finished the current job. */
  done: 1,
  /** What to run: one of the `JOB_` kinds below. */
  kind: 2,
  /** Byte offset of the job's descriptor in memory. */
  job: 3,
  /** Size of the block in int32 words. */
  words: 4,
} as const;

/** Job kind: `gemm_thread(job, thread)`. */
export const JOB_GEMM = 1;

/** The message that starts a worker. */
export interface ThreadStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controlOffset: number;
  /** This worker's thread index (1 ..); the calling thread is 0. */
  thread: number;
  /** The OpenBLAS library to open for {@link JOB_SGEMM} jobs, or null. */
  blasPath: string | null;
}

/** Job kind: the thread's share of OpenBLAS calls (`runSgemmShare` in cpu/sgemm_parts.ts). */
export const JOB_SGEMM = 2;

/** Job kind: `im2col_thread(job, thread)` of cpu/kernels/conv.c. */
export const JOB_IM2COL = 3;

/** Job kind: `col2im_thread(job, thread)` of cpu/kernels/conv.c. */
export const JOB_COL2IM = 4;

/**
 * Int32 indices of the `WindowJob` descriptor of cpu/kernels/conv.c: the 14 fields of its
 * `Window` (`Window2d`'s, in order), then byte offsets of the source, output and float64
 * scratch, and the thread count.
 */
export const WINDOW_JOB = {
  src: 14,
  out: 15,
  acc: 16,
  threads: 17,
  /** Size of the descriptor in int32 words. */
  words: 18,
} as const;

/** Job kind: `batch_norm_thread(job, thread)` of cpu/kernels/norm.c. */
export const JOB_BATCH_NORM = 5;

/** Job kind: `batch_norm_backward_thread(job, thread)` of cpu/kernels/norm.c. */
export const JOB_BATCH_NORM_BACKWARD = 6;

/**
 * Int32 indices of the `NormJob` descriptor of cpu/kernels/norm.c, after its float64 `eps`
 * (words 0 and 1); pointers are byte offsets, 0 for an absent operand.
 */
export const NORM_JOB = {
  n: 2,
  c: 3,
  len: 4,
  threads: 5,
  batch: 6,
  x: 7,
  gy: 8,
  weight: 9,
  bias: 10,
  mean: 11,
  variance: 12,
  out: 13,
  gWeight: 14,
  gBias: 15,
  /** Size of the descriptor in int32 words. */
  words: 16,
} as const;

/** Job kind: `elementwise_thread(job, thread)` of cpu/kernels/elementwise.c. */
export const JOB_ELEMENTWISE = 7;

/** The ops of cpu/kernels/elementwise.c, by their code there. */
export const ELEMENTWISE_OPS = { relu: 0, relu_grad: 1, add: 2, mul: 3 } as const;

/** An op that cpu/kernels/elementwise.c runs. */
export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

/**
 * Int32 indices of the `ElementwiseJob` descriptor of cpu/kernels/elementwise.c (pointers
 * are byte offsets).
 */
export const ELEMENTWISE_JOB = {
  op: 0,
  size: 1,
  threads: 2,
  x: 3,
  y: 4,
  out: 5,
  /** Size of the descriptor in int32 words. */
  words: 6,
} as const;

/** Job kind: `update_thread(job, thread)` of cpu/kernels/optimizer.c. */
export const JOB_UPDATE = 8;

/** The updates of cpu/kernels/optimizer.c, by the optimizer kernel's name and its code there. */
export const UPDATE_KINDS: Readonly<Record<string, number>> = { sgd: 0, adam: 1, adamw: 1 };

/** Bits of the `UpdateJob` descriptor's `flags` (cpu/kernels/optimizer.c). */
export const UPDATE_FLAGS = {
  maximize: 1,
  decay: 2,
  momentum: 4,
  first: 8,
  nesterov: 16,
  decoupled: 32,
  amsgrad: 64,
} as const;

/**
 * The `UpdateJob` descriptor of cpu/kernels/optimizer.c: its float64 scalars by index, then
 * int32 fields by index from the start (pointers are byte offsets).
 */
export const UPDATE_JOB = {
  lr: 0,
  weightDecay: 1,
  momentum: 2,
  keep: 3,
  beta1: 4,
  oneMinusBeta1: 5,
  beta2: 6,
  oneMinusBeta2: 7,
  eps: 8,
  stepSize: 9,
  biasCorrection2Sqrt: 10,
  decayFactor: 11,
  /** Number of float64 scalars. */
  doubles: 12,
  kind: 24,
  size: 25,
  threads: 26,
  flags: 27,
  p: 28,
  g: 29,
  s0: 30,
  s1: 31,
  s2: 32,
  /** Size of the descriptor in int32 words (padded to a float64). */
  words: 34,
} as const;

/** Int32 indices of the `Gemm` descriptor of cpu/kernels/gemm.c (pointers are byte offsets). */
export const GEMM = {
  m: 0,
  n: 1,
  k: 2,
  a: 3,
  lda: 4,
  transA: 5,
  b: 6,
  ldb: 7,
  transB: 8,
  c: 9,
  ldc: 10,
  batch: 11,
  strideA: 12,
  strideB: 13,
  strideC: 14,
  threads: 15,
  work: 16,
  /** Size of the descriptor in int32 words. */
  words: 17,
} as const;

/** One matrix product's operands: see `Backend.matmul` for the layout. */
export interface GemmShape {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  batch: number;
}
