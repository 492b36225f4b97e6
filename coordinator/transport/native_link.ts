/**
 * The native {@link Link}: chunks travel as frames (native_frame.ts) on TCP connections
 * made through the C library (native_socket.ts), each chunk one `sendmsg` of header and
 * body straight from the caller's floats; chunks addressed to this rank are taken from the
 * mailbox of its own {@link NativeServer}. Where a shaped network hands `Deno.Conn` about
 * 64 KB per read, each a trip through the event loop, a chunk here is mostly one blocking
 * call on Deno's thread pool once it arrives, so a rank spends far less CPU per byte; idle
 * connections wait in one shared `epoll_wait` (native_socket.ts), however many there are.
 *
 * Linux only, and it needs `--allow-ffi`: {@link nativeLinkUnavailable} says why not.
 *
 * @module
 */

import { abortable } from "./abortable.ts";
import type { HttpLinkOptions } from "./http_link.ts";
import { errorMessage, MeshAuthError, MeshError } from "./errors.ts";
import type { ChunkKey, Link } from "./link.ts";
import { byeFrame, encodeFrame, encodeHello, FRAME_BYTES, HELLO_OK } from "./native_frame.ts";
import { NATIVE_SCHEME, type NativeServer } from "./native_server.ts";
import { loadLibc, NativeSocket } from "./native_socket.ts";
import { sleep } from "./sleep.ts";

/**
 * Options of {@link NativeLink}: those of `HttpLink` (`maxInFlight` is the connections to
 * each peer, `--streams`; default {@link DEFAULT_NATIVE_STREAMS}), with this rank's own
 * endpoint in place of its mailbox.
 */
export interface NativeLinkOptions extends Omit<HttpLinkOptions, "mailbox"> {
  /** This rank's own endpoint. */
  readonly server: NativeServer;
}

const DEFAULT_CONNECT_RETRY_MS = 10_000;
/**
 * Connections per peer unless told otherwise: on the emulated 1 GbE network one stream
 * per peer filled the link as well as more did (bench/RESULTS.md, allreduce-1gbe).
 */
export const DEFAULT_NATIVE_STREAMS = 1;

/**
 * Chunks each transfer of a job on the native link is cut into unless `--streams` says
 * otherwise (`AllReducePlan`'s `streams`, with one connection per peer): with one 2 MiB chunk
 * per ring step a rank's add and hand-off leave the link idle, with two the next chunk
 * travels meanwhile. At 8 ranks on 1 GbE, 16 MB, it carried 90–94% of the link in 6 of 7
 * runs against 76–91% without (bench/RESULTS.md, allreduce-1gbe; no change at 64 MB).
 */
export const DEFAULT_NATIVE_SPREAD = 2;

/** One TCP connection to a peer: its sends run one after another. */
interface Connection {
  readonly socket: Promise<NativeSocket>;
  /** Settles when the last send queued on it has. */
  tail: Promise<void>;
  /** Bytes queued and not yet sent. */
  queued: number;
  /** Why it can no longer send. */
  failed?: unknown;
}

/**
 * Why the native link cannot be used here (not Linux, no `--allow-ffi`, no `libc.so.6`), or
 * `undefined` when it can.
 */
export function nativeLinkUnavailable(): string | undefined {
  const libc = loadLibc();
  return typeof libc === "string" ? libc : undefined;
}

/**
 * One rank's native connection to the mesh.
 *
 * @example Two ranks in one process
 * ```ts ignore
 * import { NativeLink } from "./native_link.ts";
 * import { serveNative } from "./native_server.ts";
 * const token = "t";
 * const servers = await Promise.all([0, 1].map(() => serveNative({ token, chunkLengthFor: () => 2 })));
 * const peers = servers.map((s) => s.url);
 * const links = servers.map((server, rank) => new NativeLink({ rank, peers, token, server }));
 * const got = new Float32Array(2);
 * const key = { step: 0, bucket: 0, chunk: 0 };
 * const arrived = links[1].recvInto(0, key, got);
 * await links[0].send(1, key, new Float32Array([1, 2]));
 * await arrived; // got is [1, 2]
 * for (const link of links) await link.close();
 * for (const server of servers) await server.shutdown();
 * ```
 */
export class NativeLink implements Link {
  readonly #options: NativeLinkOptions;
  readonly #peers = new Map<number, Connection[]>();
  /** Aborted by `close`: stops connecting and cuts handshakes under way. */
  readonly #closing = new AbortController();

  constructor(options: NativeLinkOptions) {
    this.#options = options;
  }

  send(
    to: number,
    key: ChunkKey,
    data: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    let connections: Connection[];
    try {
      connections = this.#connections(to, key);
    } catch (error) {
      return Promise.reject(error);
    }
    const connection = connections.reduce((a, b) => (b.queued < a.queued ? b : a));
    const bytes = data.byteLength;
    connection.queued += bytes;
    const sent = connection.tail.then(async () => {
      if (connection.failed !== undefined) throw connection.failed;
      const socket = await connection.socket;
      if (signal?.aborted) throw signal.reason;
      const head = new Uint8Array(FRAME_BYTES);
      encodeFrame(head, key, bytes);
      await socket.sendAll(head, new Uint8Array(data.buffer, data.byteOffset, bytes));
    }).catch((error) => {
      if (signal?.aborted) throw signal.reason;
      connection.failed ??= error instanceof MeshError
        ? error
        : this.#error(to, key, errorMessage(error));
      throw connection.failed;
    }).finally(() => connection.queued -= bytes);
    connection.tail = sent.catch(() => {});
    if (!signal) return sent;
    // Given up, the connection is cut, so that no send waits on it any longer.
    const cut = () => void connection.socket.then((s) => s.shutdown(), () => {});
    signal.addEventListener("abort", cut, { once: true });
    sent.finally(() => signal.removeEventListener("abort", cut)).catch(() => {});
    return abortable(sent, signal);
  }

  /**
   * Reads the chunk straight from the socket into `target` when this is called before it
   * arrives (see `Mailbox.takeInto`); rejects with a `MeshError` once the connection from
   * `from` broke off.
   */
  recvInto(
    from: number,
    key: ChunkKey,
    target: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { server } = this.#options;
    const lost = server.lost(from);
    const until = signal ? AbortSignal.any([signal, lost]) : lost;
    return server.mailbox.takeInto(from, key, target, until);
  }

  peerAddress(rank: number): string {
    const url = this.#options.peers[rank];
    return url === undefined ? `rank ${rank}?` : new URL(url).host;
  }

  /**
   * Says goodbye on every idle connection, cuts the busy ones, and waits until no call on
   * any of them is in flight.
   */
  async close(): Promise<void> {
    this.#closing.abort(new Error("link closed"));
    const connections = [...this.#peers.values()].flat();
    this.#peers.clear();
    await Promise.all(connections.map(async (connection) => {
      const socket = await connection.socket.catch(() => undefined);
      if (!socket) return;
      if (connection.queued === 0 && connection.failed === undefined) {
        await socket.sendAll(byeFrame(), new Uint8Array(0)).catch(() => {});
      }
      socket.shutdown();
      await connection.tail;
      socket.close();
    }));
  }

  /** Rank `to`'s connections, opened on first use. */
  #connections(to: number, key: ChunkKey): Connection[] {
    const existing = this.#peers.get(to);
    if (existing) return existing;
    const { peers, maxInFlight } = this.#options;
    if (peers[to] === undefined) {
      throw this.#error(to, key, `no rank ${to} among ${peers.length} peers`);
    }
    const url = new URL(peers[to]);
    if (url.protocol !== NATIVE_SCHEME) {
      throw this.#error(to, key, `${peers[to]} is not a native endpoint (tcp://host:port)`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const connections = Array.from({ length: maxInFlight ?? DEFAULT_NATIVE_STREAMS }, () => {
      const socket = this.#open(to, key, host, Number(url.port));
      socket.catch(() => {}); // a send that uses it reports the failure
      return { socket, tail: Promise.resolve(), queued: 0 };
    });
    this.#peers.set(to, connections);
    return connections;
  }

  /**
   * A connection to rank `to` that passed the handshake, retried while the peer starts and
   * while its endpoint cuts the handshake (as it does to its oldest when strangers crowd it).
   */
  async #open(to: number, key: ChunkKey, host: string, port: number): Promise<NativeSocket> {
    const { connectRetryMs } = this.#options;
    const closing = this.#closing.signal;
    const giveUpAt = Date.now() + (connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS);
    for (let wait = 5;; wait = Math.min(2 * wait, 200)) {
      let socket: NativeSocket | undefined;
      let failure: string;
      try {
        socket = await NativeSocket.connect(host, port);
        const answer = await this.#greet(socket);
        if (answer === HELLO_OK) return socket;
        socket.close();
        throw this.#error(to, key, "refused our job token", MeshAuthError);
      } catch (error) {
        if (error instanceof MeshAuthError) throw error;
        socket?.close();
        failure = socket
          ? `handshake failed: ${errorMessage(error)}`
          : `cannot connect: ${errorMessage(error)}`;
      }
      if (closing.aborted || Date.now() >= giveUpAt) throw this.#error(to, key, failure);
      await sleep(wait, closing).catch(() => {});
    }
  }

  /** Sends this rank's handshake on `socket`; the endpoint's answer. */
  async #greet(socket: NativeSocket): Promise<number> {
    const { rank, token } = this.#options;
    const closing = this.#closing.signal;
    const answer = new Uint8Array(4);
    // A peer that never answers the handshake must not hold `close` up.
    const cut = () => socket.shutdown();
    closing.addEventListener("abort", cut, { once: true });
    try {
      if (closing.aborted) throw closing.reason;
      await socket.sendAll(encodeHello(rank, token), new Uint8Array(0));
      if (!await socket.recvExact(answer)) throw new Error("closed during the handshake");
    } finally {
      closing.removeEventListener("abort", cut);
    }
    return new DataView(answer.buffer).getUint32(0, true);
  }

  #error(to: number, key: ChunkKey, message: string, kind = MeshError): MeshError {
    const where = `bucket ${key.bucket} chunk ${key.chunk}`;
    return new kind(to, this.peerAddress(to), key.step, `${where}: ${message}`);
  }
}
