/**
 * Typed errors of a training job, beside the transport's in `errors.ts`: a request the
 * coordinator refuses, a rendezvous that never completed, a worker that lost its
 * coordinator or was told to stop, ranks whose parameters drifted apart, and a worker
 * process that died. Each names the rank, host and step it concerns.
 *
 * @module
 */

import { GradmeshError } from "../../core/errors.ts";
import { MeshError } from "../transport/errors.ts";

/** A coordinator request whose body or field is malformed (HTTP 400); `field` names it. */
export class WireFormatError extends GradmeshError {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/**
 * A well-formed request that the job's state refuses (HTTP 409): a rank already taken, a
 * rank that never joined, a join after the rendezvous.
 */
export class JobStateError extends GradmeshError {}

/** Who joined a rendezvous, for {@link RendezvousError}. */
export interface JoinedRank {
  readonly rank: number;
  readonly host: string;
}

/** The world did not complete within the rendezvous timeout; `missing` lists the absent ranks. */
export class RendezvousError extends GradmeshError {
  constructor(
    readonly missing: readonly number[],
    readonly joined: readonly JoinedRank[],
    readonly timeoutMs: number,
  ) {
    const world = missing.length + joined.length;
    const who = joined.map((j) => `rank ${j.rank} (host ${j.host})`).join(", ") || "none";
    super(
      `rendezvous timed out after ${(timeoutMs / 1000).toFixed(1)} s: ` +
        `rank${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${world} never joined ` +
        `(joined: ${who})`,
    );
  }
}

/**
 * A worker's exchange with its coordinator failed: refused, answered an error, or was
 * unreachable. `rank` is the worker's own (null before it has one).
 */
export class CoordinatorError extends GradmeshError {
  /** 2 when the coordinator refused the job's configuration (mixed links), else 1. */
  override readonly exitCode: number;
  constructor(
    readonly url: string,
    readonly rank: number | null,
    readonly step: number,
    /** What went wrong, without the coordinator, rank and step. */
    readonly detail: string,
    exitCode = 1,
  ) {
    super(`coordinator ${url} (rank ${rank ?? "?"}, step ${step}): ${detail}`);
    this.exitCode = exitCode;
  }
}

/** The coordinator told this worker to stop, because the job failed elsewhere. */
export class JobAbortedError extends GradmeshError {
  constructor(readonly rank: number, readonly step: number, readonly reason: string) {
    super(`rank ${rank}, step ${step}: job aborted: ${reason}`);
  }
}

/** The coordinator ended this worker's round to restart the job: it should join again. */
export class JobRestartError extends JobAbortedError {}

/**
 * Ranks whose parameters differ from rank 0's at a checksum step; `rank` and `host` name
 * the first of them, `ranks` all.
 */
export class ParameterMismatchError extends MeshError {
  constructor(
    rank: number,
    host: string,
    step: number,
    readonly ranks: readonly number[],
    message: string,
  ) {
    super(rank, host, step, message);
  }
}

/** A socket could not be bound: the address is in use, not this host's, or not allowed. */
export class ListenError extends GradmeshError {
  constructor(readonly host: string, readonly port: number, cause: unknown) {
    super(`cannot listen on ${host}:${port}: ${cause instanceof Error ? cause.message : cause}`);
    this.cause = cause;
  }

  /**
   * Runs `listen`, turning the errors of binding a socket into a `ListenError`, also when
   * it returns a promise that rejects with one.
   */
  static wrap<T>(host: string, port: number, listen: () => T): T {
    const convert = (error: unknown) => {
      const binding = error instanceof Deno.errors.AddrInUse ||
        error instanceof Deno.errors.AddrNotAvailable ||
        error instanceof Deno.errors.PermissionDenied;
      return binding ? new ListenError(host, port, error) : error;
    };
    try {
      const listening = listen();
      if (!(listening instanceof Promise)) return listening;
      return listening.catch((error) => {
        throw convert(error);
      }) as T;
    } catch (error) {
      throw convert(error);
    }
  }
}

/** A worker process exited, or was killed, before the job finished. */
export class WorkerExitError extends MeshError {}
