import assert from "node:assert/strict";

// One Deno process per rank, real HTTP between them: the path a training job takes. The
// benchmark checks every rank's first result before it times anything.
Deno.test("ringAllReduce across 3 separate processes", async () => {
  const bench = new URL("../../bench/allreduce.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      bench,
      "--worlds=3",
      "--sizes=4096,400012",
      "--chunk-elems=10007",
      "--no-gloo",
    ],
    signal: AbortSignal.timeout(120_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(out, /^\| 3 \| 4 KB \| [\d.]+ \| [\d.]+ \|/m);
  assert.match(out, /^\| 3 \| 400012 B \| [\d.]+ \| [\d.]+ \|/m);
});
