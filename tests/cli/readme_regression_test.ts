/**
 * The regression examples of README.md, run as written: every line of the block after the
 * `regression examples` marker, `deno task NAME` expanded to that task's command in
 * deno.json, in a scratch directory that links the repository's `docs/` (the example
 * data). It takes about 6 s on two idle cores because it trains the README's ten runs; that is
 * what it checks. Besides exit 0, it checks that the linear model learnt the noise level,
 * that `--workers 2` trained exactly as one process, and that the reports were written.
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";

const root = new URL("../../", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);
const tasks = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks as Record<
  string,
  string
>;

/** The shell lines of the fenced block after the marker. */
function exampleLines(): string[] {
  const marker = readme.indexOf("<!-- regression examples:");
  assert.ok(marker >= 0, "README.md has the regression examples marker");
  const block = readme.slice(marker).match(/```sh\n([\s\S]*?)```/);
  assert.ok(block, "a ```sh block follows the marker");
  return block[1].split("\n").filter((l) => l.trim() !== "");
}

/** `deno task NAME ARGS` as the argument list of the task's own command. */
function expand(line: string): string[] {
  const [deno, task, name, ...args] = line.split(/\s+/);
  assert.equal(`${deno} ${task}`, "deno task", line);
  assert.ok(tasks[name], `deno.json has no task "${name}"`);
  const command = tasks[name].split(/\s+/).map((w) =>
    w === "cli/main.ts" ? `${root}cli/main.ts` : w
  );
  assert.equal(command[0], "deno");
  return [...command.slice(1), ...args];
}

async function run(line: string, cwd: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: expand(line),
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${line}\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  return text;
}

async function params(path: string): Promise<number[]> {
  return (await loadCheckpoint(path)).params.flatMap((t) => [...t.data]);
}

Deno.test("README regression examples run as written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-readme-regression-" });
  try {
    await Deno.symlink(`${root}docs`, `${dir}/docs`);
    const lines = exampleLines();
    const trains = lines.filter((l) => l.startsWith("deno task train"));
    const reports = lines.filter((l) => !l.startsWith("deno task train"));
    assert.ok(trains.length >= 8 && reports.length >= 2, "trains and reports");
    // Two at a time (one per core); the reports read what the runs wrote.
    const outputs: Record<string, string> = {};
    for (let i = 0; i < trains.length; i += 2) {
      await Promise.all(trains.slice(i, i + 2).map(async (l) => outputs[l] = await run(l, dir)));
    }
    for (const l of reports) await run(l, dir);
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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
