import assert from "node:assert/strict";
import { dropRecordsAfter } from "../../../core/metrics/trim.ts";
import { inTempDir } from "../../temp_dir.ts";

const line = (kind: string, epoch: number) => JSON.stringify({ kind, epoch, step: epoch * 10 });

Deno.test("dropRecordsAfter keeps the steps a checkpoint has and drops later ones and a torn line", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const kept = [line("step", 1), line("epoch", 1), line("step", 2), line("epoch", 2)];
    const later = [line("step", 3), line("epoch", 3), line("step", 4)];
    await Deno.writeTextFile(path, [...kept, ...later].join("\n") + '\n{"kind":"st');
    assert.equal(await dropRecordsAfter(path, 20), 4);
    assert.equal(await Deno.readTextFile(path), kept.join("\n") + "\n");
    const stat = await Deno.stat(path);
    assert.equal(await dropRecordsAfter(path, 20), 0); // nothing to drop: not rewritten
    assert.deepEqual((await Deno.stat(path)).mtime, stat.mtime);
    assert.equal(await dropRecordsAfter(`${dir}/none.jsonl`, 20), 0);
  }));

Deno.test("dropRecordsAfter keeps an epoch's step records up to a mid-epoch checkpoint", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const record = (kind: string, step: number) => JSON.stringify({ kind, epoch: 2, step });
    const kept = [record("step", 15), record("step", 20)];
    await Deno.writeTextFile(
      path,
      [...kept, record("step", 25), record("epoch", 30)].join("\n") + "\n",
    );
    assert.equal(await dropRecordsAfter(path, 20), 2);
    assert.equal(await Deno.readTextFile(path), kept.join("\n") + "\n");
  }));
