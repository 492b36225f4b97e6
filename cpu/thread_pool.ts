/**
 * Workers that share the kernels' `WebAssembly.Memory` and split a job between them and the
 * calling thread. A job is posted by bumping a generation word; each thread runs its share
 * (partitioned by thread index inside the kernel, so the partition is fixed), and the caller
 * blocks until all have finished. The pool is synchronous on purpose: `Backend` ops return
 * their results.
 *
 * @module
 */

import { CONTROL, type ThreadStart } from "./thread_protocol.ts";

/** Polls of the done counter before the caller sleeps on it. */
const SPINS = 2000;

/** A started pool of `threads - 1` workers plus the calling thread. */
export class ThreadPool {
  readonly #workers: Worker[];
  readonly #memory: WebAssembly.Memory;
  readonly #controlOffset: number;

  private constructor(workers: Worker[], memory: WebAssembly.Memory, controlOffset: number) {
    this.#workers = workers;
    this.#memory = memory;
    this.#controlOffset = controlOffset;
  }

  /**
   * Starts `threads - 1` workers and waits until each has instantiated the kernels (and
   * opened OpenBLAS from `blasPath` unless it is null).
   */
  static async start(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    controlOffset: number,
    blasPath: string | null,
  ): Promise<ThreadPool> {
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(new URL("./thread_worker.ts", import.meta.url), {
        type: "module",
      });
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.onmessage = () => resolve();
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`kernel thread ${t} failed to start: ${e.message}`));
          };
        }),
      );
      const start: ThreadStart = { module, memory, controlOffset, thread: t, blasPath };
      worker.postMessage(start);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new ThreadPool(workers, memory, controlOffset);
  }

  /** Threads that share each job, the caller included. */
  get threads(): number {
    return this.#workers.length + 1;
  }

  /**
   * Runs one job on every thread: the workers with `kind` and `job` from the control block,
   * the caller through `runOwnShare` (thread 0); returns when all are done.
   */
  run(kind: number, job: number, runOwnShare: () => void): void {
    if (this.#workers.length === 0) return runOwnShare();
    // The buffer object changes when memory grows, so the view is made per job.
    const ctl = new Int32Array(this.#memory.buffer, this.#controlOffset, CONTROL.words);
    Atomics.store(ctl, CONTROL.kind, kind);
    Atomics.store(ctl, CONTROL.job, job);
    Atomics.store(ctl, CONTROL.done, 0);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    runOwnShare();
    const others = this.#workers.length;
    for (let i = 0; i < SPINS && Atomics.load(ctl, CONTROL.done) !== others; i++);
    for (
      let d = Atomics.load(ctl, CONTROL.done);
      d !== others;
      d = Atomics.load(ctl, CONTROL.done)
    ) {
      Atomics.wait(ctl, CONTROL.done, d);
    }
  }

  /** Ends the workers. */
  destroy(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
  }
}
