/**
 * The `worker` subcommand: one rank of a data-parallel job. It reads its place from the
 * environment (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`, or
 * Slurm's `SLURM_PROCID`/`SLURM_NTASKS`/`SLURM_LOCALID`) and the job token from
 * `GRADMESH_TOKEN`, joins the coordinator, and trains. Every rank logs the adapter it
 * got; rank 0 prints what `train` prints: the data, progress, one line per epoch, the
 * final accuracy and where the checkpoint and metrics went. When the job restarts after a
 * failure it joins the next round (unless `--once`); SIGTERM, SIGINT or SIGUSR1 make every
 * rank checkpoint at one step and exit 0 (cli/stop_signals.ts).
 *
 * @module
 */

import { UsageError } from "../core/errors.ts";
import { parseLaunchEnv, requireToken } from "../coordinator/job/env.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import { runWorker } from "../coordinator/job/worker.ts";
import { type BackendKind, chooseBackend } from "../backends/backend_choice.ts";
import { cpuFlags, cpuSettings } from "./cpu_flags.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { linkFlags } from "./link_flag.ts";
import type { LinkChoice } from "../coordinator/transport/link_choice.ts";
import { usageLine } from "./usage_line.ts";
import { JobRestartError } from "../coordinator/job/job_errors.ts";
import { printOutcome, printStopped, trainingCallbacks } from "./run_output.ts";
import { exitWhenStdinCloses, onStopSignals } from "./stop_signals.ts";

/** Flags of `worker`; the job itself comes from the coordinator. */
export const workerFlags: FlagTable = {
  host: {
    type: "string",
    group: "parallel",
    default: "127.0.0.1",
    help: "interface the ring endpoint binds (0.0.0.0 for all)",
  },
  advertise: {
    type: "string",
    group: "parallel",
    help: "address peers reach this worker at (default: --host, or the hostname for 0.0.0.0)",
  },
  port: {
    type: "integer",
    group: "parallel",
    default: 0,
    min: 0,
    help: "ring endpoint port (0: any free one)",
  },
  backend: {
    type: "string",
    group: "general",
    default: "auto",
    choices: ["auto", "webgpu", "cpu", "cpu-ref"],
    help: "compute backend (cpu-ref: the TypeScript reference)",
  },
  ...cpuFlags,
  ...linkFlags,
  quiet: {
    type: "boolean",
    group: "output",
    default: false,
    help: "rank 0 prints only the final summary",
  },
  once: {
    type: "boolean",
    group: "parallel",
    default: false,
    help: "exit when the job restarts instead of joining its next round (the launcher restarts it)",
  },
  "exit-with-stdin": {
    type: "boolean",
    group: "parallel",
    default: false,
    help: "exit at once when stdin closes (the local launcher holds it open)",
  },
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

const USAGE = `usage: gradmesh worker [flags]

Runs one rank of a data-parallel job. Environment: RANK, WORLD_SIZE, LOCAL_RANK
(or SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID), MASTER_ADDR and MASTER_PORT (the
coordinator, default 127.0.0.1:29500), GRADMESH_TOKEN (the job token, required).`;

/** Runs `worker` with `args`; returns the exit code. */
export async function runWorkerCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(workerFlags, args);
  if (values.help) {
    console.log(helpText(USAGE, workerFlags));
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  if ((values.port as number) > 65535) {
    throw new UsageError("--port", `expected a port in 0..65535, got ${values.port}`);
  }
  const env = parseLaunchEnv();
  const token = requireToken(env.token);
  const quiet = values.quiet as boolean;
  if (values["exit-with-stdin"]) exitWhenStdinCloses("gradmesh worker");
  let stopRequested = false;
  const removeListeners = onStopSignals((cause) => {
    stopRequested = true;
    console.error(`gradmesh worker: ${cause}: checkpointing at the next read-back, then stopping`);
  }, "gradmesh worker");
  const choice = await chooseBackend(values.backend as BackendKind, cpuSettings(values));
  const start = performance.now();
  const join = () =>
    runWorker({
      coordinatorUrl: env.coordinatorUrl,
      token,
      host: values.host as string,
      advertise: values.advertise as string | undefined,
      port: values.port as number,
      link: values.link as LinkChoice,
      rank: env.rank,
      world: env.worldSize,
      backend: choice.backend,
      loadData: async (job) => {
        const split = await loadTrainingData(job.config);
        if (job.rank === 0 && !quiet) {
          console.log(
            `data: ${split.name}, ${split.train.count} train / ${split.test.count} test samples`,
          );
        }
        return split;
      },
      callbacks: (job) => job.rank === 0 ? trainingCallbacks(job.config, quiet) : {},
      log: (line) => quiet || console.log(line),
      // On stdout, which is what a local job shows of rank 0.
      warn: (line) => console.log(line),
      describeError: (e) => e instanceof UsageError ? usageLine(e) : e.message,
      stopRequested: () => stopRequested,
    });
  try {
    let outcome;
    for (;;) {
      try {
        outcome = await join();
        break;
      } catch (error) {
        if (!(error instanceof JobRestartError) || values.once || stopRequested) throw error;
        console.error(`gradmesh worker: ${error.reason}: joining the next round`);
      }
    }
    const { result, checkpointPath, metricsPath, job } = outcome;
    if (checkpointPath && result.stoppedAt !== null) {
      printStopped(result.stoppedAt, checkpointPath, job.out);
    } else if (result.final && checkpointPath && metricsPath) {
      printOutcome(result.final, (performance.now() - start) / 1000, checkpointPath, metricsPath);
    }
  } finally {
    removeListeners();
    choice.backend.destroy();
  }
  return 0;
}
