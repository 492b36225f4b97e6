/**
 * `Embedding`: a lookup table of `numEmbeddings` rows of `embeddingDim` values
 * (`torch.nn.Embedding`). The forward pass picks rows by index; the backward pass leaves
 * the weight gradient row-sparse — rows that no index picked get exactly zero — which is
 * what SparseAdam (`sparse-adam`) takes as "absent from the sparse gradient".
 *
 * The lookup is a product with a one-hot matrix built on the device, so it reuses the
 * matmul op and its gradient: simple and exact (each output is one weight times 1), at
 * a cost of `indices × numEmbeddings × embeddingDim` — meant for modest vocabularies.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { matmul, reshape } from "../ops.ts";
import type { Rng } from "../rng.ts";
import { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";

/** Options of {@link Embedding}, in PyTorch's names. */
export interface EmbeddingOptions {
  /** A row that stays zero and gets no gradient (PyTorch's `padding_idx`); none by default. */
  paddingIdx?: number | null;
}

/**
 * Maps integer indices (stored as f32) of any shape `[...]` to `[..., embeddingDim]`.
 * An index outside `[0, numEmbeddings)` gives a zero vector.
 *
 * @example
 * ```ts
 * import { Embedding, Rng, bindParameters, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const emb = new Embedding(10, 3, new Rng(0));
 * bindParameters(b, emb.namedParameters());
 * const out = emb.forward(tensor(b, [4, 4, 7], [3]));
 * console.log(out.shape); // [3, 3]
 * ```
 */
export class Embedding extends Module {
  /** The table `[numEmbeddings, embeddingDim]`. */
  readonly weight: Parameter;
  /** Index whose row gets no gradient; null: none. */
  readonly paddingIdx: number | null;

  /** Weight `[numEmbeddings, embeddingDim]` drawn from N(0, 1), the padding row zeroed. */
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    rng: Rng,
    options: EmbeddingOptions = {},
  ) {
    super();
    for (const [name, v] of [["num_embeddings", numEmbeddings], ["embedding_dim", embeddingDim]]) {
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new UsageError(name as string, `expected a positive integer, got ${v}`);
      }
    }
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new UsageError(
          "padding_idx",
          `expected an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${pad}`,
        );
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    const init = new Float32Array(numEmbeddings * embeddingDim);
    for (let i = 0; i < init.length; i++) init[i] = rng.normal();
    if (pad !== null) init.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.weight = this.registerParameter(
      "weight",
      new Parameter([numEmbeddings, embeddingDim], init),
    );
  }

  /** The rows of `indices` (any shape, integer values), with a trailing embedding dim. */
  forward(indices: Tensor): Tensor {
    const b = indices.backend;
    const n = indices.size;
    let idx = indices.storage;
    if (this.paddingIdx !== null) {
      // idx − (idx + 1)·[idx = pad] sends the padding index to −1, which selects nothing.
      const pad = b.affine(b.zeros(1), 0, this.paddingIdx);
      const isPad = b.binary({ op: "eq", a: idx, aShape: [n], b: pad, bShape: [1], outShape: [n] });
      const shifted = b.affine(idx, 1, 1);
      const shift = b.binary({
        op: "mul",
        a: shifted,
        aShape: [n],
        b: isPad,
        bShape: [n],
        outShape: [n],
      });
      idx = b.binary({ op: "sub", a: idx, aShape: [n], b: shift, bShape: [n], outShape: [n] });
    }
    const ones = b.affine(b.zeros(n), 0, 1);
    const oneHot = new Tensor(b, b.scatter(ones, idx, n, this.numEmbeddings), [
      n,
      this.numEmbeddings,
    ]);
    const rows = matmul(oneHot, this.weight.value);
    return reshape(rows, [...indices.shape, this.embeddingDim]);
  }
}
