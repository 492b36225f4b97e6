/**
 * A native-link rank 1 in a process of its own, for the test that kills a peer mid-chunk:
 * it connects to the endpoint named by its argument with `GRADMESH_TOKEN`, sends the header
 * of a 1M-float chunk (step 0, bucket 0, chunk 0) and half its body, prints `sent`, and
 * waits to be killed.
 *
 * @module
 */

import { encodeFrame, encodeHello, FRAME_BYTES } from "../../coordinator/transport/native_frame.ts";
import { NativeSocket } from "../../coordinator/transport/native_socket.ts";

const url = new URL(Deno.args[0]);
const socket = await NativeSocket.connect(url.hostname, Number(url.port));
await socket.sendAll(encodeHello(1, Deno.env.get("GRADMESH_TOKEN")!), new Uint8Array(0));
await socket.recvExact(new Uint8Array(4));
const head = new Uint8Array(FRAME_BYTES);
const floats = 1 << 20;
encodeFrame(head, { step: 0, bucket: 0, chunk: 0 }, 4 * floats);
await socket.sendAll(head, new Uint8Array(2 * floats));
console.log("sent");
// A timer keeps the process alive until it is killed.
setInterval(() => {}, 60_000);
