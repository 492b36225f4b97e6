/**
 * Rank 0's metrics records on their way to the coordinator (its dashboard): queued as
 * `fit` writes them and sent in batches at most every {@link RECORDS_EVERY_MS}, so the
 * training loop never waits on the network and the coordinator gets a few small requests
 * a second at most. Best effort, like the epoch summaries: a coordinator that cannot be
 * reached is the heartbeat's business.
 *
 * @module
 */

import type { MetricsRecord } from "../../core/metrics/jsonl.ts";
import type { CoordinatorClient } from "./coordinator_client.ts";
import { MAX_RECORDS_PER_REPORT } from "./wire.ts";

/** Longest a record waits before it is sent. */
export const RECORDS_EVERY_MS = 500;

/**
 * Batches rank `rank`'s records for `client`.
 *
 * @example
 * ```ts ignore
 * import { RecordsSender } from "./records_sender.ts";
 * const sender = new RecordsSender(client, 0);
 * // fit(..., { onRecord: (record) => sender.add(record) })
 * await sender.flush(); // before reporting done
 * ```
 */
export class RecordsSender {
  readonly #client: CoordinatorClient;
  readonly #rank: number;
  #queue: MetricsRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> = Promise.resolve();

  /** A sender of rank `rank`'s records through `client`. */
  constructor(client: CoordinatorClient, rank: number) {
    this.#client = client;
    this.#rank = rank;
  }

  /** Queues `record`; it goes out within {@link RECORDS_EVERY_MS}. */
  add(record: MetricsRecord): void {
    this.#queue.push(record);
    this.#timer ??= setTimeout(() => this.#send(), RECORDS_EVERY_MS);
  }

  /** Sends everything queued and waits until it has gone (or failed). */
  flush(): Promise<void> {
    this.#send();
    return this.#sending;
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += MAX_RECORDS_PER_REPORT) {
      const records = queue.slice(i, i + MAX_RECORDS_PER_REPORT);
      this.#sending = this.#sending
        .then(() => this.#client.records({ rank: this.#rank, records }))
        .catch(() => {});
    }
  }
}
