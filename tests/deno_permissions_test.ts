/**
 * The Deno permissions live in one list (coordinator/job/deno_permissions.ts): every deno.json
 * task that runs the CLI or a training benchmark grants exactly that list.
 *
 * @module
 */

import assert from "node:assert/strict";
import { TRAIN_PERMISSIONS } from "../coordinator/job/deno_permissions.ts";

const config = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
) as { tasks: Record<string, string> };

/** Tasks that start a training process (the CLI's train and sweep, the training benches). */
const TRAINING_TASKS = ["train", "sweep", "bench:train", "bench:conv", "accept:conv"];

Deno.test("deno.json: every training task grants the permissions of TRAIN_PERMISSIONS", () => {
  for (const name of TRAINING_TASKS) {
    const task = config.tasks[name];
    assert.ok(task, `deno.json has no task ${name}`);
    const flags = task.split(/\s+/).filter((w) => w.startsWith("--allow-"));
    assert.deepEqual(flags, [...TRAIN_PERMISSIONS], `task ${name}`);
  }
});
