/**
 * A rank's receiving endpoint for either link, behind one shape: it listens from the start
 * (its URL goes into the rendezvous), learns which chunks to expect once the rank knows its
 * plan, and makes the rank's {@link Link} to its peers.
 *
 * @module
 */

import { HttpLink } from "./http_link.ts";
import type { ChunkKey, Link } from "./link.ts";
import { NativeLink } from "./native_link.ts";
import { serveNative } from "./native_server.ts";
import { serveRing } from "./ring_server.ts";

/** As `RingAppOptions.chunkLengthFor`. */
export type ChunkLengths = (key: ChunkKey, from: number) => number | undefined | null;

/** What a rank needs to join the mesh (named as `HttpLinkOptions` names them). */
export interface LinkConnect {
  readonly rank: number;
  /** Every rank's endpoint URL, by rank. */
  readonly peers: readonly string[];
  readonly connectRetryMs?: number;
  /** Connections to each peer (`--streams`). */
  readonly maxInFlight?: number;
}

/** A listening endpoint of either link. */
export interface LinkEndpoint {
  /** `http://host:port` or `tcp://host:port`. */
  readonly url: string;
  /** From now on, the chunks to accept; until then every chunk waits (its sender retries). */
  expect(chunkLengthFor: ChunkLengths): void;
  /** This rank's link to its peers, receiving through this endpoint. */
  connect(connect: LinkConnect, token: string): Link;
  /** Stops listening and waits for requests in flight. */
  shutdown(): Promise<void>;
}

/**
 * Starts listening with the `kind` link's endpoint on `hostname:port` (`0`: any free port).
 *
 * @example
 * ```ts ignore
 * import { serveLinkEndpoint } from "./link_endpoint.ts";
 * const endpoint = await serveLinkEndpoint("native", { token: "t", hostname: "127.0.0.1", port: 0 });
 * endpoint.expect(() => 4);
 * const link = endpoint.connect({ rank: 0, peers: [endpoint.url] }, "t");
 * await link.close();
 * await endpoint.shutdown();
 * ```
 */
export async function serveLinkEndpoint(
  kind: "native" | "http",
  where: { readonly token: string; readonly hostname: string; readonly port: number },
): Promise<LinkEndpoint> {
  let expected: ChunkLengths = () => null;
  let peers: readonly string[] = [];
  const chunkLengthFor: ChunkLengths = (key, from) => expected(key, from);
  const expect = (lengths: ChunkLengths) => void (expected = lengths);
  if (kind === "http") {
    const server = serveRing({ ...where, chunkLengthFor });
    return {
      url: server.url,
      expect,
      connect: (connect, token) => new HttpLink({ ...connect, token, mailbox: server.mailbox }),
      shutdown: () => server.shutdown(),
    };
  }
  const server = await serveNative({
    ...where,
    chunkLengthFor,
    peerAddress: (rank) => peers[rank] ? new URL(peers[rank]).host : `rank ${rank}`,
    world: () => peers.length,
  });
  return {
    url: server.url,
    expect,
    connect: (connect, token) => {
      peers = connect.peers;
      return new NativeLink({ ...connect, token, server });
    },
    shutdown: () => server.shutdown(),
  };
}
