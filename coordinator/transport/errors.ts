/**
 * Typed mesh errors. Each names the peer rank and address it concerns and the training
 * step it happened in, so that a log line from any rank points at the culprit.
 *
 * @module
 */

import { GradmeshError } from "../../core/errors.ts";

/** A peer failed, refused or misbehaved during `step`; `rank` and `host` name the peer. */
export class MeshError extends GradmeshError {
  constructor(
    readonly rank: number,
    readonly host: string,
    readonly step: number,
    message: string,
  ) {
    super(`rank ${rank} (${host}), step ${step}: ${message}`);
  }
}

/** A peer rejected our job token (HTTP 401): the ranks were started with different jobs. */
export class MeshAuthError extends MeshError {}

/** A peer sent nothing, or acknowledged nothing, for `timeoutMs` while a bucket was reduced. */
export class MeshTimeoutError extends MeshError {
  constructor(
    rank: number,
    host: string,
    step: number,
    readonly bucket: number,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(rank, host, step, `bucket ${bucket}: ${message} for ${timeoutMs} ms`);
  }
}

/** What `error` says: its message, or the thrown value as text when it is not an `Error`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
