/**
 * TensorBoard event files (`events.out.tfevents.*`): TFRecord framing (length, masked
 * CRC-32C of the length, data, masked CRC-32C of the data) around `Event` protocol
 * buffers, encoded by hand: `wall_time` (1, double), `step` (2, int64), `file_version`
 * (3, "brain.Event:2" in the first event) and `summary` (5) holding one
 * `value { tag (1), simple_value (2, float) }` per scalar, as tensorboardX writes them.
 *
 * @module
 */

import { firstLine } from "../bounded_read.ts";
import { writeAll } from "../checkpoint/atomic.ts";
import { OutputError } from "../errors.ts";
import { maskedCrc32c } from "./crc32c.ts";

/** The folder of a run's event files, inside the run folder (`--tensorboard`). */
export const TENSORBOARD_DIR = "tensorboard";

/** One event: the file version (first event of a file) or one scalar. */
export type TensorBoardEvent =
  | { wallTime: number; step: number; fileVersion: string }
  | { wallTime: number; step: number; tag: string; value: number };

/** Protocol buffer bytes, appended field by field. */
class ProtoBytes {
  private parts: number[] = [];

  varint(value: bigint): this {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
    return this;
  }

  fixed(bytes: Uint8Array): this {
    this.parts.push(...bytes);
    return this;
  }

  /** A length-delimited field (wire type 2). */
  field(number: number, bytes: Uint8Array): this {
    return this.varint(BigInt((number << 3) | 2)).varint(BigInt(bytes.length)).fixed(bytes);
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.parts);
  }
}

function littleEndian(size: 4 | 8, write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

/**
 * The `Event` protocol buffer of `event`; fields at their proto3 default (a zero step or
 * wall time) are left out, as protobuf's own encoders do.
 */
export function encodeEvent(event: TensorBoardEvent): Uint8Array<ArrayBuffer> {
  const out = new ProtoBytes();
  if (event.wallTime !== 0) {
    out.varint(0x09n).fixed(littleEndian(8, (v) => v.setFloat64(0, event.wallTime, true)));
  }
  if (event.step !== 0) out.varint(0x10n).varint(BigInt(event.step));
  const text = new TextEncoder();
  if ("fileVersion" in event) return out.field(3, text.encode(event.fileVersion)).bytes();
  const value = new ProtoBytes().field(1, text.encode(event.tag))
    .varint(0x15n).fixed(littleEndian(4, (v) => v.setFloat32(0, event.value, true)));
  const summary = new ProtoBytes().field(1, value.bytes());
  return out.field(5, summary.bytes()).bytes();
}

/** `data` framed as one TFRecord. */
export function tfRecord(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = littleEndian(8, (v) => v.setBigUint64(0, BigInt(data.length), true));
  const record = new Uint8Array(16 + data.length);
  const view = new DataView(record.buffer);
  record.set(length, 0);
  view.setUint32(8, maskedCrc32c(length), true);
  record.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return record;
}

/**
 * An open event file in a folder TensorBoard reads (`tensorboard --logdir DIR`). Events
 * are buffered until {@link EventFileWriter.flush}; each file starts with the file
 * version event, and a resumed run adds a new file beside the old ones.
 */
export class EventFileWriter {
  private pending: Uint8Array[] = [];

  private constructor(private readonly file: Deno.FsFile, readonly path: string) {}

  /**
   * Creates `dir` if needed and a new event file in it, named as TensorBoard expects
   * (`events.out.tfevents.<seconds>.<host>.<pid>`); an {@link OutputError} names a
   * folder that cannot be written.
   */
  static async open(dir: string, now = Date.now() / 1000): Promise<EventFileWriter> {
    const path = `${dir}/events.out.tfevents.${Math.floor(now)}.${host()}.${Deno.pid}`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      const file = await Deno.open(path, { write: true, createNew: true });
      const writer = new EventFileWriter(file, path);
      writer.add({ wallTime: now, step: 0, fileVersion: "brain.Event:2" });
      return writer;
    } catch (e) {
      throw new OutputError(path, `cannot write TensorBoard events: ${firstLine(e)}`);
    }
  }

  /** Queues one event. */
  add(event: TensorBoardEvent): void {
    this.pending.push(tfRecord(encodeEvent(event)));
  }

  /** Writes the queued events. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = new Uint8Array(this.pending.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.pending) {
      bytes.set(p, at);
      at += p.length;
    }
    this.pending = [];
    try {
      await writeAll(this.file, bytes);
    } catch (e) {
      throw new OutputError(this.path, `cannot write TensorBoard events: ${firstLine(e)}`);
    }
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.file.close();
    }
  }
}

/** This machine's name for the file name (as tensorboardX's), "localhost" without --allow-sys. */
function host(): string {
  try {
    return Deno.hostname().replace(/[^\w.-]/g, "_");
  } catch {
    return "localhost";
  }
}
