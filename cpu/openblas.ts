/**
 * The system's OpenBLAS `cblas_sgemm` through Deno's FFI, for large products where it is
 * present (Debian: `libopenblas0-pthread`). Opening it needs `--allow-ffi`; without the
 * permission or the library the CPU backend keeps to its WebAssembly GEMM.
 *
 * @module
 */

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_corename: { parameters: [], result: "pointer" },
} as const;

/** The CPU flags OpenBLAS's SkylakeX kernels need. */
const AVX512_FLAGS = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"];

/**
 * Debian's OpenBLAS 0.3.21 does not know newer AVX-512 processors (AMD Zen 4 among them) and
 * runs its AVX2 "Haswell" kernels there, at half the speed (measured: 126 vs 235 GFLOP/s at
 * 1024³ on one core). Where Linux reports every flag those kernels need and the user has not
 * chosen a core type, this asks for the SkylakeX kernels (`OPENBLAS_CORETYPE`, read when the
 * library loads). Without permission to read /proc/cpuinfo or set the variable it does nothing.
 */
function preferAvx512Kernels(): void {
  try {
    if (Deno.build.os !== "linux" || Deno.env.get("OPENBLAS_CORETYPE")) return;
    const flags = new Set(
      (Deno.readTextFileSync("/proc/cpuinfo").match(/^flags\s*:(.*)$/m)?.[1] ?? "").split(/\s+/),
    );
    if (AVX512_FLAGS.every((f) => flags.has(f))) Deno.env.set("OPENBLAS_CORETYPE", "SkylakeX");
  } catch {
    // No --allow-read or --allow-env: OpenBLAS picks its kernels itself.
  }
}

/** The default library name, found on the loader's path. */
export const OPENBLAS_DEFAULT = "libopenblas.so.0";

/** An opened OpenBLAS. */
export class OpenBlas {
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  /** The library path or name it was opened from. */
  readonly path: string;
  /** The kernel set OpenBLAS runs, e.g. "SkylakeX" or "Haswell". */
  readonly core: string;

  private constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, path: string) {
    this.#lib = lib;
    this.path = path;
    const name = lib.symbols.openblas_get_corename();
    this.core = name ? Deno.UnsafePointerView.getCString(name) : "unknown";
  }

  /**
   * Opens the library at `path`, or returns why not (missing, or FFI not permitted). Its own
   * threading is turned off: see `cpu/sgemm_parts.ts`.
   */
  static open(path: string): OpenBlas | string {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    preferAvx512Kernels();
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
        ? "no --allow-ffi"
        : `${path} not loadable`;
    }
    lib.symbols.openblas_set_num_threads(1);
    return new OpenBlas(lib, path);
  }

  /**
   * `C = op(A)·op(B)` for row-major `m`×`n` C (leading dimension `ldc`), through
   * `cblas_sgemm`; `k` = 0 gives zeros.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    c: Float32Array,
    ldc: number,
  ): void {
    if (m === 0 || n === 0) return;
    const ta = transA ? TRANS : NO_TRANS, tb = transB ? TRANS : NO_TRANS;
    // A zero leading dimension is an argument error to cblas even when k is 0.
    const sym = this.#lib.symbols;
    sym.cblas_sgemm(
      ROW_MAJOR,
      ta,
      tb,
      m,
      n,
      k,
      1,
      a,
      Math.max(1, lda),
      b,
      Math.max(1, ldb),
      0,
      c,
      ldc,
    );
  }

  /** Releases the library. */
  close(): void {
    this.#lib.close();
  }
}
