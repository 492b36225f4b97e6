/**
 * The thread a {@link ReduceThread} (reduce_thread.ts) drives: it serves the rank's ring
 * endpoint (native or HTTP, link_endpoint.ts), holds its `Link` and runs each all-reduce
 * on its own event loop.
 *
 * Messages in, each with an `id`: `{ serve }` (answered with the endpoint's URL), `{ connect,
 * plan }`, `{ run: { bucket, step, timeoutMs, shared } }` (the bucket's floats in shared
 * memory, summed there), `{ close }`. Each is answered `{ id, value }` or `{ id, error }`.
 *
 * @module
 */

import { ListenError } from "./job_errors.ts";
import { BucketPlan } from "./bucket_plan.ts";
import type { Link } from "../transport/link.ts";
import { type LinkEndpoint, serveLinkEndpoint } from "../transport/link_endpoint.ts";
import {
  errorToWire,
  type PlanArgs,
  type ReduceThreadConnect,
  type ReduceThreadServe,
} from "./reduce_thread.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

let endpoint: LinkEndpoint | undefined;
let link: Link | undefined;
let plan: BucketPlan | undefined;
let rank = 0;
let token = "";
/** Per bucket: the floats the reduction runs on, and its scratch memory. */
const memory = new Map<
  number,
  { data: Float32Array<ArrayBuffer>; scratch: Float32Array<ArrayBuffer> }
>();

function serve(
  { token, hostname = "127.0.0.1", port = 0, link = "http" }: ReduceThreadServe,
): Promise<string> {
  return ListenError.wrap(hostname, port, async () => {
    endpoint = await serveLinkEndpoint(link, { token, hostname, port });
    return endpoint.url;
  });
}

function connect(options: ReduceThreadConnect, args: PlanArgs, token: string): void {
  rank = options.rank;
  plan = new BucketPlan(...args);
  link = endpoint!.connect(options, token);
  endpoint!.expect(plan.chunkLengthFor(rank));
}

async function run(
  { bucket, step, timeoutMs, shared }: {
    bucket: number;
    step: number;
    timeoutMs?: number;
    shared: Float32Array<SharedArrayBuffer>;
  },
): Promise<void> {
  const collective = plan!.collective(bucket);
  let own = memory.get(bucket);
  if (own?.data.length !== shared.length) {
    own = {
      data: new Float32Array(shared.length),
      scratch: new Float32Array(collective.scratchLength(rank)),
    };
    memory.set(bucket, own);
  }
  // The transport writes request bodies from, and reads them into, memory of its own.
  own.data.set(shared);
  await collective.run(link!, rank, own.data, { step, bucket, timeoutMs, scratch: own.scratch });
  shared.set(own.data);
}

async function close(): Promise<void> {
  await link?.close();
  await endpoint?.shutdown();
}

scope.onmessage = async ({ data }: MessageEvent) => {
  const { id } = data;
  try {
    let value: unknown;
    if (data.serve) {
      token = data.serve.token;
      value = await serve(data.serve);
    } else if (data.connect) connect(data.connect, data.plan, token);
    else if (data.run) await run(data.run);
    else if (data.close) await close();
    scope.postMessage({ id, value });
  } catch (error) {
    scope.postMessage({ id, error: errorToWire(error) });
  }
};
