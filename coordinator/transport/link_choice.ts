/**
 * Which link a rank's all-reduces travel over (`--link`): `native` (TCP through the C
 * library, native_link.ts), `http` (http_link.ts), or `auto`: native where the C library
 * loads (Linux, `--allow-ffi`), else http. Every rank announces its endpoint's URL in the
 * rendezvous, `tcp://host:port` or `http://host:port`, so its peers know which it serves.
 *
 * @module
 */

import { UsageError } from "../../core/errors.ts";
import { nativeLinkUnavailable } from "./native_link.ts";

/** What `--link` accepts. */
export const LINK_CHOICES = ["auto", "native", "http"] as const;

/** A `--link` value. */
export type LinkChoice = typeof LINK_CHOICES[number];

/** The link a rank runs over once `auto` is resolved, and why. */
export interface ResolvedLink {
  readonly kind: "native" | "http";
  /** Why `auto` fell back to http, when it did. */
  readonly fallback?: string;
}

/**
 * Resolves `choice` on this thread; `native` where it cannot load is a `UsageError`.
 *
 * @example
 * ```ts ignore
 * import { resolveLink } from "./link_choice.ts";
 * resolveLink("auto"); // { kind: "native" } on Linux with --allow-ffi
 * ```
 */
export function resolveLink(choice: LinkChoice): ResolvedLink {
  if (choice === "http") return { kind: "http" };
  const unavailable = nativeLinkUnavailable();
  if (unavailable === undefined) return { kind: "native" };
  if (choice === "native") {
    throw new UsageError("--link native", `needs Linux's libc through FFI: ${unavailable}`);
  }
  return { kind: "http", fallback: unavailable };
}

/** `native`, or `http (native unavailable: why)`, for a rank's first lines. */
export function describeLink(link: ResolvedLink): string {
  return link.fallback ? `http (native unavailable: ${link.fallback})` : link.kind;
}
