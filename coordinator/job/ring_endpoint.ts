/**
 * A rank's side of the mesh before and after it knows its plan: the ring endpoint listens
 * from the start (its URL goes into the join), and once the job's collectives are laid out
 * the rank joins the mesh. Either on the main thread (`serveRing` and an `HttpLink`) or on
 * an all-reduce thread of its own ({@link ReduceThread}), which WebGPU runs want: there
 * Deno's blocking `mapAsync` would freeze a ring on the main thread.
 *
 * @module
 */

import type { BucketPlan } from "./bucket_plan.ts";
import type { AllReduceRunner } from "./gradient_reducer.ts";
import { ListenError } from "./job_errors.ts";
import { ReduceThread, type ReduceThreadConnect } from "./reduce_thread.ts";
import { HttpLink } from "../transport/http_link.ts";
import type { ChunkKey, Link } from "../transport/link.ts";
import { serveRing } from "../transport/ring_server.ts";

/** Options of {@link openRingEndpoint}. */
export interface RingEndpointOptions {
  /** Run the endpoint and every all-reduce on a thread of its own. */
  readonly threaded: boolean;
  readonly token: string;
  /** Interface to bind. */
  readonly hostname: string;
  /** `0` picks a free port. */
  readonly port: number;
}

/** A listening ring endpoint, to join the mesh through once the plan is known. */
export interface RingEndpoint {
  /** Base URL peers send to. */
  readonly url: string;
  /** Joins the mesh as `connect.rank`; what it returns is `meshForFit`'s first argument. */
  join(connect: ReduceThreadConnect, plan: BucketPlan): Promise<Link | AllReduceRunner>;
  /** Closes the link and the endpoint (and ends the thread). */
  close(): Promise<void>;
}

/**
 * Starts listening. Until {@link RingEndpoint.join}, chunks are answered "not ready" and
 * their senders retry.
 *
 * @example
 * ```ts ignore
 * import { openRingEndpoint } from "./ring_endpoint.ts";
 * const endpoint = await openRingEndpoint({ threaded: true, token: "t", hostname: "127.0.0.1", port: 0 });
 * // join with endpoint.url, build the plan, then:
 * // const link = await endpoint.join({ rank, peers }, plan);
 * await endpoint.close();
 * ```
 */
export async function openRingEndpoint(options: RingEndpointOptions): Promise<RingEndpoint> {
  const { token, hostname, port } = options;
  if (options.threaded) {
    const thread = new ReduceThread();
    try {
      const url = await thread.serve({ token, hostname, port });
      return {
        url,
        join: async (connect, plan) => {
          await thread.connect(connect, plan);
          return thread;
        },
        close: () => thread.close(),
      };
    } catch (error) {
      await thread.close();
      throw error;
    }
  }
  let expected = (_key: ChunkKey, _from: number): number | undefined | null => null;
  const server = ListenError.wrap(
    hostname,
    port,
    () => serveRing({ token, hostname, port, chunkLengthFor: (key, from) => expected(key, from) }),
  );
  let link: HttpLink | undefined;
  return {
    url: server.url,
    join: (connect, plan) => {
      link = new HttpLink({ ...connect, token, mailbox: server.mailbox });
      expected = plan.chunkLengthFor(connect.rank);
      return Promise.resolve(link);
    },
    close: async () => {
      await link?.close();
      await server.shutdown();
    },
  };
}
