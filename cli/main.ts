/**
 * The `gradmesh` command: dispatches to a subcommand and turns typed errors into one
 * line on stderr and the exit code they carry (2 bad input, 1 runtime failure).
 *
 * @module
 */

import { runCatalog } from "./catalog.ts";
import { runCoordinator } from "./coordinator.ts";
import { errorLine } from "./error_line.ts";
import { runEval } from "./eval.ts";
import { runPredict } from "./predict.ts";
import { runReport } from "./report.ts";
import { runSummary } from "./summary.ts";
import { runSweep } from "./sweep.ts";
import { runTrain } from "./train.ts";
import { runWorkerCommand } from "./worker.ts";

const commands: Record<string, (args: string[]) => Promise<number>> = {
  train: runTrain,
  eval: runEval,
  predict: runPredict,
  summary: runSummary,
  report: runReport,
  sweep: runSweep,
  catalog: runCatalog,
  coordinator: runCoordinator,
  worker: runWorkerCommand,
};

const USAGE = `usage: gradmesh <command> [flags]

Commands:
  train        train a model (deno task train --help); --workers N for data parallelism
  eval         test-set loss and accuracy of a checkpoint, as JSON
  predict      predicted class and probabilities per sample of a checkpoint's model
  summary      layers, output shapes and parameter counts of a --model
  report       render metrics files as an SVG of loss and accuracy curves (--sweep DIR: a table)
  sweep        run a grid of train configurations (docs/sweeps.md)
  catalog      list every activation, loss, optimizer, scheduler, initialiser and metric (JSON)
  coordinator  serve the coordinator of a multi-host job (docs/cluster.md)
  worker       run one rank of a multi-host job (docs/cluster.md)`;

/** Runs the command line `argv`; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(
      `gradmesh: unknown command "${name}"; expected one of ${Object.keys(commands).join(", ")}`,
    );
    return 2;
  }
  try {
    return await command(rest);
  } catch (e) {
    const failure = errorLine(e);
    if (!failure) throw e;
    console.error(`gradmesh ${name}: ${failure.line}`);
    return failure.exitCode;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
