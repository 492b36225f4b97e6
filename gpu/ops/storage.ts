/**
 * The WebGPU backend's storage side: allocating, uploading, writing in program order,
 * views, copies, reading back, and the step's end (submit, then buffers back to the pool).
 *
 * @module
 */

import type { Backend, Storage } from "../../core/backend.ts";
import { ShapeError } from "../../core/errors.ts";
import { gpuStorage, type OpContext } from "../op_context.ts";

/** The storage methods of a {@link Backend}, recorded through `ctx`. */
export type StorageOps = Pick<
  Backend,
  "zeros" | "upload" | "write" | "view" | "copy" | "read" | "flush" | "endStep"
>;

/** {@link StorageOps} on `ctx`. */
export function storageOps(ctx: OpContext): StorageOps {
  return {
    zeros: (size: number, persistent = false): Storage => ctx.zeros(size, persistent),

    upload(data: Float32Array, persistent = false): Storage {
      const s = ctx.allocate(data.length, persistent);
      // A buffer just allocated has no recorded work that this write could overtake.
      if (s.size > 0) ctx.device.queue.writeBuffer(s.buffer, 0, source(data));
      return s;
    },

    write(dst: Storage, data: Float32Array): void {
      const d = gpuStorage(dst);
      if (data.length !== d.size) {
        throw new ShapeError("write", `got ${data.length} values for a storage of ${d.size}`);
      }
      if (d.size === 0) return;
      ctx.gpu.throwIfFailed();
      // queue.writeBuffer runs before the next submit, so it would overtake work recorded
      // earlier. With nothing recorded it is in order and cheapest; otherwise the data goes
      // to a staging buffer now and a copy joins the recorded work in program order.
      if (!ctx.recorder.pending) {
        ctx.device.queue.writeBuffer(d.buffer, d.offset * 4, source(data));
        return;
      }
      const bytes = d.size * 4;
      const staging = ctx.uploadPool.acquire(bytes);
      ctx.device.queue.writeBuffer(staging, 0, source(data));
      ctx.recorder.copy({ buffer: staging, offset: 0, size: bytes }, ctx.range(d));
      ctx.recorder.afterSubmit(() => ctx.uploadPool.release([staging]));
    },

    view: (base: Storage, offset: number, size: number): Storage => ctx.view(base, offset, size),

    copy(dst: Storage, src: Storage): void {
      const d = gpuStorage(dst), s = gpuStorage(src);
      if (d.size === 0) return;
      // A buffer cannot be both source and destination of one copy.
      const from = s.buffer === d.buffer ? ctx.copyAside(ctx.range(s)) : ctx.range(s);
      ctx.recorder.copy(from, ctx.range(d));
    },

    async read(s: Storage): Promise<Float32Array> {
      const src = gpuStorage(s);
      if (src.size === 0) {
        ctx.flush();
        return new Float32Array(0);
      }
      const bytes = src.size * 4;
      const staging = ctx.readbackPool.acquire(bytes);
      ctx.recorder.copy(ctx.range(src), { buffer: staging, offset: 0, size: bytes });
      ctx.flush();
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      } catch (e) {
        ctx.gpu.throwIfFailed();
        throw e;
      }
      const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      ctx.readbackPool.release([staging]);
      // Shape classes met since the last read are tuned now, once the data is out; products
      // already recorded keep their variant.
      if (ctx.matmulTuner.hasPending) await ctx.matmulTuner.tune();
      return out;
    },

    flush(): void {
      ctx.flush();
    },

    endStep(): void {
      ctx.flush();
      ctx.releaseStepBuffers();
    },
  };
}

/** `data` as writeBuffer's type, which leaves out views of a SharedArrayBuffer that it copies alike. */
function source(data: Float32Array): Float32Array<ArrayBuffer> {
  return data as Float32Array<ArrayBuffer>;
}
