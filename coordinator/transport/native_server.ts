/**
 * The receiving end of a rank's native links: a TCP listener whose connections each open
 * with a handshake (native_frame.ts) and then carry chunk frames one after another. A
 * chunk's body is read by one `recv(…, MSG_WAITALL)` straight into the memory its taker
 * waits with (`Mailbox.claim`), or else into an array of its own that the mailbox keeps.
 *
 * The rules of the HTTP route (ring_app.ts), on a stream that has no replies: a wrong token
 * is answered in the handshake and the connection closed; a chunk that is not expected, has
 * another length or came twice closes the connection (the sender's next send fails); a
 * chunk of a step this rank left behind is read and dropped; a chunk more than
 * `STEP_WINDOW` steps ahead, or any chunk before this rank knows its plan, waits in the
 * socket, so TCP holds the sender back as a 503 would. A connection that ends without the
 * sender's goodbye frame marks the sender lost (receives from it fail with a `MeshError`)
 * once it was the last connection open from that rank: a second connection claiming a rank
 * whose stream is alive (a stray or a confused client with the token) cannot fail the job
 * by hanging up or by breaking a rule; such a connection is closed and logged.
 *
 * Strangers: at most {@link MAX_HANDSHAKES} connections may be at their handshake at once,
 * each for at most the handshake timeout; a newcomer past the bound takes the place of the
 * oldest, so connections that never finish their handshake cannot lock real peers out
 * (a peer's handshake takes a round trip, and `NativeLink` tries again when it was cut).
 * Refused connections are logged at most once per kind every `LOG_INTERVAL_MS` (log_limiter.ts).
 *
 * @module
 */

import { errorMessage, MeshError } from "./errors.ts";
import type { ChunkKey } from "./link.ts";
import { LogLimiter } from "./log_limiter.ts";
import { Mailbox } from "./mailbox.ts";
import {
  decodeFrame,
  decodeHelloHead,
  FRAME_BYTES,
  HELLO_BYTES,
  HELLO_OK,
  HELLO_WRONG_TOKEN,
} from "./native_frame.ts";
import { NativeListener, type NativeSocket } from "./native_socket.ts";
import { sleep } from "./sleep.ts";
import { constantTimeEqual } from "./token.ts";

/** The URL scheme of a native endpoint: `tcp://host:port`. */
export const NATIVE_SCHEME = "tcp:";

/** Options of {@link serveNative}. */
export interface NativeServerOptions {
  /** The job token every connection must prove. */
  readonly token: string;
  /** As `RingAppOptions.chunkLengthFor`: floats expected, `undefined` if none, `null` if not known yet. */
  readonly chunkLengthFor: (key: ChunkKey, from: number) => number | undefined | null;
  /** Where rank `rank` lives, for the errors that name it. Default `rank N`. */
  readonly peerAddress?: (rank: number) => string;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /** How long a connection may take over its handshake. Default {@link HANDSHAKE_TIMEOUT_MS}. */
  readonly handshakeTimeoutMs?: number;
  /** Where refused connections are reported (rate-limited). Default `console.warn`. */
  readonly log?: (line: string) => void;
  /** Ranks in the job once known (a handshake naming another is refused), else 0. */
  readonly world?: () => number;
}

/** A listening native endpoint. */
export interface NativeServer {
  /** What peers connect to: `tcp://host:port`. */
  readonly url: string;
  /** Where accepted chunks wait; give it to the rank's `NativeLink`. */
  readonly mailbox: Mailbox;
  /** Aborted, with a `MeshError` naming `rank`, once a connection from it broke off. */
  lost(rank: number): AbortSignal;
  /** Stops listening, ends every connection and waits until their reads returned. */
  shutdown(): Promise<void>;
}

/** Polls of a chunk that has to wait (plan not known yet, or too far ahead). */
const FIRST_WAIT_MS = 1, LONGEST_WAIT_MS = 50;
/**
 * How long a connection may take over its handshake, and how many may be at it at once
 * (a descriptor each; a handshake is read through the shared `epoll_wait`, so it holds
 * none of the blocking pool's threads). A connection past the bound cuts the oldest handshake under way.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000, MAX_HANDSHAKES = 32;

/** `tcp://host:port`, with an IPv6 literal in brackets. */
export function nativeUrl(host: string, port: number): string {
  return `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Starts listening; resolves once it does.
 *
 * @example
 * ```ts ignore
 * import { serveNative } from "./native_server.ts";
 * const server = await serveNative({ token: "t", chunkLengthFor: () => 2 });
 * console.log(server.url); // tcp://127.0.0.1:<port>
 * await server.shutdown();
 * ```
 */
export async function serveNative(options: NativeServerOptions): Promise<NativeServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const listener = await NativeListener.listen(hostname, options.port ?? 0);
  const mailbox = new Mailbox();
  const stopping = new AbortController();
  const sockets = new Set<NativeSocket>();
  const running = new Set<Promise<void>>();
  const lost = new Map<number, AbortController>();
  /** Connections at their handshake, oldest first. */
  const greeting = new Set<NativeSocket>();
  /** Connections past their handshake, per rank. */
  const open = new Map<number, number>();
  const limiter = new LogLimiter(options.log ?? console.warn);
  const name = (rank: number) => options.peerAddress?.(rank) ?? `rank ${rank}`;
  const lostController = (rank: number) => {
    let controller = lost.get(rank);
    if (!controller) lost.set(rank, controller = new AbortController());
    return controller;
  };

  const serve = async (socket: NativeSocket) => {
    let from: number | undefined;
    // Why the connection ended other than by the sender's goodbye, if it did.
    let broke: string | undefined;
    try {
      greeting.add(socket);
      const timeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
      const late = setTimeout(() => {
        socket.shutdown();
        limiter.log("slow", `native endpoint: a handshake took over ${timeoutMs} ms: closed`);
      }, timeoutMs);
      try {
        from = await handshake(socket, options.token, options.world?.() ?? 0);
      } finally {
        clearTimeout(late);
        greeting.delete(socket);
      }
      if (from === undefined) return;
      open.set(from, (open.get(from) ?? 0) + 1);
      // A rank that connects again (a rejoin) is no longer lost.
      if (lost.get(from)?.signal.aborted) lost.delete(from);
      const orderly = await readFrames(socket, from, mailbox, options, stopping.signal);
      if (!orderly) broke = "closed without a goodbye";
    } catch (error) {
      broke = errorMessage(error);
      if (error instanceof ProtocolError && !stopping.signal.aborted) {
        const who = from === undefined ? "handshake" : `rank ${from}`;
        limiter.log(who === "handshake" ? who : "frames", `native endpoint: ${who}: ${broke}`);
      }
    } finally {
      // Past its handshake (counted in `open`), the connection leaves; the last from a rank
      // to break off marks it lost.
      const others = from === undefined ? 0 : open.get(from)! - 1;
      if (others > 0) open.set(from!, others);
      else if (from !== undefined) {
        open.delete(from);
        if (broke !== undefined && !stopping.signal.aborted) {
          lostController(from).abort(
            new MeshError(from, name(from), mailbox.step, `connection broke off: ${broke}`),
          );
        }
      }
      sockets.delete(socket);
      socket.close();
    }
  };

  const acceptLoop = (async () => {
    for (;;) {
      const socket = await listener.accept().catch(() => undefined);
      if (!socket) return;
      if (greeting.size >= MAX_HANDSHAKES) {
        const [oldest] = greeting;
        greeting.delete(oldest);
        oldest.shutdown();
        limiter.log(
          "full",
          `native endpoint: ${MAX_HANDSHAKES} handshakes under way: the oldest was cut`,
        );
      }
      sockets.add(socket);
      const task = serve(socket);
      running.add(task);
      task.finally(() => running.delete(task));
    }
  })();

  return {
    url: nativeUrl(hostname, listener.port),
    mailbox,
    lost: (rank) => lostController(rank).signal,
    async shutdown() {
      if (stopping.signal.aborted) return;
      stopping.abort(new Error("native endpoint shut down"));
      listener.shutdown();
      await acceptLoop;
      listener.close();
      for (const socket of sockets) socket.shutdown();
      await Promise.all(running);
    },
  };
}

/** A peer broke the protocol: the connection is closed. */
class ProtocolError extends Error {}

/**
 * The rank a connection's handshake proves, or `undefined` when it closed before a byte;
 * throws a `ProtocolError` for a wrong token (answered first), a rank not below `world`
 * (when known, else 0), or bytes that are no handshake.
 */
async function handshake(
  socket: NativeSocket,
  token: string,
  world: number,
): Promise<number | undefined> {
  const head = new Uint8Array(HELLO_BYTES);
  if (!await socket.recvPolled(head)) return undefined;
  const hello = decodeHelloHead(head);
  if (typeof hello === "string") throw new ProtocolError(hello);
  if (world > 0 && hello.rank >= world) {
    throw new ProtocolError(`rank ${hello.rank} is not among the job's ${world}`);
  }
  const offered = new Uint8Array(hello.tokenBytes);
  if (hello.tokenBytes > 0 && !await socket.recvPolled(offered)) return undefined;
  const ok = constantTimeEqual(new TextDecoder().decode(offered), token);
  const answer = new Uint8Array(Uint32Array.of(ok ? HELLO_OK : HELLO_WRONG_TOKEN).buffer);
  await socket.sendAll(answer, new Uint8Array(0));
  if (!ok) throw new ProtocolError(`rank ${hello.rank} offered a wrong job token`);
  return hello.rank;
}

/**
 * Reads chunk frames from rank `from` into `mailbox` until its goodbye (resolves `true`), the
 * end of the stream (`false`), or a broken rule (rejects).
 */
async function readFrames(
  socket: NativeSocket,
  from: number,
  mailbox: Mailbox,
  options: NativeServerOptions,
  stopping: AbortSignal,
): Promise<boolean> {
  const head = new Uint8Array(FRAME_BYTES);
  for (;;) {
    if (!await socket.recvExact(head)) return false;
    const frame = decodeFrame(head);
    if (typeof frame === "string") throw new ProtocolError(frame);
    if (frame.kind === "bye") return true;
    const { key, bytes } = frame;
    const floats = await expectedFloats(key, from, mailbox, options, stopping);
    if (floats === undefined) {
      throw new ProtocolError(
        `step ${key.step} bucket ${key.bucket}: no chunk ${key.chunk} expected`,
      );
    }
    if (bytes !== 4 * floats) {
      throw new ProtocolError(
        `step ${key.step} bucket ${key.bucket} chunk ${key.chunk}: ${bytes} bytes, expected ${
          4 * floats
        }`,
      );
    }
    if (mailbox.timing(from, key) === "late") {
      // A step this rank left behind: nobody will take it.
      if (!await socket.recvExact(new Uint8Array(bytes))) return false;
      continue;
    }
    const target = mailbox.claim(from, key, floats, () => socket.shutdown());
    const data = target ?? new Float32Array(floats);
    let complete = false;
    try {
      complete = await socket.recvExact(new Uint8Array(data.buffer, data.byteOffset, bytes));
    } finally {
      if (!complete && target) mailbox.unclaim(from, key);
    }
    if (!complete) throw new Error("connection closed mid-chunk");
    if (!mailbox.deliver(from, key, data)) {
      throw new ProtocolError(
        `step ${key.step} bucket ${key.bucket} chunk ${key.chunk} came twice`,
      );
    }
  }
}

/**
 * The floats of chunk `key` from `from` once it may be read: waits while this rank does not
 * know its plan yet or the chunk is too far ahead of it.
 */
async function expectedFloats(
  key: ChunkKey,
  from: number,
  mailbox: Mailbox,
  options: NativeServerOptions,
  stopping: AbortSignal,
): Promise<number | undefined> {
  for (let wait = FIRST_WAIT_MS;; wait = Math.min(2 * wait, LONGEST_WAIT_MS)) {
    const floats = options.chunkLengthFor(key, from);
    if (floats !== null && (floats === undefined || mailbox.timing(from, key) !== "early")) {
      return floats;
    }
    await sleep(wait, stopping);
  }
}
