/**
 * Preemption and a launcher's death: SIGTERM to `train --workers 2` or SIGUSR1 to one
 * worker stops every rank at one step with a checkpoint and exit 0, and `--resume auto`
 * finishes the run with the uninterrupted run's parameters; SIGKILL of the launcher
 * takes its workers down within a second and nothing in `--out` changes afterwards;
 * SIGKILL of the `deno task` wrapper stops the job.
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { newestCheckpoint } from "../../core/checkpoint/series.ts";
import { startLocalJob } from "../../cli/local_job.ts";
import {
  needsClusterCommands,
  processEnded,
  processGone,
  smallDigitsJob,
  trainCommand,
  waitFor,
  workerPids,
} from "./job_fixtures.ts";

// 32 steps per epoch: long enough for a signal to land mid-run.
const { dir, spec, config } = await smallDigitsJob("gradmesh-preempt-", 8);
const flags = [
  `--data=${spec}`,
  "--model=784-16-10",
  "--epochs=8",
  "--batch-size=32",
  "--log-every=4",
  "--backend=cpu",
];
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

const train = (args: string[]) => trainCommand([...flags, ...args]);

async function params(path: string) {
  const ckpt = await loadCheckpoint(path);
  return [...ckpt.params, ...ckpt.optimizer].map((t) => [t.name, [...t.data]]);
}

let uninterrupted: Promise<string> | undefined;
/** The final checkpoint of a 2-worker run that nothing interrupted. */
function wholeRun(): Promise<string> {
  uninterrupted ??= (async () => {
    const out = `${dir}/whole`;
    await startLocalJob(config, {
      workers: 2,
      backend: "cpu",
      out,
      quiet: true,
      rank0Output: () => {},
      settings: { logEvery: 4 },
    }).finished;
    return `${out}/checkpoint.safetensors`;
  })();
  return uninterrupted;
}

async function stopMidRun(
  out: string,
  signal: (launcher: number) => Promise<void>,
  extra: string[] = [],
) {
  const child = train(["--workers=2", `--out=${out}`, ...extra]).spawn();
  await waitFor("a first step checkpoint", async () => {
    return ((await newestCheckpoint(out))?.step ?? 0) >= 32;
  }, 60_000);
  await signal(child.pid);
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

async function resumeAndCompare(out: string) {
  const stopped = await newestCheckpoint(out);
  assert.ok(stopped && stopped.step! < 256, `stopped at ${stopped?.step}`);
  const { code, stdout, stderr } = await train(["--workers=2", `--out=${out}`, "--resume=auto"])
    .output();
  assert.equal(code, 0, decode(stderr));
  assert.match(decode(stdout), new RegExp(`^resume auto: continuing from ${stopped.path}$`, "m"));
  assert.deepEqual(await params(`${out}/checkpoint.safetensors`), await params(await wholeRun()));
}

Deno.test({
  name:
    "SIGTERM to `train --workers 2`: every rank checkpoints at one step, exit 0; --resume auto ends like an uninterrupted run",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/sigterm`;
    const run = await stopMidRun(out, (pid) => Promise.resolve(Deno.kill(pid, "SIGTERM")));
    assert.equal(run.code, 0, run.stderr);
    const step = Number(/^stopped on request after step (\d+);/m.exec(run.stdout)?.[1]);
    assert.ok(step > 32 && step < 256, run.stdout);
    assert.equal((await newestCheckpoint(out))?.step, step);
    assert.match(run.stdout, new RegExp(`^continue with: --resume auto --out ${out}$`, "m"));
    await resumeAndCompare(out);
  },
});

Deno.test({
  name: "SIGUSR1 to one worker stops the whole job at one step with a checkpoint, exit 0",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/sigusr1`;
    const run = await stopMidRun(out, async (pid) => {
      const [, rank1] = await workerPids(pid);
      Deno.kill(rank1, "SIGUSR1");
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^stopped on request after step \d+; checkpoint: /m);
    await resumeAndCompare(out);
  },
});

Deno.test({
  name: "SIGKILL of the launcher: its workers are gone within a second and --out no longer changes",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/sigkill`;
    let workers: number[] = [];
    let killedAt = 0;
    // The output ends when rank 0, which writes to the launcher's stdout, is gone too.
    const run = await stopMidRun(out, async (pid) => {
      workers = await workerPids(pid);
      Deno.kill(pid, "SIGKILL");
      killedAt = performance.now();
    }, ["--epochs=1000"]);
    assert.equal(run.code, 137);
    await waitFor("the workers ended", async () => {
      for (const pid of workers) if (!(await processEnded(pid))) return false;
      return true;
    }, 5000);
    const seconds = (performance.now() - killedAt) / 1000;
    assert.ok(seconds < 1, `workers outlived the launcher by ${seconds} s`);
    assert.equal(workers.length, 2);
    const before = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
    const stat = await Deno.stat(`${out}/checkpoint.safetensors`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual((await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(), before);
    assert.deepEqual((await Deno.stat(`${out}/checkpoint.safetensors`)).mtime, stat.mtime);
  },
});

Deno.test({
  name: "SIGKILL of the `deno task` wrapper stops the job: checkpoint, exit, no worker left",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/task`;
    const root = new URL("../../", import.meta.url).pathname;
    const task = new Deno.Command(Deno.execPath(), {
      args: ["task", "train", ...flags, "--workers=2", "--epochs=1000", `--out=${out}`],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let launcher = 0;
    await waitFor("the launcher and its workers", async () => {
      const { stdout } = await new Deno.Command("ps", {
        args: ["-o", "pid=", "--ppid", String(task.pid)],
      }).output();
      launcher = Number(decode(stdout).trim().split("\n")[0]);
      return launcher > 0 && (await workerPids(launcher)).length === 2;
    }, 30_000);
    const workers = await workerPids(launcher);
    await waitFor("a first checkpoint", async () => (await newestCheckpoint(out)) !== null, 60_000);
    Deno.kill(task.pid, "SIGKILL");
    // The launcher and rank 0 inherited the task's pipes: these end when both have.
    const { stdout, stderr } = await task.output();
    assert.match(decode(stderr), /^gradmesh train: parent gone: every worker checkpoints/m);
    const step = Number(/^stopped on request after step (\d+);/m.exec(decode(stdout))?.[1]);
    assert.equal((await newestCheckpoint(out))?.step, step);
    await waitFor("the launcher ended", () => processEnded(launcher), 10_000);
    for (const pid of workers) assert.ok(await processGone(pid), `worker ${pid} still runs`);
  },
});

Deno.test("SIGINT to a one-process `train` checkpoints mid-run and exits 0", async () => {
  const out = `${dir}/sigint`;
  const child = train(["--epochs=200", `--out=${out}`]).spawn();
  await waitFor("a first checkpoint", async () => (await newestCheckpoint(out)) !== null, 60_000);
  Deno.kill(child.pid, "SIGINT");
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, decode(stderr));
  const step = Number(/^stopped on request after step (\d+);/m.exec(decode(stdout))?.[1]);
  assert.equal((await newestCheckpoint(out))?.step, step);
  assert.match(decode(stderr), /^gradmesh train: SIGINT: checkpointing after this step/m);
});
