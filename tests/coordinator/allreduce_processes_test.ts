import assert from "node:assert/strict";

// One Deno process per rank, over each link (native TCP and HTTP): the path a training job
// takes. The benchmark checks every rank's first result of every case, by every link,
// algorithm and wire.
Deno.test("every all-reduce algorithm across 3 separate processes", async () => {
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
      "--link=native,http",
      "--allreduce=ring,tree,halving,auto",
      "--grad-dtype=fp32,bf16",
      "--reps=2",
    ],
    signal: AbortSignal.timeout(120_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  for (const size of ["4 KB", "400012 B"]) {
    for (const link of ["native", "http"]) {
      for (const algorithm of ["ring", "tree", "halving", "auto → ring"]) {
        for (const wire of ["fp32", "bf16"]) {
          const cells = `3 \\| ${size} \\| ${link} \\| ${algorithm} \\| ${wire} \\| – \\| ` +
            `39\\.1 KiB \\| [\\d.]+ \\|`;
          const what = `${size} ${link} ${algorithm} ${wire}`;
          assert.match(out, new RegExp(`^\\| ${cells}`, "m"), what);
        }
      }
    }
  }
});
