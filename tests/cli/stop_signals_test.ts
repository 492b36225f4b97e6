import assert from "node:assert/strict";

const MODULE = new URL("../../cli/stop_signals.ts", import.meta.url).href;

/** Reads `lines` until one matches `pattern`; returns it. */
async function lineMatching(
  lines: AsyncIterator<string>,
  pattern: RegExp,
): Promise<string> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error(`no line matched ${pattern}`);
    if (pattern.test(value)) return value;
  }
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    yield* lines;
  }
}

Deno.test("the first stop signal is reported to the caller; a second one exits at once with 128 + its number", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { onStopSignals } from "${MODULE}";
       onStopSignals((cause) => console.log("asked:", cause), "test");
       setInterval(() => {}, 1000);
       console.log("ready");`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const stdout = linesOf(child.stdout);
  await lineMatching(stdout, /^ready$/);
  child.kill("SIGTERM");
  assert.equal(await lineMatching(stdout, /^asked:/), "asked: SIGTERM");
  child.kill("SIGINT");
  const status = await child.status;
  assert.equal(status.code, 130);
  const stderr = await new Response(child.stderr).text();
  assert.equal(stderr, "test: SIGINT again: exiting now without writing\n");
  for await (const _ of stdout) {
    // Drains what is left.
  }
});
