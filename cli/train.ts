/**
 * The `train` subcommand: flags → configuration → data → backend → {@link fit}, with a
 * progress bar on a terminal, one line per epoch otherwise, and where the checkpoint and
 * metrics went at the end. `--workers N` hands the same configuration to a local
 * data-parallel job instead.
 *
 * @module
 */

import { basename, join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { TENSORBOARD_DIR } from "../core/metrics/tfevents.ts";
import { fitConfig } from "../core/train/fit_config.ts";
import { FIT_CURVE_FILE } from "../core/train/regression_eval.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import { newRunId } from "../coordinator/job/coordinator.ts";
import { type BackendKind, chooseBackend } from "../backends/backend_choice.ts";
import type { TrainConfig } from "../core/train/config.ts";
import { cpuSettings } from "./cpu_flags.ts";
import { checkPowerSgdFlags } from "./collective_flags.ts";
import { type FlagValues, helpText, parseFlags } from "./flags.ts";
import { dashboardAddress, startRunDashboard, watched } from "./dashboard.ts";
import { localJobToken, trainOnWorkers } from "./local_job.ts";
import { resolveResumeAuto } from "./resume_auto.ts";
import { nothingLeft } from "./resume_flags.ts";
import { prepareRunDir, type RunDir } from "./run_dir.ts";
import { printOutcome, printStopped, trainingCallbacks } from "./run_output.ts";
import { onStopSignals, onTaskParentGone, type StopCause } from "./stop_signals.ts";
import { trainConfig, trainFlags } from "./train_flags.ts";

const USAGE = `usage: deno task train [flags]

Trains a classifier, or a regression model with --task regression (docs: README.md, docs/cluster.md). Every activation, loss, optimizer
and scheduler name, with its arguments and defaults: gradmesh catalog.`;

/** Runs `train` with `args`; returns the exit code. */
export async function runTrain(args: readonly string[]): Promise<number> {
  const { values, positionals, given } = parseFlags(trainFlags, args);
  if (values.help) {
    console.log(helpText(USAGE, trainFlags));
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  if ((values["max-restarts"] as number) > 0 && (values.workers as number) <= 1) {
    throw new UsageError("--max-restarts", "restarts worker processes: use it with --workers N");
  }
  checkPowerSgdFlags(values, values.workers as number);
  dashboardAddress(values.dashboard as string, false); // refuses a bad --dashboard now
  const resumeLine = await resolveResumeAuto(values);
  const resume = values.resume as string | undefined;
  const quiet = values.quiet as boolean;
  const say = (line: string) => quiet || console.log(line);
  if (resumeLine) say(resumeLine);
  const { config, doneEpochs } = await trainConfig(values, given, say);
  const done = nothingLeft(resume, doneEpochs, config.epochs);
  if (done) {
    console.log(done);
    return 0;
  }
  const out = (values.out as string | undefined) ?? join("runs", newRunId());
  const dir = await prepareRunDir(out, { overwrite: values.overwrite as boolean, resume });
  if (dir.removedTemps.length) say(`removed stale temp files in ${out}: ${dir.removedTemps}`);
  try {
    if ((values.workers as number) > 1) return await trainOnWorkers(config, { ...values, out });
    return await trainHere(config, values, out, dir, say);
  } catch (e) {
    await dir.discardIfEmpty();
    throw e;
  }
}

async function trainHere(
  config: TrainConfig,
  values: FlagValues,
  out: string,
  { checkpointPath, metricsPath }: RunDir,
  say: (line: string) => void,
): Promise<number> {
  const quiet = values.quiet as boolean;
  const choice = await chooseBackend(values.backend as BackendKind, cpuSettings(values));
  say(`backend: ${choice.backend.name} (${choice.reason})`);
  const { train, test, name } = await loadTrainingData(config);
  say(`data: ${name}, ${train.count} train / ${test.count} test samples`);

  const start = performance.now();
  let stopRequested = false;
  const stop = (cause: StopCause) => {
    stopRequested = true;
    console.error(`gradmesh train: ${cause}: checkpointing after this step, then stopping`);
  };
  const removeListeners = onStopSignals(stop, "gradmesh train");
  const unwatch = onTaskParentGone(() => stop("parent gone"));
  try {
    const dashboard = startRunDashboard(values.dashboard as string, basename(out), localJobToken());
    const callbacks = { ...trainingCallbacks(config, quiet), onRecord: dashboard?.onRecord };
    const running = fitConfig(config, choice.backend, { train, test }, {
      checkpointPath,
      metricsPath,
      evalEvery: values["eval-every"] as number,
      logEvery: values["log-every"] as number,
      checkpointEvery: values["checkpoint-every"] as number,
      keepCheckpoints: values["keep-checkpoints"] as number,
      tensorboardDir: values.tensorboard ? join(out, TENSORBOARD_DIR) : null,
      stopRequested: () => stopRequested,
      resume: values.resume as string | undefined,
      curvePath: join(out, FIT_CURVE_FILE),
    }, callbacks);
    const result = await watched(dashboard, running);
    if (result.stoppedAt !== null) printStopped(result.stoppedAt, checkpointPath, out);
    else {
      printOutcome(result.final!, (performance.now() - start) / 1000, checkpointPath, metricsPath);
    }
  } finally {
    unwatch();
    removeListeners();
    choice.backend.destroy();
  }
  return 0;
}
