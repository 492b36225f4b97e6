/**
 * A ring endpoint in a process of its own, for tests that starve it of file descriptors
 * (`ulimit -n`): it prints its URL, serves chunks of 4 floats from any rank for step 1
 * under `GRADMESH_TOKEN`, and shuts down when its stdin closes.
 *
 * @module
 */

import { serveRing } from "../../coordinator/transport/ring_server.ts";

const server = serveRing({ token: Deno.env.get("GRADMESH_TOKEN")!, chunkLengthFor: () => 4 });
console.log(server.url);
for await (const _ of Deno.stdin.readable) { /* until the test closes it */ }
console.log(`delivered ${server.mailbox.pending}`);
await server.shutdown();
