import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors } from "../../../core/checkpoint/safetensors.ts";
import type { NamedTensor } from "../../../core/checkpoint/named_tensor.ts";
import { CheckpointError, GradmeshError, ShapeError } from "../../../core/errors.ts";

const FILE = "model.safetensors";

const sample: NamedTensor[] = [
  { name: "0.weight", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0.1, 1e-30, -0]) },
  { name: "0.bias", shape: [2], data: new Float32Array([0.25, -0.75]) },
  { name: "scale", shape: [], data: new Float32Array([42]) },
  { name: "empty", shape: [0, 4], data: new Float32Array(0) },
];

function headerOf(bytes: Uint8Array): { length: number; json: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, json: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

/** Re-encodes `bytes` with its header JSON replaced by `edit(header)` (padding redone). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => unknown): Uint8Array {
  const { length, json } = headerOf(bytes);
  const text = new TextEncoder().encode(JSON.stringify(edit(JSON.parse(json))));
  const padded = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + padded + bytes.length - 8 - length).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + length), 8 + padded);
  return out;
}

function assertCorrupt(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeSafetensors(bytes, FILE),
    (e) =>
      e instanceof CheckpointError && e.file === FILE && e.message.startsWith(FILE + ": ") &&
      pattern.test(e.message),
  );
}

Deno.test("safetensors: round trip keeps names, order, shapes, exact values, metadata", () => {
  const metadata = { format: "x", note: "naïve ✓", json: '{"a":[1,2]}' };
  const { tensors, metadata: back } = decodeSafetensors(encodeSafetensors(sample, metadata), FILE);
  assert.deepEqual(back, metadata);
  assert.deepEqual([...tensors.keys()], sample.map((t) => t.name));
  for (const t of sample) {
    assert.deepEqual(tensors.get(t.name), { shape: t.shape, data: t.data });
  }
  assert.ok(Object.is(tensors.get("0.weight")!.data[5], -0));
});

Deno.test("safetensors: empty metadata and no tensors round trip", () => {
  assert.deepEqual(decodeSafetensors(encodeSafetensors(sample, {}), FILE).metadata, {});
  const none = decodeSafetensors(encodeSafetensors([], {}), FILE);
  assert.equal(none.tensors.size, 0);
  assert.deepEqual(none.metadata, {});
});

Deno.test("safetensors: tensors that are views into a larger buffer encode only their view", () => {
  const flat = new Float32Array([9, 1, 2, 3, 9]);
  const bytes = encodeSafetensors([{ name: "v", shape: [3], data: flat.subarray(1, 4) }], {});
  assert.deepEqual(
    decodeSafetensors(bytes, FILE).tensors.get("v")!.data,
    new Float32Array([1, 2, 3]),
  );
});

Deno.test("safetensors: layout follows the spec (8-aligned space-padded header, contiguous data)", () => {
  for (const note of ["", "a", "ab", "abcdefg", "abcdefgh"]) {
    const bytes = encodeSafetensors(sample, { note });
    const { length, json } = headerOf(bytes);
    assert.equal(length % 8, 0);
    assert.equal(json.trimEnd().length > length - 8, true, "at most 7 bytes of padding");
    assert.match(json, /^\{.*\} *$/);
    const header = JSON.parse(json);
    assert.deepEqual(header.__metadata__, { note });
    assert.deepEqual(header["0.weight"], { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
    assert.deepEqual(header["0.bias"].data_offsets, [24, 32]);
    assert.deepEqual(header.scale, { dtype: "F32", shape: [], data_offsets: [32, 36] });
    assert.deepEqual(header.empty.data_offsets, [36, 36]);
    assert.equal(bytes.length, 8 + length + 36);
    const data = new DataView(bytes.buffer, 8 + length);
    assert.equal(data.getFloat32(8, true), 3.5, "little-endian f32 at its offset");
  }
});

Deno.test("safetensors: encoder rejects repeated or reserved names and data that misfits its shape", () => {
  const t = sample[1];
  assert.throws(() => encodeSafetensors([t, t], {}), GradmeshError);
  assert.throws(() => encodeSafetensors([{ ...t, name: "__metadata__" }], {}), GradmeshError);
  assert.throws(() => encodeSafetensors([{ ...t, shape: [3] }], {}), ShapeError);
  assert.throws(() => encodeSafetensors([{ ...t, shape: [-1, -2] }], {}), ShapeError);
});

Deno.test("safetensors: truncation anywhere is a CheckpointError naming the file", () => {
  const bytes = encodeSafetensors(sample, { note: "n" });
  const { length } = headerOf(bytes);
  for (const cut of [0, 3, 7, 8, 9, 8 + length / 2, 8 + length - 1]) {
    assertCorrupt(bytes.subarray(0, cut), /too short|exceeds/);
  }
  for (const cut of [8 + length, 8 + length + 1, 8 + length + 20, bytes.length - 1]) {
    assertCorrupt(bytes.subarray(0, cut), /out of range|truncated/);
  }
});

Deno.test("safetensors: a corrupted header length is a CheckpointError", () => {
  const bytes = encodeSafetensors(sample, {});
  const { length } = headerOf(bytes);
  const withLength = (n: bigint) => {
    const bad = bytes.slice();
    new DataView(bad.buffer).setBigUint64(0, n, true);
    return bad;
  };
  assertCorrupt(withLength(1n << 63n), /header length 9223372036854775808 exceeds/);
  assertCorrupt(withLength(BigInt(bytes.length - 7)), /exceeds/);
  assertCorrupt(withLength(0n), /JSON/);
  assertCorrupt(withLength(BigInt(length - 8)), /JSON/);
  assertCorrupt(withLength(BigInt(length + 8)), /JSON/);
});

Deno.test("safetensors: bad JSON, non-object header and bad __metadata__ are rejected", () => {
  const bytes = encodeSafetensors(sample, {});
  const garbled = bytes.slice();
  garbled[9] = 0x2c; // a comma where the first key's opening quote was
  assertCorrupt(garbled, /not valid UTF-8 JSON/);
  const invalidUtf8 = bytes.slice();
  invalidUtf8[10] = 0xff;
  assertCorrupt(invalidUtf8, /UTF-8/);
  assertCorrupt(withHeader(bytes, () => [1, 2]), /JSON object/);
  assertCorrupt(withHeader(bytes, (h) => ({ ...h, __metadata__: { n: 1 } })), /__metadata__/);
  assertCorrupt(withHeader(bytes, (h) => ({ ...h, __metadata__: "x" })), /__metadata__/);
});

Deno.test("safetensors: wrong dtype, bad shapes and bad offsets are rejected", () => {
  const bytes = encodeSafetensors(sample, {});
  type Info = { dtype: string; shape: unknown; data_offsets: unknown };
  const edit = (name: string, change: Partial<Record<keyof Info, unknown>>) =>
    withHeader(bytes, (h) => ({ ...h, [name]: { ...(h[name] as Info), ...change } }));
  assertCorrupt(edit("0.bias", { dtype: "F16" }), /"0\.bias": unsupported dtype "F16"/);
  assertCorrupt(edit("0.bias", { dtype: undefined }), /unsupported dtype undefined/);
  assertCorrupt(edit("0.bias", { shape: [3] }), /"0\.bias": shape \[3\] needs 12 bytes/);
  assertCorrupt(edit("0.bias", { shape: [2.5] }), /shape must be/);
  assertCorrupt(edit("0.bias", { shape: "2" }), /shape must be/);
  assertCorrupt(edit("0.bias", { data_offsets: [24] }), /data_offsets must be/);
  assertCorrupt(edit("0.bias", { data_offsets: [-8, 0] }), /data_offsets must be/);
  assertCorrupt(edit("0.bias", { data_offsets: [32, 24] }), /out of range/);
  assertCorrupt(edit("0.bias", { data_offsets: [36, 44] }), /out of range/);
  assertCorrupt(edit("0.bias", { data_offsets: [20, 28] }), /overlaps/);
  assertCorrupt(edit("0.weight", { data_offsets: [4, 28], shape: [6] }), /gap/);
  assertCorrupt(withHeader(bytes, (h) => ({ ...h, scale: 3 })), /"scale": expected/);
  const dropped = withHeader(bytes, (h) => {
    delete h.scale;
    return h;
  });
  assertCorrupt(dropped, /gap|belong to no tensor/);
});

Deno.test("safetensors: trailing bytes after the last tensor are rejected", () => {
  const bytes = encodeSafetensors(sample, {});
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  assertCorrupt(longer, /4 bytes after the last tensor/);
});

Deno.test("safetensors: decodes the fixture written by the independent Python writer", async () => {
  const path = new URL("../../fixtures/tiny.safetensors", import.meta.url);
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), "tiny.safetensors");
  assert.deepEqual(metadata, { format: "tiny-fixture", note: "naïve ✓ UTF-8" });
  const f32 = (xs: number[]) => new Float32Array(xs);
  assert.deepEqual([...tensors], [
    ["0.weight", { shape: [2, 3], data: f32([0.5, -1.25, 2, 0.1, 1e-3, -7]) }],
    ["0.bias", { shape: [2], data: f32([0.25, -0.75]) }],
    ["scale", { shape: [], data: f32([3.5]) }],
    ["empty", { shape: [0], data: f32([]) }],
  ]);
  assert.equal(tensors.get("0.weight")!.data[3], Math.fround(0.1));
});

const python = "/usr/bin/python3";

async function hasNumpy(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, { args: ["-c", "import numpy"] }).output();
    return success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "safetensors: the independent Python reader reads what the encoder wrote",
  ignore: !(await hasNumpy()),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/sample.safetensors`;
      await Deno.writeFile(file, encodeSafetensors(sample, { note: "naïve ✓" }));
      const script = new URL("../../fixtures/read_safetensors.py", import.meta.url).pathname;
      const out = await new Deno.Command(python, { args: [script, "read", file] }).output();
      assert.equal(new TextDecoder().decode(out.stderr), "");
      const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
      assert.equal(lines[0], '__metadata__\t{"note": "naïve ✓"}');
      assert.equal(lines.length, sample.length + 1);
      sample.forEach((t, i) => {
        const [name, shape, sum] = lines[i + 1].split("\t");
        assert.equal(name, t.name);
        assert.deepEqual(JSON.parse(shape), t.shape);
        const expected = t.data.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(Number(sum) - expected) <= 1e-12 * Math.max(1, Math.abs(expected)));
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("safetensors: a header longer than the format's 100 MB limit is refused unread", () => {
  const bytes = new Uint8Array(8 + 16);
  new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
  assertCorrupt(bytes, /header length 100000001 exceeds the format's limit of 100000000 bytes/);
});
