/**
 * The fast CPU backend holds a training set within its `hostSampleBudget` in the kernels'
 * memory and gathers each step's batch there, training bitwise like host batches; the
 * reference backend, a set past the budget and augmentation keep the host path.
 *
 * @module
 */

import type { Backend } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { deviceData, DeviceDataset } from "../../core/train/device_data.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { assert, assertEquals } from "../core/asserts.ts";
import { BATCH, digitsLike, trainEpoch } from "../core/train/device_training.ts";

const plain = { crop: 0, flip: false };

Deno.test("deviceData on CPU backends: the whole set within the fast backend's budget, else the host path", async () => {
  const fast = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  try {
    const ds = digitsLike(100);
    const bytes = 100 * 785 * 4;
    assert(deviceData(fast, ds, plain, BATCH) instanceof DeviceDataset);
    assertEquals(deviceData(createCpuBackend(), ds, plain, BATCH), null, "the reference");
    const small = { name: "cpu", hostSampleBudget: bytes - 1 } as Backend;
    assertEquals(deviceData(small, ds, plain, BATCH), null, "past the budget: no chunks");
    const fits = { ...small, hostSampleBudget: bytes } as Backend;
    assertEquals(deviceData(fits, ds, { crop: 4, flip: false }, BATCH), null, "augmentation");
  } finally {
    fast.destroy();
  }
});

for (const threads of [1, 2]) {
  Deno.test(`fast CPU backend, ${threads} thread(s): batches gathered in its memory train bitwise like host batches`, async () => {
    const ds = digitsLike(330); // 6 steps, the last one short
    const fast = await createFastCpuBackend({ threads, sgemm: "wasm" });
    try {
      const onHost = await trainEpoch(fast, ds, null);
      assertEquals(onHost.metrics.count, 330);
      const held = deviceData(fast, ds, plain, BATCH);
      assert(held instanceof DeviceDataset);
      assertEquals(await trainEpoch(fast, ds, held), onHost);
    } finally {
      fast.destroy();
    }
  });
}
