/**
 * A rank's side of the mesh before and after it knows its plan: the ring endpoint listens
 * from the start (its URL goes into the join), and once the job's collectives are laid out
 * the rank joins the mesh, over the native or the HTTP link (`--link`, link_choice.ts).
 * Either on the main thread (`serveLinkEndpoint` and its `Link`) or on
 * an all-reduce thread of its own ({@link ReduceThread}), which WebGPU runs want: there
 * Deno's blocking `mapAsync` would freeze a ring on the main thread.
 *
 * @module
 */

import type { BucketPlan } from "./bucket_plan.ts";
import type { AllReduceRunner } from "./gradient_reducer.ts";
import { ListenError } from "./job_errors.ts";
import { ReduceThread, type ReduceThreadConnect } from "./reduce_thread.ts";
import type { Link } from "../transport/link.ts";
import { type LinkChoice, type ResolvedLink, resolveLink } from "../transport/link_choice.ts";
import { serveLinkEndpoint } from "../transport/link_endpoint.ts";

/** Options of {@link openRingEndpoint}. */
export interface RingEndpointOptions {
  /** Run the endpoint and every all-reduce on a thread of its own. */
  readonly threaded: boolean;
  readonly token: string;
  /** Interface to bind. */
  readonly hostname: string;
  /** `0` picks a free port. */
  readonly port: number;
  /** `--link`. Default `auto`. */
  readonly link?: LinkChoice;
}

/** A listening ring endpoint, to join the mesh through once the plan is known. */
export interface RingEndpoint {
  /** What peers send to: `tcp://host:port` (native) or `http://host:port`. */
  readonly url: string;
  /** The link it serves, `auto` resolved. */
  readonly link: ResolvedLink;
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
  const link = resolveLink(options.link ?? "auto");
  if (options.threaded) {
    const thread = new ReduceThread();
    try {
      const url = await thread.serve({ token, hostname, port, link: link.kind });
      return {
        url,
        link,
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
  const endpoint = await ListenError.wrap(
    hostname,
    port,
    () => serveLinkEndpoint(link.kind, { token, hostname, port }),
  );
  let joined: Link | undefined;
  return {
    url: endpoint.url,
    link,
    join: (connect, plan) => {
      joined = endpoint.connect(connect, token);
      endpoint.expect(plan.chunkLengthFor(connect.rank));
      return Promise.resolve(joined);
    },
    close: async () => {
      await joined?.close();
      await endpoint.shutdown();
    },
  };
}
