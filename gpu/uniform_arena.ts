/**
 * Per-dispatch uniform parameters. Every dispatch of a submit needs its own values, and
 * `queue.writeBuffer` runs before the submit, so one uniform buffer rewritten per
 * dispatch would show every dispatch the last values. Instead each dispatch writes a
 * 256-byte slot of a host array; the slots are uploaded once, just before the submit,
 * and each dispatch binds its slot by dynamic offset. The GPU side is a list of 64 KiB
 * chunks, each with its bind group, kept across submits and grown only when a submit
 * holds more dispatches than ever before.
 *
 * @module
 */

import { type ParamLayout, type ParamValue, writeParams } from "./kernels/kernel.ts";
import type { GpuStats } from "./stats.ts";

/** Bytes per slot: WebGPU's largest allowed minUniformBufferOffsetAlignment. */
export const UNIFORM_SLOT_BYTES = 256;
const SLOTS_PER_CHUNK = 256;
const CHUNK_BYTES = UNIFORM_SLOT_BYTES * SLOTS_PER_CHUNK;

interface Chunk {
  buffer: GPUBuffer;
  group: GPUBindGroup;
  host: DataView<ArrayBuffer>;
}

/** A slot: the bind group of its chunk and its dynamic offset there. */
export interface UniformSlot {
  group: GPUBindGroup;
  offset: number;
}

/** The slots of the dispatches recorded since the last upload. */
export class UniformArena {
  private readonly chunks: Chunk[] = [];
  private used = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly layout: GPUBindGroupLayout,
    private readonly stats: GpuStats,
  ) {}

  /** Writes `values` into the next slot. */
  push(params: ParamLayout, values: readonly ParamValue[]): UniformSlot {
    const index = this.used++;
    const chunk = this.chunks[Math.floor(index / SLOTS_PER_CHUNK)] ?? this.grow();
    const offset = (index % SLOTS_PER_CHUNK) * UNIFORM_SLOT_BYTES;
    writeParams(chunk.host, offset, params, values);
    return { group: chunk.group, offset };
  }

  /** Uploads the slots written since the last call; call just before the submit. */
  upload(queue: GPUQueue): void {
    for (let c = 0; c * SLOTS_PER_CHUNK < this.used; c++) {
      const bytes = Math.min(this.used - c * SLOTS_PER_CHUNK, SLOTS_PER_CHUNK) *
        UNIFORM_SLOT_BYTES;
      queue.writeBuffer(this.chunks[c].buffer, 0, this.chunks[c].host, 0, bytes);
    }
    this.used = 0;
  }

  private grow(): Chunk {
    const buffer = this.device.createBuffer({
      label: "gradmesh uniforms",
      size: CHUNK_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const group = this.device.createBindGroup({
      layout: this.layout,
      entries: [{ binding: 0, resource: { buffer, size: UNIFORM_SLOT_BYTES } }],
    });
    this.stats.buffersCreated++;
    this.stats.bindGroupsCreated++;
    const chunk = { buffer, group, host: new DataView(new ArrayBuffer(CHUNK_BYTES)) };
    this.chunks.push(chunk);
    return chunk;
  }
}
