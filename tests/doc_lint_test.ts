/**
 * `deno doc --lint mod.ts` reports nothing: every export of the public API has its JSDoc,
 * explicit types, and references no type that `mod.ts` does not export.
 *
 * @module
 */

import assert from "node:assert/strict";

Deno.test("deno doc --lint mod.ts reports no problem", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const problems = text.split("\n").filter((l) => /^error/.test(l));
  assert.equal(
    code,
    0,
    `deno doc --lint mod.ts:\n${problems.slice(0, 20).join("\n")}\n${text.slice(-2000)}`,
  );
});
