/**
 * `--link`: which transport a worker's gradients cross the mesh on. Unlike the collective
 * flags it is each worker's own choice, made before the rendezvous, since the endpoint a
 * worker announces there already serves one link (`tcp://` or `http://`).
 *
 * @module
 */

import { LINK_CHOICES } from "../coordinator/transport/link_choice.ts";
import type { FlagTable } from "./flags.ts";

/** `--link native|http|auto`. */
export const linkFlags: FlagTable = {
  link: {
    type: "string",
    group: "parallel",
    default: "auto",
    choices: LINK_CHOICES,
    help: "gradient transport: native (TCP through libc by FFI, Linux), http, or auto " +
      "(native where libc loads with --allow-ffi, else http; docs/allreduce.md)",
  },
};
