import assert from "node:assert/strict";
import { MAX_INPUT_FILE_BYTES, readFileBounded } from "../../../core/bounded_read.ts";
import { loadCheckpoint } from "../../../core/checkpoint/checkpoint.ts";
import { readIdxFile } from "../../../core/data/idx.ts";
import { CheckpointError, DataFormatError } from "../../../core/errors.ts";
import { assertRejectsWith, gzip, idxBytes, isolateMemory, withTempDir } from "./helpers.ts";

/** Gzip of an IDX header declaring `dims` followed by `zeroMiB` MiB of zeros. */
async function gzipBomb(dims: number[], zeroMiB: number): Promise<Uint8Array> {
  const zeros = new Uint8Array(2 ** 20);
  const stream = new ReadableStream<BufferSource>({
    start(c) {
      c.enqueue(idxBytes(dims, []) as Uint8Array<ArrayBuffer>);
      for (let i = 0; i < zeroMiB; i++) c.enqueue(zeros);
      c.close();
    },
  }).pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("a gzip IDX bomb stops at the size its header declares", async () => {
  await withTempDir(async (dir) => {
    // The header declares 60,000 28×28 images (47 MB); the stream holds 256 MiB.
    const bomb = await gzipBomb([60000, 28, 28], 256);
    assert.ok(bomb.length < 2 ** 20, `${bomb.length} bytes of gzip`);
    await Deno.writeFile(`${dir}/images.gz`, bomb);
    const before = isolateMemory();
    await assertRejectsWith(
      () => readIdxFile(`${dir}/images.gz`),
      DataFormatError,
      `${dir}/images.gz`,
      /gzip data decompresses to more than the 47040016 bytes its IDX header declares/,
    );
    // The declared 45 MiB and a piece's output, not the stream's 256 MiB (loose: GC timing).
    const grew = (isolateMemory() - before) / 2 ** 20;
    assert.ok(grew < 128, `memory grew ${grew.toFixed(0)} MiB`);
  });
});

Deno.test("a gzip IDX header declaring more than the input limit is refused before inflating", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/x.gz`, await gzip(idxBytes([2 ** 20, 2 ** 11], [1, 2, 3])));
    await assertRejectsWith(
      () => readIdxFile(`${dir}/x.gz`),
      DataFormatError,
      `${dir}/x.gz`,
      new RegExp(
        `IDX header declares 2147483660 bytes, more than the limit of ${MAX_INPUT_FILE_BYTES}`,
      ),
    );
  });
});

Deno.test("gzip data that is not IDX stops after its first bytes", async () => {
  await withTempDir(async (dir) => {
    const notIdx = new Uint8Array(8 * 2 ** 20).fill(7);
    await Deno.writeFile(`${dir}/x.gz`, await gzip(notIdx));
    await assertRejectsWith(
      () => readIdxFile(`${dir}/x.gz`),
      DataFormatError,
      `${dir}/x.gz`,
      /not an IDX file: magic number starts 0x07 0x07/,
    );
  });
});

Deno.test("devices, pipes and directories are refused as input files before any byte is read", async () => {
  await withTempDir(async (dir) => {
    const fifo = `${dir}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    for (const path of ["/dev/zero", fifo, dir]) {
      await assertRejectsWith(
        () => readIdxFile(path),
        DataFormatError,
        path,
        /cannot read the IDX file: not a regular file/,
      );
      await assertRejectsWith(
        () => loadCheckpoint(path),
        CheckpointError,
        path,
        /cannot read checkpoint: not a regular file/,
      );
    }
  });
});

Deno.test("readFileBounded refuses a file over its bound from the size alone", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/f`, new Uint8Array(100));
    const fail = (m: string) => new DataFormatError(`${dir}/f`, m);
    assert.equal((await readFileBounded(`${dir}/f`, 100, "f", fail)).length, 100);
    await assertRejectsWith(
      () => readFileBounded(`${dir}/f`, 99, "the file", fail),
      DataFormatError,
      `${dir}/f`,
      /cannot read the file: 100 bytes is more than the limit of 99 bytes/,
    );
    await assertRejectsWith(
      () => readFileBounded(`${dir}/none`, 99, "the file", (m) => new DataFormatError("none", m)),
      DataFormatError,
      "none",
      /cannot read the file: no such file/,
    );
  });
});
