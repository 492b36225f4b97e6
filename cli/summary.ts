/**
 * `gradmesh summary --model M`: the layers of a model as `train` would build it for its
 * data — type, `--model` text, output shape per sample and parameter count — and the
 * totals, like torchinfo's summary; `--json` prints the same as one JSON object.
 *
 * @module
 */

import { loadDataset } from "../core/data/source.ts";
import { UsageError } from "../core/errors.ts";
import { summarizeModel } from "../core/nn/model_summary.ts";
import { buildModel } from "../core/nn/models.ts";
import { Rng } from "../core/rng.ts";
import type { Cifar100Label } from "../core/data/cifar.ts";
import { defaultTrainConfig } from "../core/train/config.ts";
import { commandFlags, type FlagTable } from "./flags.ts";
import { trainFlags } from "./train_flags.ts";

const FLAGS: FlagTable = {
  model: trainFlags.model,
  data: { ...trainFlags.data, help: `${trainFlags.data.help}: the samples' shape and classes` },
  label: trainFlags.label,
  "input-shape": {
    type: "string",
    group: "data",
    help: "one sample's shape instead of --data's, e.g. 3,32,32 (no data is read)",
  },
  classes: {
    type: "integer",
    group: "data",
    default: 10,
    min: 1,
    help: "the class count with --input-shape",
  },
  activation: trainFlags.activation,
  "activation-args": trainFlags["activation-args"],
  dropout: trainFlags.dropout,
  json: { type: "boolean", group: "output", default: false, help: "print the summary as JSON" },
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

const USAGE = `usage: gradmesh summary [--model M] [--data D] [--json]

Lists the layers of a model as train builds it for the data: each layer's type, output
shape per sample and parameter count, and the total (as torchinfo counts them).`;

/** Runs `summary` with `args`; returns the exit code. */
export async function runSummary(args: readonly string[]): Promise<number> {
  const values = commandFlags(FLAGS, USAGE, args);
  if (values === null) return 0;
  const shape = values["input-shape"] as string | undefined;
  const { train, name } = shape === undefined
    ? await loadDataset(values.data as string, { label: values.label as Cifar100Label })
    : {
      train: { sampleShape: sampleShape(shape), classes: values.classes as number },
      name: `[${shape}]`,
    };
  const spec = {
    ...defaultTrainConfig,
    model: values.model as string,
    activation: values.activation as string,
    activationArgs: values["activation-args"] as string,
    dropout: values.dropout as number,
  };
  const summary = summarizeModel(buildModel(spec, new Rng(0), train));
  if (values.json) {
    console.log(
      JSON.stringify({ model: spec.model, data: name, classes: train.classes, ...summary }),
    );
    return 0;
  }
  const rows = [
    ["#", "Layer (type)", "Spec", "Output shape", "Param #"],
    ...summary.layers.map((l) => [
      String(l.index),
      l.type,
      l.spec,
      `[${l.output.join(", ")}]`,
      l.params.toLocaleString("en-US"),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])).join("  ")
      .trimEnd();
  const rule = "=".repeat(line(rows[0]).length);
  console.log([
    `${spec.model} for ${name}: input [${summary.input.join(", ")}], ${train.classes} classes`,
    rule,
    line(rows[0]),
    rule,
    ...rows.slice(1).map(line),
    rule,
    `Total params: ${summary.params.toLocaleString("en-US")}`,
    `Buffers (not trained): ${summary.bufferValues.toLocaleString("en-US")} values`,
    `Parameter size: ${(summary.params * 4 / 2 ** 20).toFixed(2)} MiB (float32)`,
  ].join("\n"));
  return 0;
}

/** `--input-shape`: positive integers separated by commas. */
function sampleShape(text: string): number[] {
  const dims = text.split(",").map((d) => Number(d.trim()));
  if (!dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new UsageError("--input-shape", `expected sizes like 3,32,32, got "${text}"`);
  }
  return dims;
}
