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

/** The default library name, found on the loader's path. */
export const OPENBLAS_DEFAULT = "libopenblas.so.0";

/** An opened OpenBLAS. */
export class OpenBlas {
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  /** The library path or name it was opened from. */
  readonly path: string;
  /** The kernel set OpenBLAS runs (`OPENBLAS_CORETYPE` chooses it), e.g. "Haswell". */
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
