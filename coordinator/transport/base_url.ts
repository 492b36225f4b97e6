/**
 * HTTP base URLs from a host and a port.
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
