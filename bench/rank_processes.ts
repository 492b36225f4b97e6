/**
 * The rendezvous of a bench's rank processes: each prints its ring endpoint's URL first and
 * reads every rank's URLs, as one JSON line, from stdin; rank 0 then prints one result per
 * line.
 *
 * @module
 */

/** The lines of a text stream, as they arrive. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

/** Every rank's URLs, read by a rank process from its stdin. */
export async function readPeers(): Promise<string[]> {
  return JSON.parse((await lines(Deno.stdin.readable).next()).value);
}

/**
 * Hands the rank processes `children` (stdin and stdout piped, by rank) each other's URLs,
 * waits for all to exit, and resolves to rank 0's lines after its URL; rejects, naming
 * `what`, when a rank fails.
 */
export async function exchangeUrls(children: Deno.ChildProcess[], what: string): Promise<string[]> {
  const outputs = children.map((child) => lines(child.stdout));
  const urls = await Promise.all(outputs.map(async (out) => (await out.next()).value));
  for (const child of children) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(urls) + "\n"));
    await writer.close();
  }
  const results: string[] = [];
  for await (const line of outputs[0]) results.push(line);
  await Promise.all(
    outputs.slice(1).map(async (out) => {
      for await (const _ of out);
    }),
  );
  const statuses = await Promise.all(children.map((child) => child.status));
  const failed = statuses.findIndex((s) => !s.success);
  if (failed >= 0) throw new Error(`${what}: rank ${failed} exited with ${statuses[failed].code}`);
  return results;
}
