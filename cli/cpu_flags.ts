/**
 * `--threads` and `--sgemm`, the fast CPU backend's flags, shared by `train` and `worker`.
 *
 * @module
 */

import type { CpuSettings } from "../backends/backend_choice.ts";
import type { FlagTable, FlagValues } from "./flags.ts";

/** The flag table entries. */
export const cpuFlags: FlagTable = {
  threads: {
    type: "integer",
    group: "general",
    default: 0,
    min: 0,
    help: "CPU backend threads (0: the cores Deno sees, divided by --workers)",
  },
  sgemm: {
    type: "string",
    group: "general",
    default: "auto",
    help: "CPU backend matrix products: auto (OpenBLAS if it loads), wasm, or a BLAS .so path",
  },
};

/** The CPU settings of parsed flags (`workers` is 1 where the table has no `--workers`). */
export function cpuSettings(values: FlagValues): CpuSettings {
  return {
    threads: values.threads as number,
    workers: (values.workers as number | undefined) ?? 1,
    sgemm: values.sgemm as string,
  };
}
