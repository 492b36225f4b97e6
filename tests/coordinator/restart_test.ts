/**
 * `--max-restarts`: the coordinator ends a failed round and opens a new rendezvous that
 * resumes from the newest checkpoint; a job whose worker is killed three times finishes
 * with the parameters of a run that was never interrupted, bit for bit; one failure more
 * than allowed ends it with exit 1 and a line naming rank, cause and step.
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { newestCheckpoint } from "../../core/checkpoint/series.ts";
import { startLocalJob } from "../../cli/local_job.ts";
import { Coordinator } from "../../coordinator/job/coordinator.ts";
import { MeshError } from "../../coordinator/transport/errors.ts";
import {
  needsClusterCommands,
  processGone,
  smallDigitsJob,
  trainCommand,
  waitFor,
  workerPids,
} from "./job_fixtures.ts";

// 32 steps per epoch.
const { dir, spec, config } = await smallDigitsJob("gradmesh-restart-", 3);

const offer = (n: number) => ({
  host: `10.0.0.${n}`,
  ringUrl: `http://10.0.0.${n}:1`,
  adapter: "cpu",
});

Deno.test("coordinator: a failure within --max-restarts opens round 1, which resumes from the newest step checkpoint", async () => {
  const out = await Deno.makeTempDir({ dir });
  const lines: string[] = [];
  const restarts: number[] = [];
  const job = new Coordinator({
    world: 2,
    config,
    out,
    maxRestarts: 1,
    log: (line) => lines.push(line),
    onRestart: (round) => restarts.push(round),
  });
  const first = await Promise.all([job.join(offer(1)), job.join(offer(2))]);
  assert.deepEqual(first.map((r) => [r.round, r.resume]), [[0, null], [0, null]]);
  job.heartbeat({ rank: 1, step: 9, round: 0 });
  await Deno.mkdir(`${out}/checkpoints`);
  for (const step of [4, 8]) {
    await Deno.writeFile(`${out}/checkpoints/step-0000000${step}.safetensors`, new Uint8Array());
  }
  job.fail({ rank: 1, message: "boom", round: 0 });
  assert.equal(job.phase, "rendezvous");
  assert.deepEqual(restarts, [1]);
  assert.equal(lines.at(-1), "restart 1/1: rank 1 (10.0.0.2) failed at step 9: boom");
  // The old round's ranks are told to join again; their reports change nothing.
  assert.deepEqual(job.heartbeat({ rank: 0, step: 9, round: 0 }), {
    abort: "the job restarts after rank 1 failed",
    restart: true,
  });
  job.done({ rank: 0, step: 9, round: 0 });
  assert.throws(
    () => job.heartbeat({ rank: 0, step: 9, round: 7 }),
    /^WireFormatError: round: expected a round up to 1, got 7$/,
  );
  const second = await Promise.all([job.join(offer(3)), job.join(offer(4))]);
  assert.deepEqual(second.map((r) => [r.round, r.resume]), [
    [1, `${out}/checkpoints/step-00000008.safetensors`],
    [1, `${out}/checkpoints/step-00000008.safetensors`],
  ]);
  assert.equal(
    lines.at(-1),
    `round 1: rolled back to step 8 (${out}/checkpoints/step-00000008.safetensors)`,
  );
  assert.deepEqual(job.status().restarts, [
    { rank: 1, host: "10.0.0.2", step: 9, cause: "boom", resumedFrom: 8 },
  ]);
  // One failure more than allowed ends the job, naming rank, host, step and cause.
  job.lost(new MeshError(0, "10.0.0.3", 12, "worker process killed by SIGKILL"), 1);
  const error = await job.settled;
  assert.equal(
    error?.message,
    "rank 0 (10.0.0.3), step 12: worker process killed by SIGKILL (after 1 restart)",
  );
});

Deno.test("coordinator: a stalled rank (no heartbeat for the timeout) restarts the job too", async () => {
  const restarted = Promise.withResolvers<number>();
  const job = new Coordinator({
    world: 2,
    config,
    out: `${dir}/stalled`,
    maxRestarts: 1,
    settings: { heartbeatTimeoutMs: 200 },
    onRestart: (round) => restarted.resolve(round),
  });
  await Promise.all([job.join(offer(1)), job.join(offer(2))]);
  const beats = setInterval(() => job.heartbeat({ rank: 0, step: 4, round: 0 }), 20);
  try {
    assert.equal(await restarted.promise, 1);
  } finally {
    clearInterval(beats);
  }
  const [restart] = job.status().restarts;
  assert.equal(restart.rank, 1);
  assert.match(restart.cause, /^stopped responding: no heartbeat for 0\.\d s$/);
  job.close();
  assert.match((await job.settled)?.message ?? "", /shut down/);
});

Deno.test("coordinator: without --max-restarts the first failure ends the job as before", async () => {
  const job = new Coordinator({ world: 2, config, out: `${dir}/none` });
  await Promise.all([job.join(offer(1)), job.join(offer(2))]);
  job.fail({ rank: 0, message: "boom", step: 3 });
  assert.equal((await job.settled)?.message, "rank 0 (10.0.0.1), step 3: boom");
  assert.deepEqual(job.status().restarts, []);
});

async function finalState(out: string) {
  const ckpt = await loadCheckpoint(`${out}/checkpoint.safetensors`);
  return [...ckpt.params, ...ckpt.optimizer].map((t) => [t.name, [...t.data]]);
}

Deno.test({
  name:
    "a worker killed three times with --max-restarts 3: the job finishes with the uninterrupted run's parameters, bitwise",
  ...await needsClusterCommands(),
  async fn() {
    const settings = { checkpointEvery: 5, logEvery: 10, heartbeatTimeoutMs: 5000 };
    const options = {
      workers: 2,
      backend: "cpu" as const,
      quiet: true,
      rank0Output: () => {},
      settings,
    };
    const whole = `${dir}/whole`;
    await startLocalJob(config, { ...options, out: whole }).finished;

    const out = `${dir}/killed`;
    const lines: string[] = [];
    const job = startLocalJob(config, {
      ...options,
      out,
      maxRestarts: 3,
      log: (l) => lines.push(l),
    });
    const killed: number[] = [];
    for (let round = 0; round < 3; round++) {
      // A kill in each round, once it has checkpointed past where the last one rolled back to.
      await waitFor(`round ${round} training past step ${10 * (round + 1)}`, async () => {
        const { phase, round: now } = job.status();
        const newest = await newestCheckpoint(out);
        return now === round && phase === "training" && (newest?.step ?? 0) >= 10 * (round + 1);
      }, 60_000);
      killed.push(job.pids[1]);
      Deno.kill(job.pids[1], "SIGKILL");
    }
    await job.finished;
    const { restarts, round } = job.status();
    assert.equal(round, 3);
    assert.equal(restarts.length, 3);
    for (const r of restarts) {
      assert.equal(r.rank, 1);
      assert.equal(r.cause, "worker process killed by SIGKILL");
      assert.ok(r.resumedFrom !== null && r.resumedFrom >= 5, JSON.stringify(r));
    }
    assert.equal(
      lines.filter((l) =>
        /^restart \d\/3: rank 1 \(127\.0\.0\.1\) failed at step \d+: worker process killed by SIGKILL$/
          .test(l)
      ).length,
      3,
      lines.join("\n"),
    );
    assert.equal(
      lines.filter((l) =>
        /^round \d: rolled back to step \d+ \(.*step-\d{8}\.safetensors\)$/.test(l)
      ).length,
      3,
      lines.join("\n"),
    );
    for (const pid of killed) assert.ok(await processGone(pid));
    assert.deepEqual(await finalState(out), await finalState(whole));
  },
});

Deno.test({
  name:
    "`train --workers 2 --max-restarts 1` with two failures: exit 1 and one line naming rank, cause and step",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/exhausted`;
    const train = trainCommand([
      "--workers=2",
      "--backend=cpu",
      `--data=${spec}`,
      "--model=784-16-10",
      "--epochs=50",
      "--max-restarts=1",
      "--checkpoint-every=5",
      `--out=${out}`,
    ], { stdout: "null" }).spawn();
    const rank1 = () => workerPids(train.pid);
    for (let kill = 0; kill < 2; kill++) {
      let pids: number[] = [];
      await waitFor(
        `checkpoint ${kill}`,
        async () =>
          ((await newestCheckpoint(out))?.step ?? 0) >= 5 * (kill + 1) &&
          (pids = await rank1()).length === 2,
        60_000,
      );
      Deno.kill(pids[1], "SIGKILL");
      if (kill === 0) {
        await waitFor("the old worker gone", async () => !(await rank1()).includes(pids[1]));
      }
    }
    const { code, stderr } = await train.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 1, text);
    const last = text.trimEnd().split("\n").at(-1);
    assert.match(
      last!,
      /^gradmesh train: rank 1 \(127\.0\.0\.1\), step \d+: worker process killed by SIGKILL \(after 1 restart\)$/,
      text,
    );
    assert.match(
      text,
      /^restart 1\/1: rank 1 \(127\.0\.0\.1\) failed at step \d+: worker process killed by SIGKILL$/m,
    );
  },
});
