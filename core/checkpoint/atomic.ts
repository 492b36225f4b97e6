/**
 * Atomic file replacement: readers of `path` see either the old file or the complete new
 * one, never a torn write, even if the process dies halfway. The bytes go to a temp file
 * in the same directory (so the rename stays on one filesystem), are flushed to disk, and
 * the temp file is renamed over the target.
 *
 * @module
 */

/** Writes every byte of `bytes` to the open `file`. */
export type FileWriter = (file: Deno.FsFile, bytes: Uint8Array) => Promise<void>;

/**
 * Replaces `path` with `bytes` atomically. On any failure the temp file is removed, the
 * previous target is left untouched, and the error is rethrown. `writer` is how the
 * bytes reach the temp file.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * const path = await Deno.makeTempFile();
 * await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
 * console.log((await Deno.readFile(path)).length); // 3
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  writer: FileWriter = writeAll,
): Promise<void> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash < 0 ? "." : path.slice(0, Math.max(slash, 1)); // "/" for a root-level file
  const suffix = crypto.randomUUID().slice(0, 8);
  const temp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${suffix}.tmp`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  try {
    try {
      await writer(file, bytes);
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
  await syncDirectory(dir);
}

/**
 * {@link writeFileAtomic} for UTF-8 text.
 *
 * @example
 * ```ts
 * import { writeTextAtomic } from "./atomic.ts";
 * const path = await Deno.makeTempFile();
 * await writeTextAtomic(path, "hello\n");
 * console.log(await Deno.readTextFile(path)); // "hello\n"
 * ```
 */
export function writeTextAtomic(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, new TextEncoder().encode(text));
}

/** The default {@link FileWriter}: loops until a possibly partial `write` has taken every byte. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await file.write(bytes.subarray(done));
  }
}

/** Names of {@link writeFileAtomic}'s temp files: `.<name>.<8 hex digits>.tmp`. */
const TEMP_NAME = /^\..+\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temp files that writes into `dir` left behind when their process was killed
 * mid-write (none remain after a write that finished or failed); returns their names. Call
 * it only while no other process writes into `dir`.
 *
 * @example
 * ```ts
 * import { removeStaleTemps } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.checkpoint.safetensors.0a1b2c3d.tmp`, "torn");
 * console.log(await removeStaleTemps(dir)); // [ ".checkpoint.safetensors.0a1b2c3d.tmp" ]
 * ```
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !TEMP_NAME.test(entry.name)) continue;
    await Deno.remove(`${dir}/${entry.name}`);
    removed.push(entry.name);
  }
  return removed.sort();
}

/**
 * Makes the rename itself durable. Some platforms (Windows) cannot open a directory for
 * syncing; the rename is still atomic there, only its durability is left to the OS.
 */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(dir, { read: true });
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Same as above: durability of the rename is best effort where unsupported.
  } finally {
    handle.close();
  }
}
