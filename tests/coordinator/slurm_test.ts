/**
 * launch/slurm.sbatch: its directives requeue the job and signal the batch shell ahead
 * of the end, and the script itself, run with stand-ins for `srun` (every task on this
 * machine) and `scontrol`, turns USR1 into a checkpoint on every rank, exit 0 and a
 * requeue; run again, it continues from that checkpoint with `--resume auto`.
 */

import assert from "node:assert/strict";
import { newestCheckpoint } from "../../core/checkpoint/series.ts";
import { coordinatorPort, needsClusterCommands, waitFor, writeDigits } from "./job_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SCRIPT = `${ROOT}launch/slurm.sbatch`;
const text = Deno.readTextFileSync(SCRIPT);
const directives = [...text.matchAll(/^#SBATCH (\S+)/gm)].map((m) => m[1]);

Deno.test("slurm: the batch script requeues and is signalled before its time runs out", () => {
  assert.ok(directives.includes("--requeue"), directives.join(" "));
  assert.ok(directives.some((d) => /^--signal=B:USR1@\d+$/.test(d)), directives.join(" "));
  assert.match(text, /^trap forward USR1 TERM$/m);
  assert.match(text, /--resume auto/);
});

// Every task on this machine, each with its SLURM_PROCID; signals go to every task.
const FAKE_SRUN = `#!/bin/bash
while [[ $1 == --* ]]; do shift; done
pids=()
for ((i = 0; i < SLURM_NTASKS; i++)); do SLURM_PROCID=$i "$@" & pids+=($!); done
trap 'kill -USR1 "\${pids[@]}" 2>/dev/null' USR1
trap 'kill -TERM "\${pids[@]}" 2>/dev/null' TERM
status=0
for p in "\${pids[@]}"; do wait_for "$p" || status=$?; done
exit "$status"
`;

const FAKE_SCONTROL = `#!/bin/bash
case $1 in
  show) echo 127.0.0.1 ;;
  requeue) echo "$@" >>"$SCONTROL_LOG" ;;
esac
`;

Deno.test({
  name:
    "slurm: USR1 to the batch shell checkpoints every rank, exits 0 and requeues; the requeued job resumes",
  ...await needsClusterCommands(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gradmesh-slurm-" });
    try {
      const spec = await writeDigits(dir, 1000, 100);
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/srun`, FAKE_SRUN, { mode: 0o755 });
      await Deno.writeTextFile(`${dir}/bin/scontrol`, FAKE_SCONTROL, { mode: 0o755 });
      const out = `${dir}/run`;
      const env = {
        PATH: `${dir}/bin:${Deno.env.get("PATH")}`,
        HOME: Deno.env.get("HOME") ?? "/root",
        SLURM_SUBMIT_DIR: ROOT,
        SLURM_JOB_NODELIST: "node1",
        SLURM_JOB_ID: "42",
        SLURM_NTASKS: "2",
        SCONTROL_LOG: `${dir}/scontrol.log`,
        MASTER_PORT: String(coordinatorPort()),
        DENO: Deno.execPath(),
        BACKEND: "cpu",
        GRADMESH_TOKEN: "slurm-test-token-0123456789",
        NO_COLOR: "1",
      };
      const batch = (epochs: number) =>
        new Deno.Command("bash", {
          args: [
            SCRIPT,
            `--data=${spec}`,
            "--model=784-16-10",
            "--batch-size=32",
            "--log-every=4",
            `--epochs=${epochs}`,
            `--out=${out}`,
          ],
          clearEnv: true,
          env,
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(90_000),
        });
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      const first = batch(200).spawn();
      await waitFor(
        "a first checkpoint",
        async () => (await newestCheckpoint(out)) !== null,
        60_000,
      );
      Deno.kill(first.pid, "SIGUSR1");
      const stopped = await first.output();
      const log = decode(stopped.stdout) + decode(stopped.stderr);
      assert.equal(stopped.code, 0, log);
      const step = Number(/^job stopped on request after step (\d+);/m.exec(log)?.[1]);
      assert.equal((await newestCheckpoint(out))?.step, step, log);
      assert.equal(await Deno.readTextFile(`${dir}/scontrol.log`), "requeue 42\n");

      const requeued = await batch(40).output();
      const again = decode(requeued.stdout) + decode(requeued.stderr);
      assert.equal(requeued.code, 0, again);
      assert.match(again, /^resume auto: continuing from .*step-\d{8}\.safetensors$/m);
      assert.match(again, /^job done: final test accuracy /m);
      assert.equal((await newestCheckpoint(out))?.step, 40 * 32);
      assert.equal(await Deno.readTextFile(`${dir}/scontrol.log`), "requeue 42\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
