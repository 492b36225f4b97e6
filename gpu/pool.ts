/**
 * Recycles GPU buffers by size class (powers of two from 256 bytes), so a training step
 * that allocates the same intermediates every time creates no buffers after the first.
 *
 * @module
 */

/** A free list of buffers per size class, filled by a `create` function. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();

  constructor(private readonly create: (bytes: number) => GPUBuffer) {}

  /** Size in bytes of the buffers that serve a request of `bytes`. */
  static sizeClass(bytes: number): number {
    return Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
  }

  /** A buffer of at least `bytes`: a free one of its class, or a new one. */
  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    return this.free.get(size)?.pop() ?? this.create(size);
  }

  /**
   * Returns buffers, given in the order they were acquired; the caller guarantees that all
   * work using them has been submitted. Acquisitions then hand them out in that same
   * order, so a step that repeats the previous one gets the same buffer at each point
   * (and finds its bind groups cached).
   */
  release(buffers: readonly GPUBuffer[]): void {
    for (let i = buffers.length - 1; i >= 0; i--) {
      const b = buffers[i];
      let list = this.free.get(b.size);
      if (!list) this.free.set(b.size, list = []);
      list.push(b);
    }
  }
}
