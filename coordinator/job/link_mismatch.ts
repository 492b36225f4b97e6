/**
 * Every rank of a job must run the same link (`--link`): a native rank cannot read an HTTP
 * peer's chunks, nor the other way round. Each rank announces its endpoint in the
 * rendezvous, `tcp://…` for the native link and `http://…` for HTTP, so the coordinator
 * refuses a mixed world there, before any rank trains, instead of its first send failing.
 *
 * @module
 */

import { GradmeshError } from "../../core/errors.ts";

/** A rank of the rendezvous, as far as its link goes. */
export interface LinkOffer {
  readonly rank: number;
  readonly host: string;
  /** The endpoint it announced. */
  readonly ringUrl: string;
}

/** Ranks that announced different links: a configuration error (exit 2). */
export class LinkMismatchError extends GradmeshError {
  /** Bad configuration: exit code 2. */
  override readonly exitCode = 2;
}

/** The link an endpoint URL stands for: `native` (`tcp://`), `http`, or its scheme. */
function linkOf(url: string): string {
  const scheme = url.slice(0, Math.max(0, url.indexOf("://")));
  return scheme === "tcp" ? "native" : scheme;
}

/**
 * Why `offers` cannot make one job (the lowest rank whose link differs from the lowest
 * rank's, named with both links), or `undefined` when they all run the same.
 *
 * @example
 * ```ts
 * import { mixedLinks } from "./link_mismatch.ts";
 * mixedLinks([
 *   { rank: 0, host: "a", ringUrl: "tcp://a:1" },
 *   { rank: 1, host: "b", ringUrl: "http://b:2" },
 * ])?.message; // "rank 1 (b) offers http but rank 0 (a) offers native: start every worker with the same --link"
 * ```
 */
export function mixedLinks(offers: readonly LinkOffer[]): LinkMismatchError | undefined {
  const [first, ...rest] = [...offers].sort((a, b) => a.rank - b.rank);
  const odd = rest.find((o) => linkOf(o.ringUrl) !== linkOf(first.ringUrl));
  if (!odd) return undefined;
  return new LinkMismatchError(
    `rank ${odd.rank} (${odd.host}) offers ${linkOf(odd.ringUrl)} but rank ${first.rank} ` +
      `(${first.host}) offers ${linkOf(first.ringUrl)}: start every worker with the same --link`,
  );
}
