/**
 * The regression examples of README.md, run as written: every line of the block after the
 * `regression examples` marker, given to bash in a scratch copy of the repository root (the
 * example data is its `docs/data/`). It takes about 6 s on two idle cores because it trains the
 * README's eight runs; that is what it checks. Besides exit 0, it checks that the linear model
 * learnt the noise level, that `--workers 2` trained exactly as one process, and that the reports
 * were written. tests/cli/readme_examples_test.ts runs the README's other blocks.
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { inRepoCopy, readmeBlocks, REGRESSION_MARKER, runShell } from "./readme_blocks.ts";

/** The shell lines of the block after the marker. */
async function exampleLines(): Promise<string[]> {
  const block = (await readmeBlocks()).find((b) => b.marker.startsWith(REGRESSION_MARKER));
  assert.ok(block, "README.md has a ```sh block after the regression examples marker");
  return block.commands;
}

async function params(path: string): Promise<number[]> {
  return (await loadCheckpoint(path)).params.flatMap((t) => [...t.data]);
}

Deno.test("README regression examples run as written", () =>
  inRepoCopy(async (dir) => {
    const lines = await exampleLines();
    const trains = lines.filter((l) => l.startsWith("deno task train"));
    const reports = lines.filter((l) => !l.startsWith("deno task train"));
    assert.ok(trains.length >= 8 && reports.length >= 2, "trains and reports");
    // Two at a time (one per core); the reports read what the runs wrote.
    const outputs: Record<string, string> = {};
    for (let i = 0; i < trains.length; i += 2) {
      await Promise.all(
        trains.slice(i, i + 2).map(async (l) => outputs[l] = (await runShell(l, dir)).stdout),
      );
    }
    for (const l of reports) await runShell(l, dir);
    const linear = outputs[trains[0]];
    const rmse = Number(linear.match(/^final test loss \S+ rmse (\S+)/m)?.[1]);
    assert.ok(rmse < 0.02, `linear test rmse ${rmse}\n${linear}`);
    assert.deepEqual(
      await params(`${dir}/runs/linear-2/checkpoint.safetensors`),
      await params(`${dir}/runs/linear/checkpoint.safetensors`),
    );
    for (const svg of ["sinc.svg", "sinc-fit.svg"]) {
      assert.ok((await Deno.readTextFile(`${dir}/${svg}`)).startsWith("<svg"), svg);
    }
  }));
