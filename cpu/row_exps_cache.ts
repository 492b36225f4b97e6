/**
 * The last logits' {@link RowExps}, handed back while the logits hold the same values: a
 * training step's cross-entropy forward, its gradient and the metric tally all read one batch's
 * logits, and the exponentials are most of their work. Keyed by the values themselves (a copy
 * compared bit for bit, far cheaper than the exponentials), so an array written in
 * place, or another one at the same place, is never mistaken for the last.
 *
 * @module
 */

import { type RowExps, rowExps } from "../core/cpu/row_exps.ts";

/** One set of row exponentials and the logits they were computed from. */
export class RowExpsCache {
  #logits = new Float32Array(0);
  #rows = 0;
  #exps: RowExps = rowExps(this.#logits, 0, 0);

  /** The {@link RowExps} of `[rows, cols]` `logits`: the last ones if the values are the same. */
  of(logits: Float32Array, rows: number, cols: number): RowExps {
    if (rows === this.#rows && this.#same(logits)) return this.#exps;
    if (this.#logits.length !== logits.length || this.#rows !== rows) {
      this.#logits = new Float32Array(logits.length);
      this.#exps = rowExps(logits, rows, cols);
    } else {
      rowExps(logits, rows, cols, this.#exps);
    }
    this.#logits.set(logits);
    this.#rows = rows;
    return this.#exps;
  }

  /** Whether `x` holds the last logits' bits (so -0 never passes for 0). */
  #same(x: Float32Array): boolean {
    const last = this.#logits;
    if (x.length !== last.length) return false;
    const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const b = new Uint32Array(last.buffer, 0, last.length);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}
