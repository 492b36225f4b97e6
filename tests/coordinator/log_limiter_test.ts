import assert from "node:assert/strict";
import { LogLimiter } from "../../coordinator/transport/log_limiter.ts";

Deno.test("LogLimiter passes each kind once per interval and counts what it held back", async () => {
  const lines: string[] = [];
  const limiter = new LogLimiter((line) => lines.push(line), 50);
  for (let i = 0; i < 5; i++) limiter.log("refused", `refused ${i}`);
  limiter.log("slow", "slow 0");
  assert.deepEqual(lines, ["refused 0", "slow 0"]);
  await new Promise((resolve) => setTimeout(resolve, 60));
  limiter.log("refused", "refused 5");
  limiter.log("slow", "slow 1");
  assert.deepEqual(lines.slice(2), [
    "refused 5 (and 4 more like it since the last such line)",
    "slow 1",
  ]);
});
