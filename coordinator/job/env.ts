/**
 * A worker's launch environment, in torchrun's names with Slurm's as fallbacks:
 *
 * | value | read from | default |
 * | --- | --- | --- |
 * | rank | `RANK`, else `SLURM_PROCID` | assigned in join order |
 * | world size | `WORLD_SIZE`, else `SLURM_NTASKS` | the coordinator's |
 * | local rank | `LOCAL_RANK`, else `SLURM_LOCALID` | none |
 * | coordinator | `MASTER_ADDR`, `MASTER_PORT` | `127.0.0.1`, `29500` |
 * | job token | `GRADMESH_TOKEN` | none |
 *
 * A malformed value is a `UsageError` naming the variable it came from.
 *
 * @module
 */

import { UsageError } from "../../core/errors.ts";
import { baseUrl } from "../transport/base_url.ts";

/** The coordinator port when `MASTER_PORT` is unset (torchrun's). */
export const DEFAULT_MASTER_PORT = 29500;

/** What a worker learns from its environment. */
export interface LaunchEnv {
  readonly rank: number | undefined;
  readonly worldSize: number | undefined;
  readonly localRank: number | undefined;
  /** `MASTER_ADDR`, default `127.0.0.1`. */
  readonly masterAddr: string;
  /** `MASTER_PORT`, default {@link DEFAULT_MASTER_PORT}. */
  readonly masterPort: number;
  /** Base URL of the coordinator, from `MASTER_ADDR` and `MASTER_PORT`. */
  readonly coordinatorUrl: string;
  /** `GRADMESH_TOKEN`, unchecked: see {@link requireToken}. */
  readonly token: string | undefined;
}

type Lookup = (name: string) => string | undefined;

// The first variable that is set, by name: errors name the one that was read.
function first(get: Lookup, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = get(name);
    if (value !== undefined && value !== "") return [name, value];
  }
  return undefined;
}

function integer(
  get: Lookup,
  names: readonly string[],
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const found = first(get, names);
  if (!found) return undefined;
  const [name, text] = found;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(name, `expected an integer ${range}, got "${text}"`);
  }
  return n;
}

/**
 * The job token, which every rank and the coordinator must share; a `UsageError` naming
 * `GRADMESH_TOKEN` when it is missing or too weak to be a secret.
 *
 * @example
 * ```ts
 * import { requireToken } from "./env.ts";
 * requireToken("0123456789abcdef0123"); // "0123456789abcdef0123"
 * ```
 */
export function requireToken(token: string | undefined): string {
  if (token === undefined) {
    throw new UsageError(
      "GRADMESH_TOKEN",
      "not set; give the coordinator and every worker the same job token " +
        "(e.g. export GRADMESH_TOKEN=$(openssl rand -hex 32))",
    );
  }
  if (!/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new UsageError(
      "GRADMESH_TOKEN",
      "expected at least 16 printable characters without spaces (e.g. openssl rand -hex 32)",
    );
  }
  return token;
}

/**
 * Reads and checks the launch variables from `get` (default: the process environment).
 *
 * @example
 * ```ts
 * import { parseLaunchEnv } from "./env.ts";
 * const vars: Record<string, string> = { SLURM_PROCID: "3", SLURM_NTASKS: "8", MASTER_ADDR: "node1" };
 * const env = parseLaunchEnv((name) => vars[name]);
 * env.rank; // 3
 * env.coordinatorUrl; // "http://node1:29500"
 * ```
 */
export function parseLaunchEnv(get: Lookup = (name) => Deno.env.get(name)): LaunchEnv {
  const rank = integer(get, ["RANK", "SLURM_PROCID"], 0);
  const worldSize = integer(get, ["WORLD_SIZE", "SLURM_NTASKS"], 1);
  const localRank = integer(get, ["LOCAL_RANK", "SLURM_LOCALID"], 0);
  if (rank !== undefined && worldSize !== undefined && rank >= worldSize) {
    const [name] = first(get, ["RANK", "SLURM_PROCID"])!;
    throw new UsageError(
      name,
      `is ${rank}, but the world has ${worldSize} ranks (0..${worldSize - 1})`,
    );
  }
  const masterAddr = get("MASTER_ADDR") || "127.0.0.1";
  if (
    !/^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/.test(
      masterAddr,
    )
  ) {
    throw new UsageError("MASTER_ADDR", `expected a host name or IP address, got "${masterAddr}"`);
  }
  const masterPort = integer(get, ["MASTER_PORT"], 1, 65535) ?? DEFAULT_MASTER_PORT;
  const token = get("GRADMESH_TOKEN");
  return {
    rank,
    worldSize,
    localRank,
    masterAddr,
    masterPort,
    coordinatorUrl: baseUrl(masterAddr.replace(/^\[|\]$/g, ""), masterPort),
    token,
  };
}
