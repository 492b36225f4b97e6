/**
 * The optimizers that run as one fused update over the flat parameter buffer, and the
 * names of the state buffers each keeps beside it (PyTorch's `state_dict` names).
 *
 * @module
 */

/** Optimizers with a fused update kernel (every optimizer but L-BFGS). */
export type OptimizerKind =
  | "sgd"
  | "asgd"
  | "adagrad"
  | "adadelta"
  | "rmsprop"
  | "adam"
  | "adamw"
  | "adamax"
  | "nadam"
  | "radam"
  | "rprop"
  | "sparse-adam";

const stateNames: Record<OptimizerKind, readonly string[]> = {
  sgd: ["momentum_buffer"],
  asgd: ["ax"],
  adagrad: ["sum"],
  adadelta: ["square_avg", "acc_delta"],
  rmsprop: ["square_avg", "momentum_buffer", "grad_avg"],
  adam: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
  adamw: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
  adamax: ["exp_avg", "exp_inf"],
  nadam: ["exp_avg", "exp_avg_sq"],
  radam: ["exp_avg", "exp_avg_sq"],
  rprop: ["prev", "step_size"],
  "sparse-adam": ["exp_avg", "exp_avg_sq"],
};

/** Every fused optimizer kind. */
export const optimizerKinds = Object.keys(stateNames) as readonly OptimizerKind[];

/** Names of the per-parameter state buffers of `kind`, in the order backends receive them. */
export function optimizerStateNames(kind: OptimizerKind): readonly string[] {
  return stateNames[kind];
}

/**
 * Names of the scalar state that the host keeps per parameter group of `kind` and passes
 * to each update as a uniform (ASGD's `eta` and `mu`, NAdam's `mu_product`).
 */
export function optimizerScalarNames(kind: OptimizerKind): readonly ScalarStateName[] {
  return kind === "asgd" ? ["eta", "mu"] : kind === "nadam" ? ["mu_product"] : [];
}

/** A scalar state entry, by its PyTorch `state_dict` name. */
export type ScalarStateName = "eta" | "mu" | "mu_product";
