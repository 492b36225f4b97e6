import assert from "node:assert/strict";

const MODULE = new URL("../../cli/stop_signals.ts", import.meta.url).href;

Deno.test("the first stop signal is reported to the caller; a second one exits at once with 128 + its number", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { onStopSignals } from "${MODULE}";
       onStopSignals((cause) => console.log("asked:", cause), "test");
       setInterval(() => {}, 1000);
       console.log("ready");`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const until = async (text: string) => {
    while (!seen.includes(text)) {
      const { value, done } = await stdout.read();
      if (done) throw new Error(`stdout ended without "${text}": ${seen}`);
      seen += value;
    }
  };
  await until("ready\n");
  child.kill("SIGTERM");
  await until("asked: SIGTERM\n");
  child.kill("SIGINT");
  const status = await child.status;
  assert.equal(status.code, 130);
  assert.equal(
    await new Response(child.stderr).text(),
    "test: SIGINT again: exiting now without writing\n",
  );
  while (!(await stdout.read()).done) {
    // Drains what is left.
  }
});
