import assert from "node:assert/strict";
import { DataFormatError } from "../../../core/errors.ts";
import { parseIdx, readIdxFile, readIdxPair } from "../../../core/data/idx.ts";

function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function writePair(dir: string, images: Uint8Array, labels: Uint8Array, gz: boolean) {
  const ext = gz ? ".gz" : "";
  await Deno.writeFile(`${dir}/images${ext}`, gz ? await gzip(images) : images);
  await Deno.writeFile(`${dir}/labels${ext}`, gz ? await gzip(labels) : labels);
  return [`${dir}/images${ext}`, `${dir}/labels${ext}`] as const;
}

function rejects(fn: () => unknown, file: string, pattern: RegExp) {
  return assert.rejects(async () => await fn(), (e: unknown) => {
    assert.ok(e instanceof DataFormatError, `expected DataFormatError, got ${e}`);
    assert.equal(e.exitCode, 2);
    assert.ok(e.message.startsWith(file), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseIdx decodes dimensions and data", () => {
  const r = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]), "f");
  assert.deepEqual(r.dims, [2, 3]);
  assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6]);
});

for (const gz of [false, true]) {
  Deno.test(`readIdxPair reads ${gz ? "gzip" : "raw"} images and labels`, async () => {
    const dir = await Deno.makeTempDir();
    const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
    const [im, lb] = await writePair(dir, idx([3, 2, 2], pixels), idx([3], [7, 0, 9]), gz);
    const ds = await readIdxPair(im, lb);
    assert.equal(ds.count, 3);
    assert.deepEqual(ds.sampleShape, [1, 2, 2]);
    assert.deepEqual([...ds.labels], [7, 0, 9]);
    assert.equal(ds.images[5], Math.fround(100 / 255));
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("IDX errors name the file and what was expected", async () => {
  const dir = await Deno.makeTempDir();
  const good = idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  const f = `${dir}/x`;
  await Deno.writeFile(f, good.subarray(0, good.length - 3));
  await rejects(() => readIdxFile(f), f, /size mismatch: 21 bytes, expected 24 for dimensions \[2,2,2\]/);
  await Deno.writeFile(f, new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]));
  await rejects(() => readIdxFile(f), f, /not an IDX file/);
  await Deno.writeFile(f, idx([1], [1], 0x0d));
  await rejects(() => readIdxFile(f), f, /element type 0x0d/);
  await Deno.writeFile(f, new Uint8Array([0, 0, 8, 3, 0]));
  await rejects(() => readIdxFile(f), f, /truncated IDX header/);
  await Deno.writeFile(f, new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
  await rejects(() => readIdxFile(f), f, /corrupt gzip/);
  await rejects(() => readIdxFile(`${dir}/missing`), `${dir}/missing`, /cannot read/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readIdxPair rejects mismatched counts, bad ranks and labels out of range", async () => {
  const dir = await Deno.makeTempDir();
  const images = idx([2, 1, 1], [0, 255]);
  let [im, lb] = await writePair(dir, images, idx([3], [1, 2, 3]), false);
  await rejects(() => readIdxPair(im, lb), lb, /3 labels but .* has 2 images/);
  [im, lb] = await writePair(dir, images, idx([2], [1, 10]), false);
  await rejects(
    () => readIdxPair(im, lb),
    lb,
    /label 10 at index 1 is out of range, expected 0\.\.9/,
  );
  [im, lb] = await writePair(dir, idx([2], [0, 1]), idx([2], [1, 1]), false);
  await rejects(() => readIdxPair(im, lb), im, /expected 3 dimensions/);
  await Deno.remove(dir, { recursive: true });
});
