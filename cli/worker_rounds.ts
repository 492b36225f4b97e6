/**
 * The worker processes of a local job, round by round: each round spawns one process per
 * rank and watches it (its stderr's last lines, rank 0's output, its exit reported to the
 * coordinator); a restart kills the round and spawns the next; the job's end kills what
 * is left and waits for every stream to drain.
 *
 * @module
 */

import type { Coordinator } from "../coordinator/job/coordinator.ts";
import { WorkerExitError } from "../coordinator/job/job_errors.ts";
import { sleep } from "../coordinator/transport/sleep.ts";

/**
 * How long a rank's own failure report waits, so that the launcher, which sees a killed
 * worker's exit, names the culprit (its peers' reports that it vanished often come first).
 */
export const REPORT_GRACE_MS = 500;
// Lines of each worker's stderr kept to explain an exit the coordinator did not see.
const STDERR_TAIL_LINES = 20;

/** How to start each round's worker processes. */
export interface WorkerLaunch {
  /** Processes per round, one per rank. */
  readonly count: number;
  /** `deno` arguments of every worker. */
  readonly args: readonly string[];
  /** Environment of every worker; `RANK` and `LOCAL_RANK` are added. */
  readonly env: Readonly<Record<string, string>>;
  /** The host that failures name. */
  readonly host: string;
  /** Receives rank 0's output line by line; by default rank 0 writes to this process's stdout. */
  readonly rank0Output?: (line: string) => void;
}

interface WorkerProcess {
  readonly rank: number;
  readonly process: Deno.ChildProcess;
  readonly stderrTail: string[];
  exited: boolean;
  /** Resolves when its output streams are drained. */
  readonly drained: Promise<void>;
}

/**
 * The current round's workers of one coordinator. A dying worker is reported to the
 * coordinator, which restarts the job ({@link WorkerRounds.restart}) or fails it; one that
 * exits with a code reported its own error, so its exit waits for that report.
 */
export class WorkerRounds {
  private workers: WorkerProcess[] = [];
  private stopping = false;
  private respawned = Promise.resolve();

  /** Spawns round 0 of `launch` for `coordinator`. */
  constructor(private readonly coordinator: Coordinator, private readonly launch: WorkerLaunch) {
    this.workers = this.spawnRound(0);
  }

  /** Process id of every worker of the current round, by rank. */
  get pids(): number[] {
    return this.workers.map((w) => w.process.pid);
  }

  /** Resolves when every worker of the current round has exited. */
  exited(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.process.status));
  }

  /** Kills the current round and, unless the job is ending, spawns `round` in its place. */
  restart(round: number): void {
    this.respawned = this.respawned.then(async () => {
      await killAll(this.workers);
      // A job asked to stop ends rather than start a round that would not train.
      if (this.stopping) this.coordinator.close();
      else if (round === this.coordinator.round) this.workers = this.spawnRound(round);
    });
  }

  /** Sends `signal` to every worker still running; no round starts after this. */
  signal(signal: Deno.Signal): void {
    this.stopping = true;
    signalAll(this.workers, signal);
  }

  /** Ends the job's processes: no new round, every worker killed, every stream drained. */
  async end(): Promise<void> {
    this.stopping = true;
    await this.respawned;
    await killAll(this.workers);
    await Promise.all(this.workers.map((w) => w.drained));
  }

  private spawnRound(round: number): WorkerProcess[] {
    const stepOf = (rank: number) =>
      this.coordinator.status().members.find((m) => m.rank === rank)?.step ?? 0;
    return Array.from({ length: this.launch.count }, (_, rank) => {
      const w = spawnWorker(rank, this.launch);
      w.process.status.then(async (status) => {
        if (status.success) return;
        if (!status.signal) await sleep(2 * REPORT_GRACE_MS);
        const error = exitError(w, status, this.launch.host, stepOf(w.rank));
        this.coordinator.lost(error, round);
      });
      return w;
    });
  }
}

async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    lines.forEach(onLine);
  }
  if (pending) onLine(pending);
}

function spawnWorker(rank: number, launch: WorkerLaunch): WorkerProcess {
  const root = rank === 0;
  const { rank0Output } = launch;
  const process = new Deno.Command(Deno.execPath(), {
    args: [...launch.args],
    env: { ...launch.env, RANK: String(rank), LOCAL_RANK: String(rank) },
    // Held open and never written: the worker exits when it closes, i.e. when this process
    // is gone, however it died (--exit-with-stdin).
    stdin: "piped",
    stdout: root ? (rank0Output ? "piped" : "inherit") : "null",
    stderr: "piped",
    // Its own process group: a terminal's Ctrl-C reaches the workers once, through
    // this process, rather than twice.
    detached: true,
  }).spawn();
  const stderrTail: string[] = [];
  const keep = (line: string) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  };
  const drained = Promise.all([
    forEachLine(process.stderr, keep),
    root && rank0Output ? forEachLine(process.stdout, rank0Output) : undefined,
  ]).then(() => {});
  const worker: WorkerProcess = { rank, process, stderrTail, exited: false, drained };
  process.status.then(() => worker.exited = true);
  return worker;
}

function signalAll(workers: readonly WorkerProcess[], signal: Deno.Signal): void {
  for (const w of workers) {
    if (w.exited) continue;
    try {
      w.process.kill(signal);
    } catch {
      // It exited between the check and the signal.
    }
  }
}

/** SIGKILL to every worker still running; resolves when all have exited. */
async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  signalAll(workers, "SIGKILL");
  await Promise.all(workers.map((w) => w.process.status));
  for (const w of workers) await w.process.stdin.close().catch(() => {});
}

function exitError(
  worker: WorkerProcess,
  status: Deno.CommandStatus,
  host: string,
  step: number,
): WorkerExitError {
  const how = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
  // A worker that exits on its own prints why as its last line; a killed one says nothing.
  const last = status.signal ? undefined : worker.stderrTail.findLast((l) => l.trim())?.trim();
  const message = `worker process ${how}${last ? `: ${last}` : ""}`;
  return new WorkerExitError(worker.rank, host, step, message);
}
