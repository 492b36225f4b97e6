/**
 * `gradmesh eval --checkpoint C`: the test-set loss and accuracy of a saved model, as one
 * JSON object on stdout (the keys of the metrics file) and one line on stderr.
 *
 * @module
 */

import { evalBatches } from "../core/train/fit.ts";
import { checkpointModelFlags, loadCheckpointModel } from "./checkpoint_model.ts";
import { commandFlags } from "./flags.ts";

const USAGE = `usage: gradmesh eval --checkpoint FILE [--data D] [flags]

Evaluates a checkpoint's model on the test split of the data it was trained on (or of
--data, normalised the same way) and prints {"test_loss", "test_acc", ...} as JSON.`;

/** Runs `eval` with `args`; returns the exit code. */
export async function runEval(args: readonly string[]): Promise<number> {
  const values = commandFlags(checkpointModelFlags, USAGE, args);
  if (values === null) return 0;
  const loaded = await loadCheckpointModel(values, (line) => console.error(line));
  try {
    const { checkpoint, data, trainer } = loaded;
    const m = await trainer.evaluate(evalBatches(data.test, values["batch-size"] as number));
    console.log(JSON.stringify({
      checkpoint: values.checkpoint,
      data: data.name,
      epoch: checkpoint.epoch,
      step: checkpoint.step,
      samples: m.count,
      test_loss: m.loss,
      test_acc: m.accuracy,
    }));
    console.error(
      `eval: test accuracy ${(m.accuracy * 100).toFixed(2)}% (loss ${m.loss.toFixed(4)}) ` +
        `on ${m.count} ${data.name} samples`,
    );
    return 0;
  } finally {
    loaded.destroy();
  }
}
