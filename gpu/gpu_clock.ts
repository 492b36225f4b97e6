/**
 * GPU time of whole submits, for benchmarks: with a clock attached, the recorder writes
 * a timestamp (an empty compute pass) first and last in every command buffer it submits.
 * The timestamps stay on the device until `read`, so timing a run of steps adds no
 * read-back inside it.
 *
 * @module
 */

/** Timestamp pairs around submits; needs a device opened with `timestamp-query`. */
export class GpuClock {
  private readonly querySet: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly mapped: GPUBuffer;
  private next = 0;

  /** Room for `submits` submits. */
  constructor(private readonly device: GPUDevice, readonly submits: number) {
    const count = 2 * submits;
    this.querySet = device.createQuerySet({ type: "timestamp", count });
    this.resolved = device.createBuffer({
      size: 8 * count,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.mapped = device.createBuffer({
      size: 8 * count,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
  }

  /** Records a timestamp into `encoder` (the start of a submit, then its end, and so on). */
  mark(encoder: GPUCommandEncoder): void {
    if (this.next >= 2 * this.submits) {
      throw new RangeError(`GpuClock: more than ${this.submits} submits timed`);
    }
    encoder.beginComputePass({
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: this.next++ },
    }).end();
  }

  /** Milliseconds of GPU time of each timed submit, in order; the clock starts over. */
  async read(): Promise<number[]> {
    const count = this.next;
    if (count === 0) return [];
    const encoder = this.device.createCommandEncoder();
    encoder.resolveQuerySet(this.querySet, 0, count, this.resolved, 0);
    encoder.copyBufferToBuffer(this.resolved, 0, this.mapped, 0, 8 * count);
    this.device.queue.submit([encoder.finish()]);
    await this.mapped.mapAsync(GPUMapMode.READ, 0, 8 * count);
    const t = new BigUint64Array(this.mapped.getMappedRange(0, 8 * count).slice(0));
    this.mapped.unmap();
    this.next = 0;
    const spans: number[] = [];
    for (let i = 0; i + 1 < count; i += 2) spans.push(Number(t[i + 1] - t[i]) / 1e6);
    return spans;
  }

  /** Frees the query set and its buffers. */
  destroy(): void {
    this.querySet.destroy();
    this.resolved.destroy();
    this.mapped.destroy();
  }
}
