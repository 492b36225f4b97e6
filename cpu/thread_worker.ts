/**
 * A kernel thread: instantiates the kernels over the shared memory it is sent, then runs its
 * share of each job the pool posts through the control words (see `cpu/thread_pool.ts`).
 *
 * @module
 */

import { OpenBlas } from "./openblas.ts";
import { runSgemmShare } from "./sgemm_parts.ts";
import {
  CONTROL,
  JOB_BATCH_NORM,
  JOB_BATCH_NORM_BACKWARD,
  JOB_COL2IM,
  JOB_ELEMENTWISE,
  JOB_GEMM,
  JOB_IM2COL,
  JOB_SGEMM,
  JOB_UPDATE,
  type ThreadStart,
} from "./thread_protocol.ts";

/**
 * Milliseconds a thread keeps polling for the next job before it parks. A training step posts
 * products at most a few hundred microseconds apart (the host ops between them), and waking a parked
 * worker through its event loop takes longer than that: measured on 2 cores, the batch-64
 * products of the default MLP ran 1.3-2× slower with a 2,000-poll spin than with this.
 */
const SPIN_MS = 1;
/** Polls between clock reads while spinning. */
const POLLS_PER_CHECK = 256;

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ThreadStart>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (e: MessageEvent<ThreadStart>) => {
  const { module, memory, controlOffset, thread, blasPath } = e.data;
  const blas = blasPath === null ? null : OpenBlas.open(blasPath);
  if (typeof blas === "string") throw new Error(`kernel thread ${thread}: ${blas}`);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  type ThreadEntry = (job: number, t: number) => void;
  const gemmThread = instance.exports.gemm_thread as ThreadEntry;
  const im2colThread = instance.exports.im2col_thread as ThreadEntry;
  const col2imThread = instance.exports.col2im_thread as ThreadEntry;
  const batchNormThread = instance.exports.batch_norm_thread as ThreadEntry;
  const batchNormBackwardThread = instance.exports.batch_norm_backward_thread as ThreadEntry;
  const elementwiseThread = instance.exports.elementwise_thread as ThreadEntry;
  const updateThread = instance.exports.update_thread as ThreadEntry;
  const ctl = new Int32Array(memory.buffer, controlOffset, CONTROL.words);
  // Read before saying ready: the first job may be posted as soon as the pool hears it.
  let seen = Atomics.load(ctl, CONTROL.generation);
  scope.postMessage("ready");
  for (;;) {
    const until = performance.now() + SPIN_MS;
    for (let i = 1; Atomics.load(ctl, CONTROL.generation) === seen; i++) {
      if (i % POLLS_PER_CHECK === 0 && performance.now() > until) break;
    }
    if (Atomics.load(ctl, CONTROL.generation) === seen) {
      // Parks without blocking the event loop, so terminate() can always end this worker.
      const wait = Atomics.waitAsync(ctl, CONTROL.generation, seen);
      if (wait.async) await wait.value;
    }
    seen = Atomics.load(ctl, CONTROL.generation);
    const kind = Atomics.load(ctl, CONTROL.kind), job = Atomics.load(ctl, CONTROL.job);
    try {
      if (kind === JOB_GEMM) gemmThread(job, thread);
      else if (kind === JOB_SGEMM && blas) runSgemmShare(blas, memory, job, thread);
      else if (kind === JOB_IM2COL) im2colThread(job, thread);
      else if (kind === JOB_COL2IM) col2imThread(job, thread);
      else if (kind === JOB_BATCH_NORM) batchNormThread(job, thread);
      else if (kind === JOB_BATCH_NORM_BACKWARD) batchNormBackwardThread(job, thread);
      else if (kind === JOB_ELEMENTWISE) elementwiseThread(job, thread);
      else if (kind === JOB_UPDATE) updateThread(job, thread);
    } finally {
      // Counted even on failure, so the caller never waits for a thread that died.
      Atomics.add(ctl, CONTROL.done, 1);
      Atomics.notify(ctl, CONTROL.done);
    }
  }
};
