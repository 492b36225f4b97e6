import assert from "node:assert/strict";
import * as gradmesh from "../../mod.ts";
import { catalog } from "../../cli/catalog.ts";
import { trainFlags } from "../../cli/train_flags.ts";
import { lossNames } from "../../core/train/regression_objective.ts";
import { runMain } from "../coordinator/job_fixtures.ts";

const all = catalog() as Record<string, { name: string; fn?: string; objective?: string | null }[]>;
const names = (section: string) => all[section].map((e) => e.name);

Deno.test("catalog: every loss and metric names a function mod.ts exports", () => {
  for (const section of ["losses", "metrics"]) {
    for (const { name, fn } of all[section]) {
      assert.equal(typeof (gradmesh as Record<string, unknown>)[fn!], "function", `${name}: ${fn}`);
    }
  }
});

Deno.test("catalog: the names train's flags accept are the catalogue's", () => {
  const objectives = all.losses.flatMap((l) => l.objective ? [l.objective] : []);
  assert.deepEqual(objectives.sort(), lossNames.slice().sort());
  assert.deepEqual(trainFlags.loss.choices!.slice().sort(), objectives.sort());
  assert.deepEqual(trainFlags.scheduler.choices, ["none", ...names("schedulers")]);
  assert.deepEqual(trainFlags.activation.choices, names("activations"));
  for (const name of trainFlags.optimizer.choices!) {
    assert.ok(names("optimizers").includes(name), `--optimizer ${name}`);
  }
});

Deno.test("catalog: the subcommand prints the catalogue as JSON; a bad section exits 2", async () => {
  const { code, stdout } = await runMain(["catalog"]);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(JSON.parse(stdout)), Object.keys(all));
  const bad = await runMain(["catalog", "--section", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^gradmesh catalog: --section: expected one of activations, losses/);
});
