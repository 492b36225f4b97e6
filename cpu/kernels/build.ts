/**
 * Builds the WebAssembly kernels from the C sources beside this file with Debian's clang 14,
 * wasm-ld and wabt, and records a hash of the sources so that a machine without those tools
 * can still check that the committed binaries match them (tests/cpu/wasm_build_test.ts).
 *
 * Two binaries come from one source: `kernels_relaxed.wasm` uses `f32x4.relaxed_madd`, and
 * `kernels_simd.wasm` is plain SIMD128 for engines without relaxed SIMD. clang 14 only knows
 * a pre-standard opcode for the fused multiply-add, so the relaxed build calls a placeholder
 * import, and this script rewrites each call into the standard instruction in the text form.
 *
 * Run: `deno run --allow-read --allow-write --allow-run cpu/kernels/build.ts`
 *
 * @module
 */

/** The C sources, in link order. */
export const KERNEL_SOURCES = [
  "gemm.c",
  "conv.c",
  "norm.c",
  "elementwise.c",
  "optimizer.c",
  "copy.c",
  "peak.c",
  "simd.h",
] as const;

/** The functions the binaries export. */
export const KERNEL_EXPORTS = [
  "gemm_thread",
  "gemm_work_floats",
  "gemm_job_bytes",
  "im2col_thread",
  "col2im_thread",
  "window_job_bytes",
  "batch_norm_thread",
  "batch_norm_backward_thread",
  "norm_job_bytes",
  "elementwise_thread",
  "elementwise_job_bytes",
  "all_finite",
  "bias_act",
  "relu_grad_bias",
  "gather_rows",
  "copy_floats",
  "update_thread",
  "update_job_bytes",
  "simd_peak",
  "__heap_base",
] as const;

/** The two builds: file name and whether it uses relaxed SIMD. */
export const KERNEL_BUILDS = [
  { file: "kernels_relaxed.wasm", relaxed: true },
  { file: "kernels_simd.wasm", relaxed: false },
] as const;

/** Largest linear memory the kernels may grow to, in bytes (2 GiB keeps pointers positive). */
export const MAX_MEMORY_BYTES = 2 ** 31;

const here = new URL(".", import.meta.url);

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** SHA-256 of the kernel sources (each file's name, then its bytes), as hex. */
export async function sourceHash(dir: URL = here): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const name of KERNEL_SOURCES) {
    parts.push(new TextEncoder().encode(`${name}\n`), await Deno.readFile(new URL(name, dir)));
  }
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), at += p.length;
  return hex(await crypto.subtle.digest("SHA-256", all));
}

/** SHA-256 of bytes, as hex. */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compiles and links one build into `outFile`, using `tmp` for intermediate files. */
async function buildOne(relaxed: boolean, outFile: string, tmp: string): Promise<void> {
  const cflags = [
    "--target=wasm32",
    "-O3",
    "-nostdlib",
    "-msimd128",
    "-matomics",
    "-mbulk-memory",
    "-ffp-contract=off",
    ...(relaxed ? ["-mrelaxed-simd", "-DRELAXED"] : []),
  ];
  const objects: string[] = [];
  for (const src of KERNEL_SOURCES.filter((s) => s.endsWith(".c"))) {
    const obj = `${tmp}/${src}.o`;
    await run("clang", [...cflags, "-c", new URL(src, here).pathname, "-o", obj]);
    objects.push(obj);
  }
  const linked = relaxed ? `${tmp}/linked.wasm` : outFile;
  await run("wasm-ld", [
    "--no-entry",
    "--import-memory",
    "--shared-memory",
    `--max-memory=${MAX_MEMORY_BYTES}`,
    "--allow-undefined",
    ...KERNEL_EXPORTS.map((e) => `--export=${e}`),
    "-o",
    linked,
    ...objects,
  ]);
  if (!relaxed) return;
  const wat = await run("wasm2wat", ["--enable-threads", linked]);
  const rewritten = wat
    .split("\n")
    .filter((line) => !line.includes('(import "env" "relaxed_madd"'))
    .map((line) => line.replace(/call \$relaxed_madd\b/, "f32x4.relaxed_madd"))
    .join("\n");
  if (rewritten.includes("relaxed_madd") === false || /call \$relaxed_madd/.test(rewritten)) {
    throw new Error("relaxed build: the placeholder calls were not rewritten");
  }
  await Deno.writeTextFile(`${tmp}/relaxed.wat`, rewritten);
  await run("wat2wasm", [
    "--enable-threads",
    "--enable-relaxed-simd",
    `${tmp}/relaxed.wat`,
    "-o",
    outFile,
  ]);
}

/** Source hash and binary hashes, as recorded in `kernels.json`. */
export interface KernelRecord {
  sourceSha256: string;
  binaries: Record<string, string>;
}

/** Builds both binaries into `outDir` and returns their record (writes nothing else). */
export async function buildKernels(outDir: string): Promise<KernelRecord> {
  const tmp = await Deno.makeTempDir({ prefix: "gradmesh-wasm-" });
  try {
    const binaries: Record<string, string> = {};
    for (const b of KERNEL_BUILDS) {
      const out = `${outDir}/${b.file}`;
      await buildOne(b.relaxed, out, tmp);
      binaries[b.file] = await sha256(await Deno.readFile(out));
    }
    return { sourceSha256: await sourceHash(), binaries };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  await Deno.writeFile(`${path}.tmp`, data);
  await Deno.rename(`${path}.tmp`, path);
}

if (import.meta.main) {
  const tmpOut = await Deno.makeTempDir({ prefix: "gradmesh-wasm-out-" });
  try {
    const record = await buildKernels(tmpOut);
    for (const b of KERNEL_BUILDS) {
      await writeAtomic(new URL(b.file, here).pathname, await Deno.readFile(`${tmpOut}/${b.file}`));
    }
    const json = new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n");
    await writeAtomic(new URL("kernels.json", here).pathname, json);
    console.log(JSON.stringify(record));
  } finally {
    await Deno.remove(tmpOut, { recursive: true });
  }
}
