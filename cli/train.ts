/**
 * The `train` subcommand: flags → configuration → data → backend → {@link fit}, with a
 * progress bar on a terminal, one line per epoch otherwise, and where the checkpoint and
 * metrics went at the end. `--workers N` hands the same configuration to a local
 * data-parallel job instead.
 *
 * @module
 */

import { join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { fit } from "../core/train/fit.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import { newRunId } from "../coordinator/coordinator.ts";
import { type BackendKind, chooseBackend } from "./backend_choice.ts";
import { cpuSettings } from "./cpu_flags.ts";
import { helpText, parseFlags } from "./flags.ts";
import { trainOnWorkers } from "./local_job.ts";
import { printOutcome, trainingCallbacks } from "./run_output.ts";
import { trainConfig, trainFlags } from "./train_flags.ts";

const USAGE = `usage: deno task train [flags]

Trains a classifier (docs: README.md, docs/cluster.md). Every activation, loss, optimizer
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
  const resume = values.resume as string | undefined;
  const config = await trainConfig(values, given);
  if ((values.workers as number) > 1) return await trainOnWorkers(config, values);
  const quiet = values.quiet as boolean;
  const say = (line: string) => quiet || console.log(line);

  const choice = await chooseBackend(values.backend as BackendKind, cpuSettings(values));
  say(`backend: ${choice.backend.name} (${choice.reason})`);
  const { train, test, name } = await loadTrainingData(config);
  say(`data: ${name}, ${train.count} train / ${test.count} test samples`);

  const out = (values.out as string | undefined) ?? join("runs", newRunId());
  await Deno.mkdir(out, { recursive: true });
  const checkpointPath = join(out, "checkpoint.safetensors");
  const metricsPath = join(out, "metrics.jsonl");
  const start = performance.now();
  try {
    const result = await fit(config, choice.backend, { train, test }, {
      checkpointPath,
      metricsPath,
      evalEvery: values["eval-every"] as number,
      logEvery: values["log-every"] as number,
      resume,
    }, trainingCallbacks(config, quiet));
    printOutcome(result.final!, (performance.now() - start) / 1000, checkpointPath, metricsPath);
  } finally {
    choice.backend.destroy();
  }
  return 0;
}
