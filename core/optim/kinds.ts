/**
 * The optimizers that run as one fused update over the flat parameter buffer, and the
 * names of the state buffers each keeps beside it (PyTorch's `state_dict` names).
 *
 * @module
 */

/** Optimizers with a fused update kernel. */
export type OptimizerKind = "sgd" | "adam" | "adamw";

/** Names of the per-parameter state buffers of `kind`, in the order backends receive them. */
export function optimizerStateNames(kind: OptimizerKind): readonly string[] {
  switch (kind) {
    case "sgd":
      return ["momentum_buffer"];
    case "adam":
    case "adamw":
      return ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];
  }
}
