import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";

const record = (kind: string, step: number) =>
  JSON.stringify({
    kind,
    epoch: 1,
    step,
    train_loss: 1 / step,
    train_acc: 0.5,
    lr: 0.1,
    samples_per_s: 100,
    wall_s: step,
    ...(kind === "epoch" && { test_loss: 0.9, test_acc: 0.6 }),
  });

/** A folder of two run folders (`a` with 3 records, `b` with 1) and one folder without metrics. */
async function runsFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-serve-" });
  for (const [run, lines] of [["a", ["step", "step", "epoch"]], ["b", ["epoch"]]] as const) {
    await Deno.mkdir(`${dir}/${run}`);
    const text = lines.map((kind, i) => record(kind, (i + 1) * 10)).join("\n") + "\n";
    await Deno.writeTextFile(`${dir}/${run}/metrics.jsonl`, text);
  }
  await Deno.mkdir(`${dir}/empty`);
  return dir;
}

Deno.test("report --serve DIR: every run folder in DIR on the dashboard, finished, until stopped", async () => {
  const dir = await runsFolder();
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "report", "--serve", dir],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/\n/.test(text)) text += (await reader.read()).value ?? "";
    const url = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(2 runs\)\n$/.exec(text)?.[1];
    assert.ok(url, text);
    assert.deepEqual(await (await fetch(`${url}api/runs`)).json(), { runs: ["a", "b"] });
    const a = await (await fetch(`${url}api/status`)).json();
    assert.equal(a.run, "a");
    assert.equal(a.state, "finished");
    assert.deepEqual(a.records.map((r: { step: number }) => r.step), [10, 20, 30]);
    const b = await (await fetch(`${url}api/status?run=b`)).json();
    assert.equal(b.records.length, 1);
    const page = await fetch(url);
    assert.match(await page.text(), /gradmesh dashboard/);
    await reader.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report --serve: a missing folder, or one without metrics, is one line naming --serve, exit 2", async () => {
  const dir = await runsFolder();
  try {
    for (
      const [path, why] of [[`${dir}/nope`, /no such file or folder/], [
        `${dir}/empty`,
        /no metrics\.jsonl in/,
      ]] as const
    ) {
      const { code, stderr } = await runCli(["report", "--serve", path]);
      assert.equal(code, 2, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^report: --serve: /);
      assert.match(stderr, why);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
