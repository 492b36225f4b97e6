/**
 * The Deno permissions a gradmesh training process runs with: `deno task train` and the
 * other training tasks in deno.json, each worker of a local job, each run of a sweep.
 * `--allow-ffi` loads a system OpenBLAS for the fast CPU backend's large products.
 * The one list; tests/deno_permissions_test.ts checks that deno.json's tasks grant the same.
 *
 * @module
 */

/** The `deno run` flags of a training process. */
export const TRAIN_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
  "--allow-ffi",
];
