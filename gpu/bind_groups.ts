/**
 * Storage bind groups cached by layout, buffers, offsets and sizes. Pooled buffers come
 * back in the same order every step, so a repeated step finds every group it needs.
 *
 * @module
 */

import type { GpuStats } from "./stats.ts";

/** A byte range of a buffer, as bound to one binding. */
export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

// Shapes that change every step (an evaluation loop over ragged batches, say) would grow
// the cache without bound; past this many entries it starts over.
const MAX_GROUPS = 16384;

/** Bind groups by content. */
export class BindGroupCache {
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private readonly groups = new Map<string, GPUBindGroup>();
  private nextId = 0;

  constructor(private readonly device: GPUDevice, private readonly stats: GpuStats) {}

  /** The bind group of `layout` (identified by `layoutKey`) over `ranges`, in binding order. */
  get(layoutKey: string, layout: GPUBindGroupLayout, ranges: readonly BufferRange[]): GPUBindGroup {
    let key = layoutKey;
    for (const r of ranges) key += `|${this.id(r.buffer)}:${r.offset}:${r.size}`;
    let group = this.groups.get(key);
    if (group) return group;
    if (this.groups.size >= MAX_GROUPS) this.groups.clear();
    group = this.device.createBindGroup({
      layout,
      entries: ranges.map((r, binding) => ({ binding, resource: r })),
    });
    this.stats.bindGroupsCreated++;
    this.groups.set(key, group);
    return group;
  }

  private id(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, id = this.nextId++);
    return id;
  }
}
