/**
 * `NamedTensor`: one tensor as it is stored in a checkpoint file.
 *
 * @module
 */

/**
 * A tensor's name (PyTorch `state_dict` style, e.g. `"0.weight"`), shape and row-major
 * float32 values (`data.length` is the product of `shape`, 1 for a scalar `[]`).
 */
export interface NamedTensor {
  /** PyTorch `state_dict` name. */
  name: string;
  /** Shape (`[]` for a scalar). */
  shape: number[];
  /** Row-major values. */
  data: Float32Array;
}
