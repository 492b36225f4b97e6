/**
 * One `epoll_wait` for every native socket of this thread that waits to become readable or
 * writable: a single call on Deno's blocking pool watches them all, so that idle
 * connections hold none of the pool's threads (it runs at most 32 calls at once; calls past
 * them queue, and a queued call that another depends on is a deadlock).
 *
 * Each wait arms its descriptor for one event (`EPOLLONESHOT`) with `epoll_ctl` on this
 * thread, which the `epoll_wait` under way sees at once: joining costs no wake-up and no
 * second trip to the pool. An error or a hang-up (which `shutdown` causes) ends a wait too.
 * A wait resolves only after the `epoll_wait` that reported it returned, and leaves the
 * descriptor disarmed, so its owner may then release the number without anyone watching it
 * for the next connection. The loop stops when nothing waits.
 *
 * @module
 */

/** Readable (`EPOLLIN`). */
export const READABLE = 0x1;
/** Writable (`EPOLLOUT`). */
export const WRITABLE = 0x4;
const EPOLLONESHOT = 1 << 30;
const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_MOD = 3;
/** Events one `epoll_wait` reports at most; more wait for the next. */
const BATCH = 64;
/** `struct epoll_event` is packed on x86-64 (12 bytes), aligned elsewhere (16). */
const EVENT_BYTES = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = EVENT_BYTES - 8;

/** The C library calls the poller needs. */
export interface EpollCalls {
  epoll_create1(flags: number): number;
  epoll_ctl(epoll: number, op: number, fd: number, event: Uint8Array): number;
  epoll_wait(epoll: number, events: Uint8Array, max: number, timeoutMs: number): Promise<number>;
}

/** Waits for sockets to become ready, all in one `epoll_wait` on the pool. */
export class Poller {
  readonly #calls: EpollCalls;
  readonly #epoll: number;
  /** Waits armed and not yet reported, by descriptor. */
  readonly #waiting = new Map<number, () => void>();
  readonly #event = new Uint8Array(EVENT_BYTES);
  readonly #ready = new Uint8Array(BATCH * EVENT_BYTES);
  #running = false;

  constructor(calls: EpollCalls) {
    this.#calls = calls;
    this.#epoll = calls.epoll_create1(EPOLL_CLOEXEC);
    if (this.#epoll < 0) throw new Error("epoll_create1() failed: out of descriptors?");
  }

  /**
   * Resolves once `fd` is ready for `events` ({@link READABLE}, {@link WRITABLE}), has an
   * error or was hung up (as `shutdown` does). One wait per descriptor at a time; throws
   * when the descriptor cannot be watched.
   */
  wait(fd: number, events: number): Promise<void> {
    if (this.#waiting.has(fd)) throw new Error(`descriptor ${fd} is already waited on`);
    const view = new DataView(this.#event.buffer);
    view.setUint32(0, events | EPOLLONESHOT, true);
    view.setBigUint64(DATA_OFFSET, BigInt(fd), true);
    // Re-armed if in the set; else added (closing a descriptor drops it from the set).
    const { epoll_ctl } = this.#calls;
    if (
      epoll_ctl(this.#epoll, EPOLL_CTL_MOD, fd, this.#event) !== 0 &&
      epoll_ctl(this.#epoll, EPOLL_CTL_ADD, fd, this.#event) !== 0
    ) {
      throw new Error(`epoll_ctl() failed for descriptor ${fd}`);
    }
    return new Promise((resolve) => {
      this.#waiting.set(fd, resolve);
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const view = new DataView(this.#ready.buffer);
    try {
      while (this.#waiting.size > 0) {
        const count = await this.#calls.epoll_wait(this.#epoll, this.#ready, BATCH, -1);
        for (let i = 0; i < count; i++) {
          const fd = Number(view.getBigUint64(i * EVENT_BYTES + DATA_OFFSET, true));
          const resolve = this.#waiting.get(fd);
          this.#waiting.delete(fd);
          resolve?.();
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
