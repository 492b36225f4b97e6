/**
 * What the README tests share: README.md's ```sh blocks, a scratch copy of the repository
 * root to run them in (so the runs they write land outside the checkout), and a runner that
 * gives a command line to bash there exactly as a user would type it.
 */

import assert from "node:assert/strict";

/** The repository root, with a trailing slash. */
export const root = new URL("../../", import.meta.url).pathname;

/** The comment before the block that tests/cli/readme_regression_test.ts runs. */
export const REGRESSION_MARKER = "<!-- regression examples:";

/** One ```sh block of README.md. */
export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The HTML comment on the nearest non-blank line above the fence, or "". */
  marker: string;
  /** Its commands: continuation lines joined, blank lines dropped, comments kept. */
  commands: string[];
}

/** Every ```sh block of `markdown`, in order. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  for (const match of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const before = markdown.slice(0, match.index).trimEnd();
    const last = before.slice(before.lastIndexOf("\n") + 1);
    blocks.push({
      line: markdown.slice(0, match.index).split("\n").length,
      marker: last.startsWith("<!--") ? last : "",
      commands: match[1].replace(/\\\n\s*/g, "").split("\n").filter((l) => l.trim() !== ""),
    });
  }
  return blocks;
}

/** README.md's ```sh blocks. */
export async function readmeBlocks(): Promise<ShellBlock[]> {
  return shellBlocks(await Deno.readTextFile(`${root}README.md`));
}

/**
 * Runs `fn` in a fresh directory that stands for the repository root: deno.json and deno.lock
 * copied (a task runs where its config file is), every other top-level entry linked, except
 * `runs/` and hidden ones. Removed afterwards whatever happens.
 */
export async function inRepoCopy<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-readme-" });
  try {
    for await (const entry of Deno.readDir(root)) {
      const { name } = entry;
      if (name.startsWith(".") || name === "runs") continue;
      if (name === "deno.json" || name === "deno.lock") {
        await Deno.copyFile(`${root}${name}`, `${dir}/${name}`);
      } else {
        await Deno.symlink(`${root}${name}`, `${dir}/${name}`);
      }
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What a command printed. */
export interface ShellOutput {
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `bash -c` in `cwd`, with the `deno` that runs the tests first on PATH,
 * and asserts that it exits 0.
 */
export async function runShell(command: string, cwd: string): Promise<ShellOutput> {
  const denoDir = Deno.execPath().replace(/\/[^/]*$/, "");
  const out = await new Deno.Command("bash", {
    args: ["-c", command],
    cwd,
    env: {
      NO_COLOR: "1",
      XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
      PATH: `${denoDir}:${Deno.env.get("PATH") ?? ""}`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const result = { stdout: decode(out.stdout), stderr: decode(out.stderr) };
  assert.equal(out.code, 0, `${command}\n${result.stdout}\n${result.stderr}`);
  return result;
}
