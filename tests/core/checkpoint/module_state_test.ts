/**
 * Buffers and extra state: names gathered from children like parameters, a buffer's life
 * on a backend (uploaded once, read, overwritten), and a checkpoint round trip of a model
 * with a batch norm and a dropout under PyTorch's `state_dict` names, after which the
 * restored model computes what the original does.
 *
 * @module
 */

import {
  type Backend,
  BatchNorm1d,
  bindParameters,
  CheckpointError,
  createCpuBackend,
  Dropout,
  GradmeshError,
  Linear,
  ModuleBuffer,
  ReLU,
  Rng,
  Sequential,
  ShapeError,
  tensor,
} from "../../../mod.ts";
import { loadCheckpoint, saveCheckpoint } from "../../../core/checkpoint/checkpoint.ts";
import {
  extraStates,
  readBuffers,
  restoreModuleState,
} from "../../../core/checkpoint/module_state.ts";
import { assert, assertEquals, assertThrows } from "../asserts.ts";
import { backendsUnderTest } from "../backends.ts";
import { inTempDir } from "../../temp_dir.ts";

const backends = await backendsUnderTest();

function model(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential(
    new Linear(4, 6, rng),
    new BatchNorm1d(6),
    new ReLU(),
    new Linear(6, 3, rng),
    new Dropout(rng, { p: 0.25 }),
  );
}

Deno.test("Module: buffers and modules are named like PyTorch's state_dict and named_modules", () => {
  const m = model(0);
  assertEquals(m.namedParameters().map(([n]) => n), [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "3.weight",
    "3.bias",
  ]);
  assertEquals(m.namedBuffers().map(([n]) => n), [
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
  ]);
  assertEquals(m.namedBuffers().map(([, b]) => b.shape), [[6], [6], []]);
  assertEquals(m.namedModules().map(([n]) => n), ["", "0", "1", "2", "3", "4"]);
  assertEquals(Object.keys(extraStates(m) ?? {}), ["4._extra_state"]);
  assertEquals(extraStates(new Sequential(new Linear(2, 2, new Rng(0)))), null);
  const nested = new Sequential(new Sequential(new BatchNorm1d(2)));
  assertEquals(nested.namedBuffers()[0][0], "0.0.running_mean");
});

Deno.test("ModuleBuffer: uploaded once, read and overwritten on every backend", async () => {
  for (const kind of backends) {
    if (!kind.create) continue;
    const b: Backend = await kind.create();
    try {
      const buffer = new ModuleBuffer([2, 2], new Float32Array([1, 2, 3, 4]));
      buffer.load(new Float32Array([5, 6, 7, 8]));
      const t = buffer.on(b);
      assert(buffer.on(b) === t, `${kind.name}: the same tensor every time`);
      assertEquals(t.shape, [2, 2]);
      assertEquals(Array.from(await buffer.read()), [5, 6, 7, 8]);
      b.axpy(t.storage, b.upload(new Float32Array([1, 1, 1, 1])), 1);
      assertEquals(Array.from(await buffer.read()), [6, 7, 8, 9], `${kind.name}: in place`);
      buffer.load(new Float32Array([0, 0, 0, 1]));
      assertEquals(Array.from(await t.toArray()), [0, 0, 0, 1], `${kind.name}: load writes`);
      b.endStep();
      assertEquals(Array.from(await buffer.read()), [0, 0, 0, 1], `${kind.name}: persistent`);
      assertThrows(() => buffer.on(createCpuBackend()), GradmeshError, "one backend");
      assertThrows(() => buffer.load(new Float32Array(3)), ShapeError, "needs 4 values, got 3");
    } finally {
      b.destroy();
    }
  }
  assertThrows(() => new ModuleBuffer([3], new Float32Array(2)), ShapeError, "[3]");
});

Deno.test("checkpoint: buffers and extra state round-trip; the restored model computes the same", () =>
  inTempDir(async (dir) => {
    const b = createCpuBackend();
    const x = tensor(b, Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)), [5, 4]);
    const original = model(1);
    const flat = bindParameters(b, original.namedParameters());
    for (let step = 0; step < 3; step++) original.forward(x);
    const path = `${dir}/model.safetensors`;
    const all = await b.read(flat.params);
    await saveCheckpoint(path, {
      params: [
        ...flat.slots.map((s) => ({
          name: s.name,
          shape: [...s.shape],
          data: all.slice(s.offset, s.offset + s.size),
        })),
        ...await readBuffers(original),
      ],
      optimizer: [],
      epoch: 1,
      step: 3,
      rngState: [1],
      config: {},
      moduleState: extraStates(original)!,
    });

    const bytes = await Deno.readFile(path);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    assertEquals(header["1.num_batches_tracked"].shape, []);
    assertEquals(header["1.running_var"].dtype, "F32");
    const seed = (original.layers[4] as Dropout).seed;
    assertEquals(JSON.parse(header.__metadata__.module_state), {
      "4._extra_state": { seed, offset: 45 },
    });

    const loaded = await loadCheckpoint(path);
    const restored = model(2);
    const restoredFlat = bindParameters(b, restored.namedParameters());
    const byName = new Map(loaded.params.map((t) => [t.name, t.data]));
    for (const s of restoredFlat.slots) {
      b.write(b.view(restoredFlat.params, s.offset, s.size), byName.get(s.name)!);
    }
    restoreModuleState(restored, loaded.params, loaded.moduleState, path);
    assertEquals(Array.from(await (restored.layers[1] as BatchNorm1d).numBatchesTracked!.read()), [
      3,
    ]);
    for (const mode of ["train", "eval"] as const) {
      original[mode]();
      restored[mode]();
      assertEquals(
        await restored.forward(x).toArray(),
        await original.forward(x).toArray(),
        `${mode}: restored model's output`,
      );
    }
    assertEquals(await readBuffers(restored), await readBuffers(original));
  }));

Deno.test("checkpoint: a missing buffer, missing or malformed module state names the file", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/old.safetensors`;
    const m = model(0);
    const buffers = await readBuffers(m);
    const withoutVar = buffers.filter((t) => t.name !== "1.running_var");
    const state = extraStates(m)!;
    await assertRejects(
      () => Promise.resolve(restoreModuleState(m, withoutVar, state, path)),
      "1.running_var [6] is missing",
    );
    const reshaped = buffers.map((t) => t.name === "1.running_mean" ? { ...t, shape: [2, 3] } : t);
    await assertRejects(
      () => Promise.resolve(restoreModuleState(m, reshaped, state, path)),
      "1.running_mean",
    );
    await assertRejects(
      () => Promise.resolve(restoreModuleState(m, buffers, undefined, path)),
      "4._extra_state is missing",
    );
    await assertRejects(
      () =>
        Promise.resolve(
          restoreModuleState(m, buffers, { "4._extra_state": { seed: -2, offset: 0 } }, path),
        ),
      "4._extra_state",
    );
    const base = { params: [], optimizer: [], epoch: 0, step: 0, rngState: [], config: {} };
    await saveCheckpoint(path, {
      ...base,
      moduleState: { "4._extra_state": { seed: 1, offset: 2 } },
    });
    assertEquals((await loadCheckpoint(path)).moduleState, {
      "4._extra_state": { seed: 1, offset: 2 },
    });
    await saveCheckpoint(path, {
      ...base,
      moduleState: { "4._extra_state": "x" } as unknown as Record<string, Record<string, number>>,
    });
    await assertRejects(() => loadCheckpoint(path), "module_state");
  }));

async function assertRejects(fn: () => Promise<unknown>, part: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof CheckpointError, `expected a CheckpointError, got ${e}`);
    assert(e.message.includes(part), `message "${e.message}" should contain "${part}"`);
    return;
  }
  throw new Error(`expected a CheckpointError containing "${part}"`);
}
