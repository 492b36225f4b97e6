import assert from "node:assert/strict";
import { crc32c, maskedCrc32c } from "../../../core/metrics/crc32c.ts";
import {
  encodeEvent,
  EventFileWriter,
  type TensorBoardEvent,
  tfRecord,
} from "../../../core/metrics/tfevents.ts";
import { inTempDir } from "../../temp_dir.ts";

// tests/fixtures/make_tfevents.py wrote these with tensorboardX.
const FIXTURE = new URL("../../fixtures/tfevents/", import.meta.url);
const golden = JSON.parse(await Deno.readTextFile(new URL("scalars.json", FIXTURE))) as {
  file_wall_time: number;
  scalars: { tag: string; value: number | string; step: number; wall_time: number }[];
};
const reference = await Deno.readFile(new URL("scalars.tfevents", FIXTURE));
const scalars: TensorBoardEvent[] = golden.scalars.map((s) => ({
  tag: s.tag,
  // Python's names of the non-finite floats.
  value: typeof s.value === "number" ? s.value : { nan: NaN, inf: Infinity }[s.value]!,
  step: s.step,
  wallTime: s.wall_time,
}));

Deno.test("crc32c matches the published check values (RFC 3720 B.4 and the CRC catalogue)", () => {
  const bytes = (f: (i: number) => number) => Uint8Array.from({ length: 32 }, (_, i) => f(i));
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(bytes(() => 0)), 0x8a9136aa);
  assert.equal(crc32c(bytes(() => 0xff)), 0x62a8ab43);
  assert.equal(crc32c(bytes((i) => i)), 0x46dd794e);
  assert.equal(crc32c(bytes((i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new Uint8Array()), 0);
  // TFRecord's mask: rotate right 15, add 0xa282ead8.
  const crc = 0xe3069283;
  assert.equal(
    maskedCrc32c(new TextEncoder().encode("123456789")),
    ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32,
  );
});

Deno.test("encoded events are byte for byte what tensorboardX wrote", () => {
  const first = tfRecord(
    encodeEvent({ wallTime: golden.file_wall_time, step: 0, fileVersion: "brain.Event:2" }),
  );
  const records = [first, ...scalars.map((e) => tfRecord(encodeEvent(e)))];
  const ours = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  records.reduce((at, r) => (ours.set(r, at), at + r.length), 0);
  assert.equal(ours.length, reference.length);
  assert.deepEqual(ours, reference);
});

Deno.test("EventFileWriter writes a TensorBoard-named file with the same bytes", () =>
  inTempDir(async (dir) => {
    const writer = await EventFileWriter.open(`${dir}/tb`, golden.file_wall_time);
    for (const e of scalars) writer.add(e);
    await writer.close();
    const [name] = [...Deno.readDirSync(`${dir}/tb`)].map((e) => e.name);
    assert.match(name, /^events\.out\.tfevents\.1700000000\.[\w.-]+\.\d+$/);
    assert.deepEqual(await Deno.readFile(`${dir}/tb/${name}`), reference);
  }));
