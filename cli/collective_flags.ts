/**
 * The flags that choose how gradients cross the mesh: the all-reduce algorithm, the number
 * format on the wire, the connections per peer and PowerSGD compression. They are job settings, chosen by the
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
import { UsageError } from "../core/errors.ts";

/** `--allreduce`, `--grad-dtype`, `--streams`, `--powersgd` and `--powersgd-start`. */
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
  powersgd: {
    type: "integer",
    group: "parallel",
    min: 1,
    help: "compress gradients with PowerSGD: each weight matrix sent as rank-N factors, " +
      "with error feedback (DDP's powerSGD_hook; default off; docs/allreduce.md)",
  },
  "powersgd-start": {
    type: "integer",
    group: "parallel",
    min: 0,
    help: "plain all-reduces for the first N optimizer steps before PowerSGD starts " +
      "(DDP's start_powerSGD_iter; default 0)",
  },
};

/**
 * Refuses PowerSGD flags that mean nothing for a job of `world` workers: compression
 * without a mesh, `--powersgd-start` alone, and PowerSGD with 16-bit gradients (its
 * factors travel in fp32).
 */
export function checkPowerSgdFlags(v: FlagValues, world: number): void {
  if (v.powersgd === undefined) {
    if (v["powersgd-start"] !== undefined) {
      throw new UsageError("--powersgd-start", "delays PowerSGD: use it with --powersgd RANK");
    }
    return;
  }
  if (world < 2) {
    throw new UsageError(
      "--powersgd",
      "compresses what crosses the mesh: use it with 2 or more workers",
    );
  }
  if (v["grad-dtype"] !== undefined && v["grad-dtype"] !== "fp32") {
    throw new UsageError(
      "--powersgd",
      `sends its factors in fp32: drop --grad-dtype ${v["grad-dtype"]} or --powersgd`,
    );
  }
}

/** The job settings that {@link collectiveFlags} give; absent flags stay undefined. */
export function collectiveSettings(
  v: FlagValues,
): Pick<Partial<JobSettings>, "allreduce" | "gradDtype" | "streams" | "powerSgd"> {
  const rank = v.powersgd as number | undefined;
  return {
    allreduce: v.allreduce as AllReduceAlgorithm | undefined,
    gradDtype: v["grad-dtype"] as WireDtype | undefined,
    streams: v.streams as number | undefined,
    ...(rank !== undefined &&
      { powerSgd: { rank, start: (v["powersgd-start"] as number | undefined) ?? 0 } }),
  };
}
