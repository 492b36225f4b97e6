/**
 * `gradmesh predict --checkpoint C`: per sample of a data split, the class a saved model
 * predicts and its probabilities (softmax of the outputs), as JSON Lines:
 * `{"index": 0, "label": 7, "predicted": 7, "probabilities": [...]}`. The samples are the
 * test split (or `--split train`) of the data the model was trained on, or of `--data`
 * (any dataset `train` reads, e.g. `idx:DIR` of IDX files), normalised as in training.
 *
 * @module
 */

import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { firstLine } from "../core/bounded_read.ts";
import { UsageError } from "../core/errors.ts";
import { predictions } from "../core/train/predict.ts";
import { checkpointModelFlags, loadCheckpointModel } from "./checkpoint_model.ts";
import { commandFlags, type FlagTable } from "./flags.ts";

const FLAGS: FlagTable = {
  ...checkpointModelFlags,
  split: {
    type: "string",
    group: "data",
    default: "test",
    choices: ["test", "train"],
    help: "which split of the data to predict",
  },
  limit: { type: "integer", group: "data", min: 1, help: "only the first N samples" },
  out: {
    type: "string",
    group: "output",
    help: "write the JSON Lines to this file (atomically) instead of stdout",
  },
};

const USAGE = `usage: gradmesh predict --checkpoint FILE [--data D] [--split test|train] [flags]

Prints one JSON object per sample: its index, true label, predicted class and the
probability of each class.`;

/** Runs `predict` with `args`; returns the exit code. */
export async function runPredict(args: readonly string[]): Promise<number> {
  const values = commandFlags(FLAGS, USAGE, args);
  if (values === null) return 0;
  const loaded = await loadCheckpointModel(values, (line) => console.error(line));
  const lines: string[] = [];
  let correct = 0;
  try {
    const samples = values.split === "train" ? loaded.data.train : loaded.data.test;
    const limit = (values.limit as number | undefined) ?? samples.count;
    let index = 0;
    for await (
      const p of predictions(loaded.trainer, samples, limit, values["batch-size"] as number)
    ) {
      const label = samples.labels[index];
      if (p.predicted === label) correct++;
      const probabilities = [...p.probabilities].map((v) => Number(v.toPrecision(6)));
      lines.push(JSON.stringify({ index, label, predicted: p.predicted, probabilities }) + "\n");
      index++;
    }
  } finally {
    loaded.destroy();
  }
  const out = values.out as string | undefined;
  if (out === undefined) {
    if (lines.length) console.log(lines.join("").trimEnd());
  } else {
    try {
      await writeTextAtomic(out, lines.join(""));
    } catch (e) {
      throw new UsageError("--out", `cannot write ${out}: ${firstLine(e)}`);
    }
  }
  console.error(
    `predict: ${lines.length} ${loaded.data.name} ${values.split} samples, ` +
      `${(100 * correct / Math.max(1, lines.length)).toFixed(2)}% predicted correctly` +
      (out === undefined ? "" : `; wrote ${out}`),
  );
  return 0;
}
