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
  name: string;
  shape: number[];
  data: Float32Array;
}
