import assert from "node:assert/strict";
import {
  removeStaleTemps,
  writeFileAtomic,
  writeTextAtomic,
} from "../../../core/checkpoint/atomic.ts";
import { inTempDir } from "../../temp_dir.ts";

async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("writeFileAtomic creates and replaces a file, leaving no temp file", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
    await writeFileAtomic(path, big);
    assert.deepEqual(await Deno.readFile(path), big);
    await writeFileAtomic(path, new Uint8Array(0));
    assert.equal((await Deno.stat(path)).size, 0);
    assert.deepEqual(await entries(dir), ["ckpt.safetensors"]);
  }));

Deno.test("writeTextAtomic writes UTF-8 text", () =>
  inTempDir(async (dir) => {
    await writeTextAtomic(`${dir}/r.svg`, "<svg>naïve</svg>\n");
    assert.equal(await Deno.readTextFile(`${dir}/r.svg`), "<svg>naïve</svg>\n");
  }));

Deno.test("writeFileAtomic works with a path relative to the working directory", () =>
  inTempDir(async (dir) => {
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      await writeTextAtomic("plain.txt", "x");
      assert.deepEqual(await entries("."), ["plain.txt"]);
    } finally {
      Deno.chdir(cwd);
    }
  }));

Deno.test("a write that fails midway leaves the previous file intact and no temp file", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/ckpt.safetensors`;
    await writeTextAtomic(path, "previous");
    const failing = async (file: Deno.FsFile, bytes: Uint8Array) => {
      await file.write(bytes.subarray(0, 2));
      throw new Error("disk full");
    };
    await assert.rejects(
      writeFileAtomic(path, new TextEncoder().encode("replacement"), failing),
      /disk full/,
    );
    assert.equal(await Deno.readTextFile(path), "previous");
    assert.deepEqual(await entries(dir), ["ckpt.safetensors"]);
  }));

Deno.test("a failing rename leaves the target untouched and no temp file", () =>
  inTempDir(async (dir) => {
    const target = `${dir}/taken`;
    await Deno.mkdir(target);
    await writeTextAtomic(`${target}/inside`, "keep");
    await assert.rejects(writeTextAtomic(target, "x"));
    assert.equal(await Deno.readTextFile(`${target}/inside`), "keep");
    assert.deepEqual(await entries(dir), ["taken"]);
  }));

Deno.test("writing into a missing directory fails without creating anything", () =>
  inTempDir(async (dir) => {
    await assert.rejects(writeTextAtomic(`${dir}/missing/out.txt`, "x"), Deno.errors.NotFound);
    assert.deepEqual(await entries(dir), []);
  }));

Deno.test("removeStaleTemps removes only the temp files an interrupted write leaves", () =>
  inTempDir(async (dir) => {
    const names = [
      ".checkpoint.safetensors.0a1b2c3d.tmp",
      ".metrics.jsonl.ffffffff.tmp",
      "checkpoint.safetensors",
      "notes.tmp",
      ".x.0a1b2c3.tmp",
    ];
    for (const name of names) await Deno.writeTextFile(`${dir}/${name}`, "x");
    assert.deepEqual(await removeStaleTemps(dir), names.slice(0, 2).sort());
    assert.deepEqual(await entries(dir), names.slice(2).sort());
  }));
