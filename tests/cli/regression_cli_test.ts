/**
 * `train --task regression` refusing bad input as a user sees it: one line on stderr naming
 * the file, row and column, header field, flag or model, exit code 2, and no run directory
 * left behind.
 */

import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";

const fixture = (name: string) => new URL(`../fixtures/npy/${name}`, import.meta.url).pathname;

Deno.test("train --task regression: bad data, loss or model is one line and exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-regression-cli-" });
  try {
    const csv = `${dir}/data.csv`;
    const rows = Array.from({ length: 15 }, (_, i) => `${i},${2 * i}`);
    await Deno.writeTextFile(csv, `x,price\n${rows.join("\n")}\n7,n/a\n`);
    const cases: [string[], string][] = [
      [
        [`--data=csv:${csv}`, "--target=price"],
        `${csv}: row 17, column "price": expected a number, got "n/a"`,
      ],
      [
        [`--data=csv:${csv}`, "--target=cost"],
        `--target: no column "cost" in ${csv} (columns: x, price)`,
      ],
      [
        [`--data=npy:${fixture("fortran.npy")},${fixture("y_f4.npy")}`],
        `${
          fixture("fortran.npy")
        }: header field 'fortran_order': expected False (C order), got True`,
      ],
      [
        [`--data=npy:${fixture("x_f4.npy")}`],
        `--data: expected npy:X.npy,Y.npy (features, targets), got "npy:${fixture("x_f4.npy")}"`,
      ],
      [
        ["--data=synthetic:sinc", "--loss=cross-entropy"],
        '--loss: expected a regression loss (mse, l1, huber, smooth-l1, log-cosh, quantile), got "cross-entropy"',
      ],
      [
        ["--data=synthetic:sinc", "--model=1-8-3"],
        "--model: output size 3 does not match the data's 1 targets",
      ],
      [["--data=mnist"], "--data: --task regression needs numeric targets: expected csv:FILE"],
      [
        ["--data=synthetic:sinc", "--softmax-output"],
        "--softmax-output: a regression run compares raw outputs with its targets",
      ],
      [
        ["--data=synthetic:sinc", "--label-smoothing=0.1"],
        "--label-smoothing: applies to class labels, not to regression targets",
      ],
    ];
    for (const [args, line] of cases) {
      const out = `${dir}/run`;
      const { code, stderr } = await runCli([
        "train",
        "--task=regression",
        "--backend=cpu-ref",
        "--epochs=1",
        "--model=1-1",
        `--out=${out}`,
        ...args,
      ]);
      assert.equal(code, 2, `${args}: ${stderr}`);
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.ok(lines[0].startsWith(`gradmesh train: ${line}`), `${lines[0]}\nexpected ${line}`);
      await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound, `${args}: ${out} left`);
    }
    const { code, stderr } = await runCli(["train", "--data=synthetic:linear", `--out=${dir}/c`]);
    assert.equal(code, 2);
    assert.equal(
      stderr.trim(),
      "gradmesh train: --task: synthetic:linear holds numeric targets: give --task regression",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
