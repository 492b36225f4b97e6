/**
 * TCP sockets through the C library (Linux `libc.so.6`) by Deno's FFI, for the native
 * link: a chunk's body crosses in a few calls (`MSG_WAITALL` on Deno's blocking thread pool
 * once it is arriving) instead of one trip through the event loop per 64 KB that a shaped
 * link delivers to `Deno.Conn.read`.
 *
 * Every transfer first takes what the kernel holds (or has room for) at once, on this
 * thread with `MSG_DONTWAIT`. A socket with nothing to read, one whose send buffer is full
 * and a listener with no connection waiting wait in the thread's one shared `epoll_wait`
 * (native_poller.ts), not on a pool thread each: the pool runs at most 32 calls at once, and
 * a rank may hold many more connections. Only the rest of a receive that has begun goes to
 * the pool, for at most {@link POOL_RECV_MS} a call, so pool threads are bounded by the
 * transfers under way. {@link NativeSocket.shutdown} wakes any wait on its socket, and
 * {@link NativeSocket.close} releases the descriptor only once they returned: a pool thread
 * (or the shared wait) that has not yet entered its call must never find the number reused
 * by the next connection accepted.
 * `errno` belongs to the pool thread that ran a failed call, so failures are described from
 * the socket's `SO_ERROR` where it has one.
 *
 * @module
 */

import { Poller, READABLE, WRITABLE } from "./native_poller.ts";

// Linux's values (the same on x86-64 and arm64).
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_ERROR = 4;
const SO_RCVTIMEO = 20;
/**
 * Longest a receive on the pool may wait without its bytes all arriving: a sender that
 * stops halfway through a body then waits in the shared `epoll_wait` instead.
 */
export const POOL_RECV_MS = 200;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const MSG_DONTWAIT = 0x40;
const MSG_WAITALL = 0x100;
const EAGAIN = 11;
const EINTR = 4;
const ECONNABORTED = 103;
/** Out of descriptors (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM): wait, then accept on. */
const EXHAUSTED = new Set([24, 23, 105, 12]);
/** Out of descriptors: how long to wait before accepting again. */
const EXHAUSTED_WAIT_MS = 100;
const MSG_NOSIGNAL = 0x4000;
const SHUT_RDWR = 2;
const AI_PASSIVE = 1;
const SOCKADDR_IN_BYTES = 16;
/** `struct msghdr` on 64-bit Linux: name, namelen, iov, iovlen, control, controllen, flags. */
const MSGHDR_BYTES = 56;
/** Failed calls in a row that are retried (an interrupted call) before giving up. */
const RETRIES = 3;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // On the non-blocking listener, on this thread: a waiting connection, or EAGAIN.
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32", nonblocking: true },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize", nonblocking: true },
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize", nonblocking: true },
  // The same calls on this thread, with MSG_DONTWAIT: what the kernel has (room) for now.
  recvNow: { name: "recv", parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  sendmsgNow: { name: "sendmsg", parameters: ["i32", "buffer", "i32"], result: "isize" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  getaddrinfo: {
    parameters: ["buffer", "pointer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let loaded: Libc | string | undefined;

/**
 * The C library's socket calls, or why they cannot be had (not Linux, no `--allow-ffi`,
 * no `libc.so.6`). Loaded once per thread.
 *
 * @example
 * ```ts ignore
 * import { loadLibc } from "./native_socket.ts";
 * const libc = loadLibc();
 * console.log(typeof libc === "string" ? `http link: ${libc}` : "native link");
 * ```
 */
export function loadLibc(): Libc | string {
  if (loaded !== undefined) return loaded;
  if (Deno.build.os !== "linux") return loaded = `${Deno.build.os} is not Linux`;
  try {
    loaded = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (e) {
    loaded = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "no --allow-ffi"
      : "libc.so.6 not loadable";
  }
  return loaded;
}

/** The C library, for callers that already know it loads. */
function libc(): Libc {
  const lib = loadLibc();
  if (typeof lib === "string") throw new Error(`native sockets unavailable: ${lib}`);
  return lib;
}

let shared: Poller | undefined;

/** This thread's poller, made on first use. */
function poller(): Poller {
  return shared ??= new Poller(libc());
}

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

/** The text of error number `code`. */
function describeErrno(code: number): string {
  const text = libc().strerror(code);
  return text ? Deno.UnsafePointerView.getCString(text) : `error ${code}`;
}

/** `errno` after a failed call made on this thread (not one of the `nonblocking` calls). */
function lastErrno(): number {
  const where = libc().__errno_location();
  return where ? new Deno.UnsafePointerView(where).getInt32() : 0;
}

/** The IPv4 socket address of `host` (a name or a dotted quad) and `port`. */
async function resolve(host: string, port: number, passive: boolean): Promise<Uint8Array> {
  const hints = new Int32Array(12); // struct addrinfo, zeroed
  hints[0] = passive ? AI_PASSIVE : 0;
  hints[1] = AF_INET;
  hints[2] = SOCK_STREAM;
  const out = new BigUint64Array(1);
  const lib = libc();
  const failed = await lib.getaddrinfo(cString(host), null, hints, out);
  const list = Deno.UnsafePointer.create(out[0]);
  if (failed !== 0 || list === null) throw new Error(`cannot resolve ${host}`);
  try {
    // ai_addr is at offset 24 of struct addrinfo on 64-bit Linux.
    const addr = new Deno.UnsafePointerView(list).getPointer(24);
    const bytes = new Uint8Array(SOCKADDR_IN_BYTES);
    new Deno.UnsafePointerView(addr!).copyInto(bytes);
    new DataView(bytes.buffer).setUint16(2, port); // network order
    return bytes;
  } finally {
    lib.freeaddrinfo(list);
  }
}

/** A socket option that is one `int`. */
function setIntOption(fd: number, level: number, name: number, value: number): void {
  libc().setsockopt(fd, level, name, Int32Array.of(value), 4);
}

/** A new TCP socket's descriptor; `flags` are added to its type. */
function newSocket(flags = 0): number {
  const fd = libc().socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
  if (fd < 0) throw new Error("socket() failed: out of descriptors?");
  return fd;
}

/** A connected TCP socket: whole buffers in and out, each in one call where the kernel allows. */
export class NativeSocket {
  readonly #fd: number;
  #shut = false;
  #closed = false;
  /** Calls on the pool not yet returned; `close` leaves the descriptor to the last. */
  #inFlight = 0;
  // Scratch for sendmsg: a msghdr and two iovecs, reused by this socket's sends one at a time.
  readonly #message = new BigUint64Array(MSGHDR_BYTES / 8 + 4);

  constructor(fd: number) {
    this.#fd = fd;
    setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    const timeout = BigInt64Array.of(0n, BigInt(POOL_RECV_MS * 1000)); // struct timeval
    libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
  }

  /** Whether {@link NativeSocket.shutdown} was called. */
  get isShut(): boolean {
    return this.#shut;
  }

  /**
   * Connects to `host:port`. Rejects with the reason when refused or unreachable (the
   * caller decides whether to try again).
   */
  static async connect(host: string, port: number): Promise<NativeSocket> {
    const address = await resolve(host, port, false);
    const fd = newSocket();
    if (await libc().connect(fd, address, SOCKADDR_IN_BYTES) !== 0) {
      const reason = socketError(fd) ?? "connect failed";
      libc().close(fd);
      throw new Error(reason);
    }
    return new NativeSocket(fd);
  }

  /**
   * Reads exactly `target.byteLength` bytes into `target`; resolves `false` when the peer
   * closed the connection before the first byte, rejects when it closed (or failed) later.
   * Until the first byte it waits in the shared `epoll_wait`; the rest of a read that has begun
   * is one `recv(…, MSG_WAITALL)` on the pool, which gives up after {@link POOL_RECV_MS}
   * (then the shared wait again), so a sender that stops halfway holds no pool thread.
   */
  recvExact(target: Uint8Array<ArrayBuffer>): Promise<boolean> {
    return this.#recv(target, true);
  }

  /**
   * As {@link NativeSocket.recvExact}, all of it by the shared `epoll_wait`: a connection that
   * sends slowly or stops halfway holds no pool thread. For the few bytes of a handshake;
   * ends once the socket is shut down.
   */
  recvPolled(target: Uint8Array<ArrayBuffer>): Promise<boolean> {
    return this.#recv(target, false);
  }

  async #recv(target: Uint8Array<ArrayBuffer>, pool: boolean): Promise<boolean> {
    const got = await this.#move(target.byteLength, "recv failed", READABLE, pool, (done, now) => {
      const view = done === 0 ? target : target.subarray(done);
      const length = BigInt(view.byteLength);
      return now
        ? libc().recvNow(this.#fd, view, length, MSG_DONTWAIT)
        : libc().recv(this.#fd, view, length, MSG_WAITALL);
    });
    if (got === target.byteLength) return true;
    if (got === 0) return false;
    throw new Error(this.#failure("connection closed"));
  }

  /** Writes `head` then `body` whole, in one `sendmsg` unless the kernel takes less. */
  async sendAll(head: Uint8Array, body: Uint8Array): Promise<void> {
    const total = head.byteLength + body.byteLength;
    const sent = await this.#move(total, "send failed", WRITABLE, false, (done, now) => {
      const message = this.#messageOf(
        done < head.byteLength
          ? [head.subarray(done), body]
          : [body.subarray(done - head.byteLength)],
      );
      return now
        ? libc().sendmsgNow(this.#fd, message, MSG_NOSIGNAL | MSG_DONTWAIT)
        : libc().sendmsg(this.#fd, message, MSG_NOSIGNAL);
    });
    if (sent < total) throw new Error(this.#failure("connection closed"));
  }

  /**
   * Calls `call(done, now)` until `total` bytes moved: at once (`now`, with MSG_DONTWAIT),
   * waiting in the shared `epoll_wait` for `events` whenever the kernel has nothing (no room); once
   * some bytes moved and `pool` is set, the rest is one call on the pool, and the shared wait
   * again when that call ends without them. Returns the bytes moved when a call returned 0
   * (the peer closed), else `total`; throws after {@link RETRIES} failed calls in a row.
   */
  async #move(
    total: number,
    failed: string,
    events: number,
    pool: boolean,
    call: (done: number, now: boolean) => number | bigint | Promise<number | bigint>,
  ): Promise<number> {
    let done = 0, failures = 0, waited = false;
    while (done < total) {
      // Closed while a call was in flight: the descriptor may be gone, or another's.
      if (this.#closed) return done;
      const now = !pool || done === 0 || waited;
      waited = false;
      const n = Number(now ? call(done, true) : await this.#onPool(call(done, false)));
      // Nothing now, or the pool's call timed out (or failed: the next call at once says).
      if (n < 0 && !this.#shut && (!now || lastErrno() === EAGAIN)) {
        await this.#onPool(poller().wait(this.#fd, events));
        waited = true;
        continue;
      }
      if (n === 0) return done;
      if (n > 0) {
        done += n;
        failures = 0;
      } else if (this.#shut || ++failures > RETRIES) {
        throw new Error(this.#failure(failed));
      }
    }
    return done;
  }

  /** Awaits a call on the pool (or a wait in the shared `epoll_wait`), counting it as in flight. */
  async #onPool<T>(result: T | Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await result;
    } finally {
      if (--this.#inFlight === 0 && this.#closed) libc().close(this.#fd);
    }
  }

  /** Ends both directions: any call waiting on this socket returns. Idempotent. */
  shutdown(): void {
    if (this.#shut || this.#closed) return;
    this.#shut = true;
    libc().shutdown(this.#fd, SHUT_RDWR);
  }

  /**
   * Shuts the socket down and releases its descriptor, at once or, while a call on it is in
   * flight, when the last returns. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.shutdown();
    this.#closed = true;
    if (this.#inFlight === 0) libc().close(this.#fd);
  }

  /** Whether the descriptor is still held (a call in flight outlived `close`), for tests. */
  get holdsDescriptor(): boolean {
    return !this.#closed || this.#inFlight > 0;
  }

  /** A msghdr whose iovecs are `parts`. */
  #messageOf(parts: Uint8Array[]): BigUint64Array {
    const m = this.#message;
    m.fill(0n);
    const iov = MSGHDR_BYTES / 8;
    parts.forEach((part, i) => {
      m[iov + 2 * i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(part)));
      m[iov + 2 * i + 1] = BigInt(part.byteLength);
    });
    m[2] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(m.subarray(iov))));
    m[3] = BigInt(parts.length);
    return m;
  }

  #failure(what: string): string {
    if (this.#shut) return "connection shut down";
    return socketError(this.#fd) ?? what;
  }
}

/** The pending error of socket `fd`, as text, or `undefined` when it has none. */
function socketError(fd: number): string | undefined {
  const value = new Int32Array(1);
  const length = Uint32Array.of(4);
  if (libc().getsockopt(fd, SOL_SOCKET, SO_ERROR, value, length) !== 0 || value[0] === 0) {
    return undefined;
  }
  return describeErrno(value[0]);
}

/** The Deno errors that bind's errno values stand for, as `Deno.listen` throws them. */
const LISTEN_ERRORS: Record<number, new (message: string) => Error> = {
  13: Deno.errors.PermissionDenied, // EACCES
  98: Deno.errors.AddrInUse, // EADDRINUSE
  99: Deno.errors.AddrNotAvailable, // EADDRNOTAVAIL
};

/** A listening TCP socket. */
export class NativeListener {
  readonly #fd: number;
  /** The port it listens on. */
  readonly port: number;
  #shut = false;

  private constructor(fd: number, port: number) {
    this.#fd = fd;
    this.port = port;
  }

  /** Listens on `host:port` (`0` picks a free port). Throws when the address is taken. */
  static async listen(host: string, port: number, backlog = 128): Promise<NativeListener> {
    const address = await resolve(host, port, true);
    const lib = libc();
    const fd = newSocket(SOCK_NONBLOCK);
    setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (lib.bind(fd, address, SOCKADDR_IN_BYTES) !== 0 || lib.listen(fd, backlog) !== 0) {
      const code = lastErrno();
      lib.close(fd);
      const Kind = LISTEN_ERRORS[code] ?? Error;
      throw new Kind(describeErrno(code));
    }
    const bound = new Uint8Array(SOCKADDR_IN_BYTES);
    lib.getsockname(fd, bound, Uint32Array.of(SOCKADDR_IN_BYTES));
    return new NativeListener(fd, new DataView(bound.buffer).getUint16(2));
  }

  /**
   * The next connection, or `undefined` once {@link NativeListener.shutdown} was called.
   * Connections already waiting are taken on this thread, one `accept4` each; only when
   * none waits does it wait for the next in the shared `epoll_wait`. Out of descriptors, it waits
   * and tries again rather than give up.
   */
  async accept(): Promise<NativeSocket | undefined> {
    const lib = libc();
    for (let failures = 0; !this.#shut;) {
      const fd = lib.accept4(this.#fd, null, null, SOCK_CLOEXEC);
      if (fd >= 0) {
        if (!this.#shut) return new NativeSocket(fd);
        lib.close(fd);
        continue;
      }
      const code = lastErrno();
      if (code === EAGAIN) {
        await poller().wait(this.#fd, READABLE);
      } else if (EXHAUSTED.has(code)) {
        await new Promise((resolve) => setTimeout(resolve, EXHAUSTED_WAIT_MS));
      } else if (code !== EINTR && code !== ECONNABORTED && ++failures > RETRIES) {
        throw new Error(describeErrno(code));
      }
    }
    return undefined;
  }

  /** Stops accepting: a waiting {@link NativeListener.accept} returns `undefined`. */
  shutdown(): void {
    if (this.#shut) return;
    this.#shut = true;
    libc().shutdown(this.#fd, SHUT_RDWR);
  }

  /** Releases the descriptor; call once no `accept` is in flight. */
  close(): void {
    this.shutdown();
    libc().close(this.#fd);
  }
}
