import assert from "node:assert/strict";
import { inTempDir } from "../temp_dir.ts";

const root = new URL("../../", import.meta.url).pathname;
const MARKER = "<!-- readme-examples:";

/** The commands of the README's marked block, continuation lines joined, comments kept. */
async function readmeCommands(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const after = readme.slice(readme.indexOf(MARKER));
  const block = after.match(/```sh\n([\s\S]*?)```/)![1];
  return block.replace(/\\\n\s*/g, "").split("\n").filter((l) => l.trim() !== "");
}

// Five commands, each its own Deno process as a user runs them: several seconds, most of it
// process start-up.
Deno.test("the README's examples run as written", () =>
  inTempDir(async (dir) => {
    const commands = await readmeCommands();
    assert.ok(commands.length >= 4, `${commands}`);
    for (const command of commands) {
      // The run folder goes to a temporary directory instead of the repository's runs/.
      const line = command.replaceAll("runs/example", `${dir}/example`);
      const out = await new Deno.Command("bash", {
        args: ["-c", line],
        cwd: root,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${command}\n${err}`);
    }
    for (const file of ["metrics.jsonl", "metrics.csv", "checkpoint.safetensors", "curves.svg"]) {
      assert.ok((await Deno.stat(`${dir}/example/${file}`)).size > 0, file);
    }
    assert.equal([...Deno.readDirSync(`${dir}/example/tensorboard`)].length, 1);
  }));
