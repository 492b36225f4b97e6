/**
 * Cluster mode with `--max-restarts`: when one worker process dies and its replacement
 * joins (what a pod restart or a Slurm task loop does), the surviving worker joins the
 * new round by itself and the job finishes from the newest checkpoint.
 */

import assert from "node:assert/strict";
import { newestCheckpoint } from "../../core/checkpoint/series.ts";
import {
  coordinatorPort,
  MAIN,
  needsClusterCommands,
  waitFor,
  writeDigits,
} from "./job_fixtures.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test({
  name:
    "cluster: a killed worker's replacement and the surviving worker form round 1, which finishes the job",
  ...await needsClusterCommands(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gradmesh-rejoin-" });
    try {
      const spec = await writeDigits(dir, 1000, 100);
      const out = `${dir}/run`;
      const env = {
        NO_COLOR: "1",
        GRADMESH_TOKEN: "rejoin-test-token-0123456789",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: String(coordinatorPort()),
        WORLD_SIZE: "2",
      };
      const spawn = (args: string[], extra: Record<string, string> = {}) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN, ...args],
          env: { ...env, ...extra },
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(90_000),
        }).spawn();
      const coordinator = spawn([
        "coordinator",
        "--world=2",
        `--port=${env.MASTER_PORT}`,
        `--data=${spec}`,
        "--model=784-16-10",
        "--batch-size=32",
        "--epochs=40",
        "--checkpoint-every=8",
        "--max-restarts=1",
        "--heartbeat-timeout=2",
        `--out=${out}`,
      ]);
      const worker = (rank: number) => spawn(["worker", "--backend=cpu"], { RANK: String(rank) });
      const rank0 = worker(0);
      const rank1 = worker(1);
      await waitFor("a step checkpoint", async () => {
        return ((await newestCheckpoint(out))?.step ?? 0) >= 8;
      }, 60_000).catch(async (error) => {
        // Say why: what the coordinator and the workers printed.
        const procs = [coordinator, rank0, rank1];
        for (const p of procs) p.kill("SIGKILL");
        const outputs = await Promise.all(procs.map((p) => p.output()));
        const text = outputs.map((o) => decode(o.stdout) + decode(o.stderr));
        throw new Error(`${error.message}\n${text.join("\n---\n")}`);
      });
      rank1.kill("SIGKILL");
      await rank1.output();
      const replacement = worker(1);
      const [c, w0, w1] = await Promise.all(
        [coordinator, rank0, replacement].map((p) => p.output()),
      );
      const text = [c, w0, w1].map((o) => decode(o.stdout) + decode(o.stderr));
      assert.equal(c.code, 0, text.join("\n---\n"));
      assert.equal(w0.code, 0, text[1]);
      assert.equal(w1.code, 0, text[2]);
      assert.match(text[0], /^restart 1\/1: rank \d \(127\.0\.0\.1\) failed at step \d+: /m);
      assert.match(text[0], /^round 1: rolled back to step \d+ \(.*step-\d{8}\.safetensors\)$/m);
      assert.match(text[0], /^job done: final test accuracy /m);
      assert.match(text[1], /^gradmesh worker: .*: joining the next round$/m);
      assert.equal((await newestCheckpoint(out))?.step, 40 * 32);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
