/**
 * One `poll(2)` for every native socket of this thread that waits to become readable or
 * writable: a single call on Deno's blocking pool watches them all, so that idle
 * connections hold none of the pool's threads (it runs at most 32 calls at once; calls past
 * them queue, and a queued call that another depends on is a deadlock).
 *
 * The poll also watches an `eventfd`, written when a socket joins while a poll is under
 * way, so the next poll includes it. A socket leaves once its event (or an error or hang-up,
 * which `shutdown` causes) was seen; only then does its wait resolve, after the poll call
 * that watched it returned, so its owner may release the descriptor without the number
 * being watched for someone else. The loop stops when nothing waits.
 *
 * @module
 */

/** Readable (`POLLIN`). */
export const READABLE = 1;
/** Writable (`POLLOUT`). */
export const WRITABLE = 4;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

/** The C library calls the poller needs. */
export interface PollCalls {
  poll(fds: Int32Array, count: bigint, timeoutMs: number): Promise<number>;
  eventfd(initial: number, flags: number): number;
  read(fd: number, buffer: BigUint64Array, bytes: bigint): number | bigint;
  write(fd: number, buffer: BigUint64Array, bytes: bigint): number | bigint;
}

interface Waiter {
  readonly fd: number;
  readonly events: number;
  readonly resolve: () => void;
}

/** Waits for sockets to become ready, all in one `poll` on the pool. */
export class Poller {
  readonly #calls: PollCalls;
  readonly #wake: number;
  readonly #one = BigUint64Array.of(1n);
  readonly #drain = new BigUint64Array(1);
  /** Waiters not yet in the poll under way. */
  #joining: Waiter[] = [];
  /** Waiters the poll under way watches. */
  #watched: Waiter[] = [];
  #polling = false;
  #woken = false;

  constructor(calls: PollCalls) {
    this.#calls = calls;
    this.#wake = calls.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.#wake < 0) throw new Error("eventfd() failed: out of descriptors?");
  }

  /**
   * Resolves once `fd` is ready for `events` ({@link READABLE}, {@link WRITABLE}), has an
   * error or was hung up (as `shutdown` does).
   */
  wait(fd: number, events: number): Promise<void> {
    return new Promise((resolve) => {
      this.#joining.push({ fd, events, resolve });
      if (!this.#polling) void this.#loop();
      else if (!this.#woken) {
        this.#woken = true;
        this.#calls.write(this.#wake, this.#one, 8n);
      }
    });
  }

  async #loop(): Promise<void> {
    this.#polling = true;
    try {
      while (this.#joining.length + this.#watched.length > 0) {
        const waiters = this.#watched.concat(this.#joining);
        this.#joining = [];
        this.#watched = waiters;
        // struct pollfd { int fd; short events; short revents; }, the eventfd first.
        const fds = new Int32Array(2 * (waiters.length + 1));
        const flags = new Int16Array(fds.buffer);
        fds[0] = this.#wake;
        flags[2] = READABLE;
        waiters.forEach((waiter, i) => {
          fds[2 * i + 2] = waiter.fd;
          flags[4 * i + 6] = waiter.events;
        });
        await this.#calls.poll(fds, BigInt(waiters.length + 1), -1);
        if (flags[3] !== 0) {
          this.#calls.read(this.#wake, this.#drain, 8n);
          this.#woken = false;
        }
        const ready: Waiter[] = [];
        this.#watched = waiters.filter((waiter, i) => {
          if (flags[4 * i + 7] === 0) return true;
          ready.push(waiter);
          return false;
        });
        for (const waiter of ready) waiter.resolve();
      }
    } finally {
      this.#polling = false;
    }
  }
}
