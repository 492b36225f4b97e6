/**
 * The flags that choose how gradients cross the mesh: the all-reduce algorithm, the number
 * format on the wire and the connections per peer. They are job settings, chosen by the
 * coordinator (`train --workers N` or `coordinator`) so that every rank agrees.
 *
 * @module
 */

import {
  ALLREDUCE_ALGORITHMS,
  type AllReduceAlgorithm,
} from "../coordinator/transport/algorithm_choice.ts";
import { DEFAULT_STREAMS } from "../coordinator/transport/http_link.ts";
import {
  DEFAULT_NATIVE_SPREAD,
  DEFAULT_NATIVE_STREAMS,
} from "../coordinator/transport/native_link.ts";
import { WIRE_DTYPES, type WireDtype } from "../coordinator/transport/wire_dtype.ts";
import type { JobSettings } from "../coordinator/job/wire.ts";
import type { FlagTable, FlagValues } from "./flags.ts";

/** `--allreduce`, `--grad-dtype` and `--streams`. */
export const collectiveFlags: FlagTable = {
  allreduce: {
    type: "string",
    group: "parallel",
    default: "auto",
    choices: ALLREDUCE_ALGORITHMS,
    help: "all-reduce algorithm: ring, tree (binomial), halving (recursive halving-doubling), " +
      "hier (per host, then across hosts), " +
      "or auto (per bucket from a cost model, docs/allreduce.md)",
  },
  "grad-dtype": {
    type: "string",
    group: "parallel",
    default: "fp32",
    choices: WIRE_DTYPES,
    help: "gradients on the wire: fp32, or fp16/bf16 (half the bytes, sums kept in fp32)",
  },
  streams: {
    type: "integer",
    group: "parallel",
    min: 1,
    max: 64,
    help: `connections to each peer, every transfer cut into chunks spread over them ` +
      `(default: http ${DEFAULT_STREAMS} connections, whole 2 MiB chunks; native ` +
      `${DEFAULT_NATIVE_STREAMS} connection, each transfer cut in ${DEFAULT_NATIVE_SPREAD})`,
  },
};

/** The job settings that {@link collectiveFlags} give; absent flags stay undefined. */
export function collectiveSettings(
  v: FlagValues,
): Pick<Partial<JobSettings>, "allreduce" | "gradDtype" | "streams"> {
  return {
    allreduce: v.allreduce as AllReduceAlgorithm | undefined,
    gradDtype: v["grad-dtype"] as WireDtype | undefined,
    streams: v.streams as number | undefined,
  };
}
