import assert from "node:assert/strict";
import { MAX_LOCAL_WORKERS } from "../../cli/train_flags.ts";
import { inTempDir } from "../temp_dir.ts";
import { runCli } from "./run_cli.ts";

Deno.test("train --workers above the limit is one line and exit 2, before anything starts", async () => {
  await inTempDir(async (dir) => {
    const out = `${dir}/run`;
    const started = performance.now();
    const { code, stdout, stderr } = await runCli([
      "train",
      "--workers",
      "1000",
      "--backend",
      "cpu",
      "--out",
      out,
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `gradmesh train: --workers: expected an integer <= ${MAX_LOCAL_WORKERS}, got 1000\n`,
    );
    // Nothing was started: no run folder, no time spent spawning.
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    assert.ok(performance.now() - started < 20_000);
  });
});

Deno.test("the --workers limit is the number the help names", async () => {
  const { code, stdout } = await runCli(["train", "--help"]);
  assert.equal(code, 0);
  // The help wraps: its description may go on over the next lines.
  const entry = stdout.match(/\n {2}--workers <integer> [\s\S]*?(?=\n {2}--)/)![0];
  assert.match(entry.replace(/\s+/g, " "), new RegExp(`at most ${MAX_LOCAL_WORKERS} `));
});
