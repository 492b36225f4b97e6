/**
 * HTTP base URLs from a host and a port, and which bind addresses cannot be dialled.
 *
 * @module
 */

/**
 * `http://host:port`, with an IPv6 literal in brackets.
 *
 * @example
 * ```ts
 * import { baseUrl } from "./base_url.ts";
 * baseUrl("10.0.0.2", 29500); // "http://10.0.0.2:29500"
 * baseUrl("fd00::2", 29500); // "http://[fd00::2]:29500"
 * ```
 */
export function baseUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Whether `host` is a wildcard bind address (every interface), which no peer can dial: an
 * address to show or advertise is then the machine's hostname.
 *
 * @example
 * ```ts
 * import { isWildcard } from "./base_url.ts";
 * isWildcard("0.0.0.0"); // true
 * isWildcard("10.0.0.2"); // false
 * ```
 */
export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}
