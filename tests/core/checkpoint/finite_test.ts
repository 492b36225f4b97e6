/**
 * No checkpoint holds NaN or ±∞: saving one is refused before anything is written (the
 * previous file stays), and loading one is refused with the tensor's name, so a diverged
 * state never trains on unnoticed.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Checkpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../../../core/checkpoint/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../../../core/checkpoint/safetensors.ts";
import { CheckpointError, NonFiniteError } from "../../../core/errors.ts";
import { inTempDir } from "../../temp_dir.ts";

const good: Checkpoint = {
  params: [{ name: "0.weight", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
  optimizer: [{ name: "optim.0.weight.momentum_buffer", shape: [2, 2], data: new Float32Array(4) }],
  epoch: 1,
  step: 10,
  rngState: [0],
  config: {},
};

for (const value of [NaN, Infinity, -Infinity]) {
  Deno.test(`saveCheckpoint: an optimizer tensor holding ${value} is refused, the previous file kept`, () =>
    inTempDir(async (dir) => {
      const path = `${dir}/c.safetensors`;
      await saveCheckpoint(path, good);
      const before = await Deno.readFile(path);
      const data = new Float32Array([0, 0, value, 0]);
      const bad = { ...good, optimizer: [{ ...good.optimizer[0], data }] };
      await assert.rejects(
        () => saveCheckpoint(path, bad),
        (e) =>
          e instanceof NonFiniteError &&
          e.message === `${path}: not written, tensor optim.0.weight.momentum_buffer holds ` +
              `${value} at element 2`,
      );
      assert.deepEqual(await Deno.readFile(path), before);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["c.safetensors"]);
    }));
}

Deno.test("loadCheckpoint: a parameter holding NaN is refused with the tensor's name", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/c.safetensors`;
    await saveCheckpoint(path, good);
    // The same file with one weight replaced by NaN, as a diverged run would have saved it.
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), path);
    const named = [...tensors].map(([name, t]) => ({ name, ...t }));
    named[0].data = new Float32Array([1, NaN, 3, 4]);
    await Deno.writeFile(path, encodeSafetensors(named, metadata));
    await assert.rejects(
      () => loadCheckpoint(path),
      (e) =>
        e instanceof CheckpointError &&
        e.message === `${path}: tensor 0.weight holds NaN at element 1; a diverged state ` +
            `cannot be loaded`,
    );
  }));
