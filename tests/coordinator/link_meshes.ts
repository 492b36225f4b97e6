/**
 * Meshes of real links in one process, sockets on 127.0.0.1, one per transport, so that a
 * test of a `Link`'s behaviour runs over HTTP and over the native link alike.
 *
 * @module
 */

import { HttpLink } from "../../coordinator/transport/http_link.ts";
import type { ChunkKey, Link } from "../../coordinator/transport/link.ts";
import type { Mailbox } from "../../coordinator/transport/mailbox.ts";
import { NativeLink } from "../../coordinator/transport/native_link.ts";
import { serveNative } from "../../coordinator/transport/native_server.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";

/** The chunks rank `rank` expects, as `RingAppOptions.chunkLengthFor` for that rank. */
export type ExpectedChunks = (rank: number) => (key: ChunkKey, from: number) => number | undefined;

/** `world` ranks' links and mailboxes; disposing closes every link and endpoint. */
export interface TestMesh extends AsyncDisposable {
  readonly links: Link[];
  readonly mailboxes: Mailbox[];
  /** Requests an endpoint refused so far (HTTP only; 0 for the native link). */
  refused(): number;
}

/** The transports a {@link TestMesh} can run on. */
export type Transport = "http" | "native";

/** A mesh of `world` ranks over `transport`, `streams` connections to each peer. */
export async function startTestMesh(
  transport: Transport,
  world: number,
  expected: ExpectedChunks,
  streams = 2,
  token = newJobToken(),
): Promise<TestMesh> {
  const ranks = Array.from({ length: world }, (_, rank) => rank);
  if (transport === "http") {
    const servers = ranks.map((rank) => serveRing({ token, chunkLengthFor: expected(rank) }));
    const peers = servers.map((s) => s.url);
    const links = servers.map((s, rank) =>
      new HttpLink({ rank, peers, token, mailbox: s.mailbox, maxInFlight: streams })
    );
    return {
      links,
      mailboxes: servers.map((s) => s.mailbox),
      refused: () => servers.reduce((n, s) => n + s.stats().refused, 0),
      async [Symbol.asyncDispose]() {
        await Promise.all(links.map((link) => link.close()));
        await Promise.all(servers.map((server) => server.shutdown()));
      },
    };
  }
  const servers = await Promise.all(
    ranks.map((rank) => serveNative({ token, chunkLengthFor: expected(rank) })),
  );
  const peers = servers.map((s) => s.url);
  const links = servers.map((server, rank) =>
    new NativeLink({ rank, peers, token, server, maxInFlight: streams })
  );
  return {
    links,
    mailboxes: servers.map((s) => s.mailbox),
    refused: () => 0,
    async [Symbol.asyncDispose]() {
      await Promise.all(links.map((link) => link.close()));
      await Promise.all(servers.map((server) => server.shutdown()));
    },
  };
}
