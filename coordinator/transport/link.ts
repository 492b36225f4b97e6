/**
 * The transport that collective algorithms such as `ringAllReduce` run over: one
 * rank's view of a mesh where any rank can send a chunk of floats to any other. Chunks
 * are addressed by sender and {@link ChunkKey}, so they may arrive in any order and
 * before the matching {@link Link.recv} is called.
 *
 * @module
 */

/** Identifies one chunk of one bucket's reduction in one training step. */
export interface ChunkKey {
  /** Training step. */
  readonly step: number;
  /** Gradient bucket within the step. */
  readonly bucket: number;
  /** Chunk within the bucket's reduction; the algorithm decides the numbering. */
  readonly chunk: number;
}

/**
 * One rank's connection to all the others.
 *
 * @example In-process ranks
 * ```ts
 * import { memoryMesh } from "./memory_link.ts";
 * const [a, b] = memoryMesh(2);
 * const key = { step: 0, bucket: 0, chunk: 0 };
 * const got = new Float32Array(2);
 * const arrived = b.recvInto(0, key, got);
 * await a.send(1, key, new Float32Array([1, 2]));
 * await arrived; // got is [1, 2]
 * ```
 */
export interface Link {
  /**
   * Sends `data` to rank `to`; resolves once the peer has taken it. The caller must not
   * change `data` until then. Rejects with a `MeshError` naming `to`.
   */
  send(
    to: number,
    key: ChunkKey,
    data: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Resolves once the chunk that rank `from` sends under `key` is in `target`; a transport
   * may read it there straight from the wire when this is called before it arrives, so
   * `target` must not be read or changed until then. Rejects with a `RangeError` when the
   * chunk has another length, or with the reason of `signal`.
   */
  recvInto(
    from: number,
    key: ChunkKey,
    target: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Where rank `rank` lives, for error messages (a host:port, or `memory`). */
  peerAddress(rank: number): string;
  /** Releases connections; sends and receives after this are undefined. */
  close(): Promise<void>;
}
