/**
 * Fuzzing of the input readers, for a bounded time: valid IDX (raw and gzip), CIFAR and
 * safetensors files are damaged at random — truncated, bit-flipped, their length fields
 * overwritten, gzip data grown past its header's size — and read by the real readers. Each read must give a correct result or the
 * reader's typed one-line error naming the file; anything else (another exception, a read
 * that hangs, memory that keeps growing) fails with the seed that reproduces it.
 *
 * GRADMESH_FUZZ_SEED fixes the seed (default: the clock); GRADMESH_FUZZ_SECONDS the
 * duration (default 3).
 */

import assert from "node:assert/strict";
import { loadCheckpoint, saveCheckpoint } from "../../../core/checkpoint/checkpoint.ts";
import { loadCifar100 } from "../../../core/data/cifar.ts";
import { readIdxFile } from "../../../core/data/idx.ts";
import { CheckpointError, DataFormatError, type GradmeshError } from "../../../core/errors.ts";
import { Rng } from "../../../core/rng.ts";
import { gzip, idxBytes, isolateMemory, withTempDir } from "./helpers.ts";

const SEED = Number(Deno.env.get("GRADMESH_FUZZ_SEED") ?? Date.now() % 2 ** 31);
const SECONDS = Number(Deno.env.get("GRADMESH_FUZZ_SECONDS") ?? 3);
/** A read taking longer than this counts as a hang. */
const READ_TIMEOUT_MS = 5000;
/** How much {@link isolateMemory} may grow over the run. */
const MEMORY_BOUND = 256 * 2 ** 20;

/** One kind of input: where it lives, a valid file, and how its reader is called. */
interface Target {
  name: string;
  /** Path that the damaged bytes are written to. */
  file: string;
  valid: Uint8Array;
  /** Byte ranges of length fields, each overwritten as a big-endian or little-endian number. */
  lengths: { at: number; bytes: number; littleEndian: boolean }[];
  /** Compress the damaged bytes before writing them (the gzip IDX case damages both sides). */
  gz?: boolean;
  read(): Promise<unknown>;
  errorType: new (...args: never[]) => GradmeshError;
}

function damage(bytes: Uint8Array, target: Target, rng: Rng): Uint8Array {
  const out = bytes.slice();
  const kind = rng.int(target.gz ? 4 : 3);
  if (kind === 3) { // more data than the header declares: a small gzip bomb
    const grown = new Uint8Array(out.length + rng.int(2 * 2 ** 20));
    grown.set(out);
    return grown;
  }
  if (kind === 0) return out.subarray(0, rng.int(out.length + 1));
  if (kind === 1) {
    for (let n = 1 + rng.int(8); n > 0 && out.length; n--) {
      out[rng.int(out.length)] ^= 1 << rng.int(8);
    }
    return out;
  }
  const fields = target.lengths.filter((f) => f.at + f.bytes <= out.length);
  if (!fields.length) return out;
  const f = fields[rng.int(fields.length)];
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const choices = [0, 1, 2 ** 31, 2 ** 32 - 1, rng.nextU32(), rng.int(4096)];
  const value = choices[rng.int(choices.length)];
  if (f.bytes === 4) view.setUint32(f.at, value, f.littleEndian);
  else view.setBigUint64(f.at, BigInt(value) * (rng.int(2) ? 1n : 1n << 32n), f.littleEndian);
  return out;
}

async function targets(dir: string): Promise<Target[]> {
  const images = idxBytes([3, 4, 5], Array.from({ length: 60 }, (_, i) => (i * 31) % 256));
  const idxLengths = [4, 8, 12].map((at) => ({ at, bytes: 4, littleEndian: false }));
  const idx = (gz: boolean): Target => ({
    name: gz ? "idx.gz" : "idx",
    file: `${dir}/images${gz ? ".gz" : ""}`,
    valid: images,
    lengths: idxLengths,
    gz,
    read: () => readIdxFile(`${dir}/images${gz ? ".gz" : ""}`),
    errorType: DataFormatError,
  });
  const record = (
    i: number,
  ) => [i % 20, i % 100, ...Array.from({ length: 3072 }, (_, k) => k % 251)];
  const cifar = new Uint8Array([0, 1, 2].flatMap(record));
  await Deno.mkdir(`${dir}/cifar`);
  await Deno.writeFile(`${dir}/cifar/test.bin`, cifar);
  const ckpt = `${dir}/checkpoint.safetensors`;
  await saveCheckpoint(ckpt, {
    params: [{ name: "0.weight", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
    optimizer: [{
      name: "optim.0.weight.momentum_buffer",
      shape: [2, 3],
      data: new Float32Array(6),
    }],
    epoch: 1,
    step: 4,
    rngState: [7],
    config: { model: "3-2" },
  });
  const safetensors = await Deno.readFile(ckpt);
  return [
    idx(false),
    idx(true),
    {
      name: "cifar100",
      file: `${dir}/cifar/train.bin`,
      valid: cifar,
      lengths: [],
      read: () => loadCifar100(`${dir}/cifar`),
      errorType: DataFormatError,
    },
    {
      name: "safetensors",
      file: ckpt,
      valid: safetensors,
      lengths: [{ at: 0, bytes: 8, littleEndian: true }],
      read: () => loadCheckpoint(ckpt),
      errorType: CheckpointError,
    },
  ];
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | "hang"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"hang">((resolve) => timer = setTimeout(() => resolve("hang"), ms));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test(`input readers survive random damage (seed ${SEED}, ${SECONDS} s)`, async () => {
  console.log(`fuzz seed ${SEED} (GRADMESH_FUZZ_SEED=${SEED} repeats this run)`);
  const rng = new Rng(SEED);
  await withTempDir(async (dir) => {
    const all = await targets(dir);
    const before = isolateMemory();
    const counts = { ok: 0, refused: 0 };
    const end = performance.now() + SECONDS * 1000;
    for (let n = 0; performance.now() < end; n++) {
      const target = all[n % all.length];
      const damaged = damage(target.valid, target, rng);
      let bytes = target.gz ? await gzip(damaged) : damaged;
      if (target.gz && rng.int(2)) bytes = damage(bytes, { ...target, lengths: [] }, rng);
      await Deno.writeFile(target.file, bytes);
      const where = `case ${n} (${target.name}), seed ${SEED}`;
      let outcome: unknown;
      try {
        outcome = await withTimeout(target.read(), READ_TIMEOUT_MS);
        counts.ok++;
      } catch (e) {
        assert.ok(e instanceof target.errorType, `${where}: ${(e as Error)?.stack ?? e}`);
        assert.ok(e.message.startsWith(target.file), `${where}: ${e.message}`);
        assert.ok(!e.message.includes("\n"), `${where}: not one line: ${e.message}`);
        assert.equal(e.exitCode, 2, where);
        counts.refused++;
      }
      assert.notEqual(outcome, "hang", `${where}: no answer in ${READ_TIMEOUT_MS} ms`);
    }
    const grew = isolateMemory() - before;
    console.log(
      `${counts.ok} reads succeeded, ${counts.refused} refused; memory grew ${grew >> 20} MiB`,
    );
    assert.ok(counts.ok + counts.refused > all.length, "too few cases to mean anything");
    assert.ok(counts.refused > 0 && counts.ok > 0, "damage should be both caught and harmless");
    assert.ok(grew < MEMORY_BOUND, `seed ${SEED}: memory grew ${grew >> 20} MiB`);
  });
});
