/**
 * The `coordinator` subcommand: serves the coordinator of one data-parallel job until it
 * ends. `--world` workers join it (`gradmesh worker`), each gets the configuration that
 * the training flags here describe, and rank 0's epoch summaries are printed as they come.
 * The job token comes from `GRADMESH_TOKEN`. Exits 0 when every rank finished, 1 when the
 * job failed (one line naming the rank, host and step).
 *
 * @module
 */

import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { Coordinator, newRunId } from "../coordinator/job/coordinator.ts";
import { serveCoordinator } from "../coordinator/job/coordinator_server.ts";
import { DEFAULT_MASTER_PORT, requireToken } from "../coordinator/job/env.ts";
import { ListenError } from "../coordinator/job/job_errors.ts";
import { sleep } from "../coordinator/transport/sleep.ts";
import { isLoopback } from "../coordinator/dashboard/dashboard_auth.ts";
import { coordinatorDashboard } from "./dashboard.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { checkPowerSgdFlags } from "./collective_flags.ts";
import { meshOptionsFromFlags } from "./local_job.ts";
import { resolveResumeAuto } from "./resume_auto.ts";
import { epochLine } from "./run_output.ts";
import { nothingLeft } from "./resume_flags.ts";
import { onStopSignals } from "./stop_signals.ts";
import { trainConfig, trainFlags } from "./train_flags.ts";

// Flags of `train` that mean nothing to a coordinator: the backend is each worker's.
const WORKER_ONLY = new Set(["backend", "workers"]);

/** Flags of `coordinator`. */
export const coordinatorFlags: FlagTable = {
  world: { type: "integer", group: "parallel", min: 1, help: "number of workers (required)" },
  host: {
    type: "string",
    group: "parallel",
    default: "127.0.0.1",
    help: "interface to bind (0.0.0.0 when workers run on other hosts)",
  },
  port: {
    type: "integer",
    group: "parallel",
    default: DEFAULT_MASTER_PORT,
    min: 0,
    help: "port to bind",
  },
  // train's flags include the mesh flags (timeouts, checksums, buckets).
  ...Object.fromEntries(Object.entries(trainFlags).filter(([name]) => !WORKER_ONLY.has(name))),
};

const USAGE = `usage: gradmesh coordinator --world N [flags]

Serves the coordinator of a data-parallel job; start N \`gradmesh worker\` processes with
MASTER_ADDR/MASTER_PORT pointing here and the same GRADMESH_TOKEN (see docs/cluster.md).`;

/** Runs `coordinator` with `args`; returns the exit code. */
export async function runCoordinator(args: readonly string[]): Promise<number> {
  const { values, positionals, given } = parseFlags(coordinatorFlags, args);
  if (values.help) {
    console.log(helpText(USAGE, coordinatorFlags));
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  const world = values.world as number | undefined;
  if (world === undefined) throw new UsageError("--world", "required: the number of workers");
  checkPowerSgdFlags(values, world);
  if ((values.port as number) > 65535) {
    throw new UsageError("--port", `expected a port in 0..65535, got ${values.port}`);
  }
  const token = requireToken(Deno.env.get("GRADMESH_TOKEN"));
  const resumeLine = await resolveResumeAuto(values);
  const quiet = values.quiet as boolean;
  const say = (line: string) => quiet || console.log(line);
  if (resumeLine) say(resumeLine);
  const { config, doneEpochs } = await trainConfig(values, given, say);
  const done = nothingLeft(values.resume as string | undefined, doneEpochs, config.epochs);
  if (done) {
    console.log(done);
    return 0;
  }
  const runId = newRunId();
  const out = (values.out as string | undefined) ?? join("runs", runId);
  const host = values.host as string;
  const dashboard = coordinatorDashboard(values.dashboard as string, runId, token, host);
  const coordinator = new Coordinator({
    world,
    config,
    out,
    resume: values.resume as string | undefined,
    runId,
    ...meshOptionsFromFlags(values),
    log: say,
    onEpoch: (summary) => say(epochLine(summary, config.epochs)),
    onRecords: dashboard?.addRecords,
  });
  const unfollow = dashboard?.follow(() => coordinator.status());
  const port = values.port as number;
  let server;
  try {
    server = ListenError.wrap(
      host,
      port,
      () =>
        serveCoordinator(coordinator, { token, hostname: host, port, dashboard: dashboard?.app }),
    );
  } catch (error) {
    coordinator.close();
    throw error;
  }
  say(`coordinator ${server.url}: run ${runId}, waiting for ${world} workers; output in ${out}`);
  if (dashboard) {
    console.error(`dashboard: ${server.url}/${isLoopback(host) ? "" : "?token=$GRADMESH_TOKEN"}`);
  }
  // The workers hear the same signal from their launcher and stop at one step together;
  // the coordinator stays to see them done.
  const removeListeners = onStopSignals(
    (cause) => say(`${cause}: waiting for the workers to checkpoint and stop`),
    "gradmesh coordinator",
  );
  const error = await coordinator.settled.finally(removeListeners);
  unfollow?.();
  await dashboard?.linger();
  // Workers still running hear the verdict in their next heartbeat reply.
  if (error) await sleep(2 * coordinator.settings.heartbeatIntervalMs);
  await Promise.race([server.shutdown(), sleep(1000)]);
  if (error) throw error;
  const { final, stoppedAt } = coordinator.status();
  if (stoppedAt !== null) {
    console.log(`job stopped on request after step ${stoppedAt}; continue with --resume auto`);
  } else if (final) {
    console.log(
      `job done: final test accuracy ${(final.accuracy * 100).toFixed(2)}% ` +
        `(loss ${final.loss.toFixed(4)})`,
    );
  }
  return 0;
}
