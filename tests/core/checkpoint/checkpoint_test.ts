import assert from "node:assert/strict";
import {
  type Checkpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../../../core/checkpoint/checkpoint.ts";
import { encodeSafetensors } from "../../../core/checkpoint/safetensors.ts";
import { CheckpointError } from "../../../core/errors.ts";
import { inTempDir } from "../../temp_dir.ts";

const checkpoint: Checkpoint = {
  params: [
    { name: "0.weight", shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: "0.bias", shape: [3], data: new Float32Array([-1, 0, 1]) },
    { name: "2.weight", shape: [1, 3], data: new Float32Array([0.5, 0.25, 0.125]) },
  ],
  optimizer: [
    { name: "optim.0.weight.momentum_buffer", shape: [3, 2], data: new Float32Array(6).fill(0.1) },
    { name: "optim.step", shape: [], data: new Float32Array([7]) },
  ],
  epoch: 3,
  step: 1200,
  rngState: [123456789, 0, 4294967295, 42],
  config: { model: "2-3-1", lr: 0.05, nesterov: false, betas: [0.9, 0.999] },
};

async function assertLoadFails(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(
    loadCheckpoint(path),
    (e) => e instanceof CheckpointError && e.file === path && pattern.test(e.message),
  );
}

Deno.test("checkpoint: save then load returns the same checkpoint", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, checkpoint);
    assert.deepEqual(await loadCheckpoint(path), checkpoint);
    await saveCheckpoint(path, { ...checkpoint, epoch: 4 });
    assert.equal((await loadCheckpoint(path)).epoch, 4);
  }));

Deno.test("checkpoint: metadata is the format tag plus JSON strings, as PyTorch users see it", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, checkpoint);
    const bytes = await Deno.readFile(path);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    assert.deepEqual(header.__metadata__, {
      format: "gradmesh-checkpoint-1",
      epoch: "3",
      step: "1200",
      rng_state: "[123456789,0,4294967295,42]",
      config: '{"model":"2-3-1","lr":0.05,"nesterov":false,"betas":[0.9,0.999]}',
    });
    assert.deepEqual(Object.keys(header).filter((k) => k !== "__metadata__"), [
      "0.weight",
      "0.bias",
      "2.weight",
      "optim.0.weight.momentum_buffer",
      "optim.step",
    ]);
  }));

Deno.test("checkpoint: optimizer tensors must, and parameters must not, start with optim.", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    const [p] = checkpoint.params;
    const [o] = checkpoint.optimizer;
    for (const bad of [{ optimizer: [p] }, { params: [o] }]) {
      await assert.rejects(
        saveCheckpoint(path, { ...checkpoint, ...bad }),
        (e) => e instanceof CheckpointError && /must be named "optim\.\*"/.test(e.message),
      );
    }
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  }));

Deno.test("checkpoint: a missing file or a corrupt file is a CheckpointError naming it", () =>
  inTempDir(async (dir) => {
    await assertLoadFails(`${dir}/nope.safetensors`, /no such file/);
    const path = `${dir}/ckpt.safetensors`;
    await saveCheckpoint(path, checkpoint);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 3));
    await assertLoadFails(path, /truncated/);
  }));

Deno.test("checkpoint: missing or unknown format and bad metadata fields are rejected", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    const good = {
      format: "gradmesh-checkpoint-1",
      epoch: "1",
      step: "2",
      rng_state: "[3]",
      config: "{}",
    };
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...good, format: "gradmesh-checkpoint-9" }, /format .*found "gradmesh-checkpoint-9"/],
      [{}, /found no format key/],
      [{ ...good, epoch: "-1" }, /epoch: expected a non-negative integer, found "-1"/],
      [{ ...good, step: "1.5" }, /step: expected a non-negative integer/],
      [{ ...good, step: "{" }, /step: expected/],
      [{ ...good, rng_state: '["a"]' }, /rng_state: expected a JSON array of numbers/],
      [{ ...good, config: "[]" }, /config: expected a JSON object/],
      [
        { ...good, epoch_progress: '{"steps":1,"loss":1,"correct":1,"count":2,"entropy":"x"}' },
        /epoch_progress: expected an object .*"entropy"/,
      ],
    ];
    for (const [metadata, pattern] of cases) {
      await Deno.writeFile(path, encodeSafetensors(checkpoint.params, metadata));
      await assertLoadFails(path, pattern);
    }
    for (const key of ["epoch", "step", "rng_state", "config"]) {
      const { [key]: _, ...rest } = good as Record<string, string>;
      await Deno.writeFile(path, encodeSafetensors([], rest));
      await assertLoadFails(path, new RegExp(`${key}: expected .*found nothing`));
    }
  }));
