import assert from "node:assert/strict";
import { resolveResumeAuto } from "../../cli/resume_auto.ts";
import { UsageError } from "../../core/errors.ts";

Deno.test("--resume auto: the newest step checkpoint in --out, none when there is none, --out required", async () => {
  const out = await Deno.makeTempDir();
  try {
    await assert.rejects(
      resolveResumeAuto({ resume: "auto" }),
      (e: unknown) => e instanceof UsageError && /--resume: auto needs --out/.test(e.message),
    );
    const fresh: Record<string, string | undefined> = { resume: "auto", out };
    assert.equal(
      await resolveResumeAuto(fresh),
      `resume auto: no checkpoint in ${out} yet: starting afresh`,
    );
    assert.equal(fresh.resume, undefined);
    await Deno.mkdir(`${out}/checkpoints`);
    for (const step of [30, 120, 90]) {
      await Deno.writeFile(
        `${out}/checkpoints/step-${String(step).padStart(8, "0")}.safetensors`,
        new Uint8Array(),
      );
    }
    const values: Record<string, string | undefined> = { resume: "auto", out };
    const newest = `${out}/checkpoints/step-00000120.safetensors`;
    assert.equal(await resolveResumeAuto(values), `resume auto: continuing from ${newest}`);
    assert.equal(values.resume, newest);
    const given = { resume: "x.safetensors", out };
    assert.equal(await resolveResumeAuto(given), null);
    assert.equal(given.resume, "x.safetensors");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
