/**
 * Reading a whole input file with a stated bound: only regular files are read (a device
 * such as `/dev/zero`, a pipe or a directory is refused before any byte is read), a file
 * larger than the bound is refused from its size alone, and at most the size `stat`
 * reported is read, so a file that grows while it is read cannot grow the result.
 *
 * @module
 */

import type { GradmeshError } from "./errors.ts";

/** Builds the typed error a reader reports, from a one-line message. */
export type ReadFailure = (message: string) => GradmeshError;

/**
 * Reads the regular file `path` if it holds at most `maxBytes` bytes. Every failure —
 * missing, not a regular file, too large, an I/O error — is `fail(message)` with
 * `message` starting "cannot read `what`: ".
 *
 * @example
 * ```ts
 * import { readFileBounded } from "./bounded_read.ts";
 * import { DataFormatError } from "./errors.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array(3));
 * const bytes = await readFileBounded(path, 1024, "the data file", (m) => new DataFormatError(path, m));
 * console.log(bytes.length); // 3
 * ```
 */
export async function readFileBounded(
  path: string,
  maxBytes: number,
  what: string,
  fail: ReadFailure,
): Promise<Uint8Array> {
  const cannot = (reason: string) => fail(`cannot read ${what}: ${reason}`);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw cannot(e instanceof Deno.errors.NotFound ? "no such file" : firstLine(e));
  }
  // Checked before opening: opening a pipe blocks until a writer appears.
  if (!info.isFile) throw cannot("not a regular file (a device, pipe or directory)");
  if (info.size > maxBytes) {
    throw cannot(`${info.size} bytes is more than the limit of ${maxBytes} bytes`);
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw cannot(firstLine(e));
  }
  try {
    const bytes = new Uint8Array(info.size);
    let done = 0;
    while (done < bytes.length) {
      const n = await file.read(bytes.subarray(done));
      if (n === null) break;
      done += n;
    }
    return bytes.subarray(0, done);
  } catch (e) {
    throw cannot(firstLine(e));
  } finally {
    file.close();
  }
}

/** The first line of an error's message: system errors can run over several. */
export function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0];
}

/** 1 GiB: the largest input file (a dataset part or a checkpoint) read into memory. */
export const MAX_INPUT_FILE_BYTES = 2 ** 30;
