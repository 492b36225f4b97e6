/**
 * Counters of the work a WebGPU backend did and the objects it created, which tests use
 * to hold the architecture to its promises: one submit per step, and nothing created in
 * a steady-state step.
 *
 * @module
 */

/** Running totals since the backend was created. */
export interface GpuStats {
  /** Command buffers submitted. */
  submits: number;
  /** Compute dispatches recorded. */
  dispatches: number;
  /** GPU buffers created. */
  buffersCreated: number;
  /** Compute pipelines created. */
  pipelinesCreated: number;
  /** Bind groups created. */
  bindGroupsCreated: number;
}

/** All counters at zero. */
export function emptyStats(): GpuStats {
  return {
    submits: 0,
    dispatches: 0,
    buffersCreated: 0,
    pipelinesCreated: 0,
    bindGroupsCreated: 0,
  };
}
