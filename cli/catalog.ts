/**
 * The `catalog` subcommand: JSON of every activation, loss, optimizer, scheduler,
 * initialiser and metric gradmesh has, each with its arguments in PyTorch's names and
 * their defaults, and for those `train` can use, the flag value that selects them.
 *
 * @module
 */

import { UsageError } from "../core/errors.ts";
import { lossCatalog } from "../core/loss/catalog.ts";
import { metricCatalog } from "../core/metrics/catalog.ts";
import { activationCatalog } from "../core/nn/activations/registry.ts";
import { initCatalog } from "../core/nn/init_registry.ts";
import { optimizerCatalog } from "../core/optim/catalog.ts";
import { schedulerDefs } from "../core/optim/schedulers/registry.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";

/** Every section of the catalogue, by name. */
export function catalog(): Record<string, readonly unknown[]> {
  return {
    activations: activationCatalog,
    losses: lossCatalog,
    optimizers: optimizerCatalog,
    schedulers: Object.entries(schedulerDefs).map(([name, { doc, args, perStep }]) => ({
      name,
      doc,
      per: perStep ? "step" : "epoch",
      args,
    })),
    initializers: initCatalog,
    metrics: metricCatalog,
  };
}

const FLAGS: FlagTable = {
  section: { type: "string", group: "output", help: "print only this section, e.g. losses" },
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

const USAGE = `usage: gradmesh catalog [--section NAME]

Prints, as JSON, every activation, loss, optimizer, scheduler, initialiser and metric with
its arguments (PyTorch's names) and defaults. \`train\` selects them by name: --activation,
--loss, --optimizer, --scheduler (with --scheduler-args).`;

/** Runs `catalog` with `args`; returns the exit code. */
export function runCatalog(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(FLAGS, args);
  if (values.help) {
    console.log(helpText(USAGE, FLAGS));
    return Promise.resolve(0);
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  const all = catalog();
  const section = values.section as string | undefined;
  if (section !== undefined && !(section in all)) {
    throw new UsageError(
      "--section",
      `expected one of ${Object.keys(all).join(", ")}, got "${section}"`,
    );
  }
  console.log(JSON.stringify(section === undefined ? all : all[section], null, 2));
  return Promise.resolve(0);
}
