/**
 * Every ```sh block of README.md runs as written: each command given to bash in a scratch copy
 * of the repository root, one block after another as a reader would type them, checked for
 * exit 0 and for what it says it wrote (checkpoints and metrics files, SVGs, JSON on stdout).
 * The regression block is tests/cli/readme_regression_test.ts's, which also checks what its
 * runs learnt. The quick start's `task test` is skipped: it is this suite, what .ci/run runs.
 * 14 s measured on a loaded 2-core machine, much of it the Deno processes starting.
 */

import assert from "node:assert/strict";
import { inRepoCopy, readmeBlocks, REGRESSION_MARKER, runShell } from "./readme_blocks.ts";
import type { ShellOutput } from "./readme_blocks.ts";

const TEST_SUITE = "npx -y deno@2.9.6 task test";
const hasNpx = new Deno.Command("bash", { args: ["-c", "command -v npx"], stdout: "null" })
  .outputSync().success;

/** The value after `flag` in a command line, if any. */
function flagValue(command: string, flag: string): string | undefined {
  return command.match(new RegExp(`${flag} (\\S+)`))?.[1];
}

async function nonEmpty(path: string, command: string): Promise<void> {
  assert.ok((await Deno.stat(path)).size > 0, `${command}: ${path} is empty`);
}

/** Checks that `command` left what it announces: files it names, JSON it prints. */
async function checkOutputs(command: string, out: ShellOutput, cwd: string): Promise<void> {
  if (/ task train\b/.test(command)) {
    for (const what of ["checkpoint", "metrics"]) {
      const path = out.stdout.match(new RegExp(`^${what}: +(\\S+)$`, "m"))?.[1];
      assert.ok(path, `${command}: no "${what}:" line\n${out.stdout}`);
      await nonEmpty(`${cwd}/${path}`, command);
    }
    const dir = flagValue(command, "--out");
    if (command.includes("--tensorboard") && dir) {
      assert.equal([...Deno.readDirSync(`${cwd}/${dir}/tensorboard`)].length, 1, command);
    }
  }
  const svg = flagValue(command, "--out");
  if (svg?.endsWith(".svg")) {
    assert.ok((await Deno.readTextFile(`${cwd}/${svg}`)).startsWith("<svg"), command);
  }
  if (/main\.ts (catalog|eval)\b/.test(command)) JSON.parse(out.stdout);
  if (/main\.ts predict\b/.test(command)) {
    const lines = out.stdout.trim().split("\n");
    assert.equal(lines.length, Number(flagValue(command, "--limit")), command);
    for (const line of lines) assert.ok(JSON.parse(line).probabilities.length > 0, line);
  }
}

const blocks = await readmeBlocks();

Deno.test("README.md has its ```sh blocks, one of them the regression examples", () => {
  assert.ok(blocks.length >= 4, `${blocks.length} blocks`);
  assert.equal(blocks.filter((b) => b.marker.startsWith(REGRESSION_MARKER)).length, 1);
  assert.ok(blocks.some((b) => b.commands.some((c) => c.startsWith(TEST_SUITE))));
});

for (const block of blocks.filter((b) => !b.marker.startsWith(REGRESSION_MARKER))) {
  Deno.test(`README.md's sh block at line ${block.line} runs as written`, () =>
    inRepoCopy(async (dir) => {
      for (const command of block.commands) {
        if (command.startsWith(TEST_SUITE)) continue;
        if (command.startsWith("npx ") && !hasNpx) {
          console.log(`skipped (no npx on PATH): ${command}`);
          continue;
        }
        await checkOutputs(command, await runShell(command, dir), dir);
      }
    }));
}
