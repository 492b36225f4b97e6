/**
 * The stated bound on a model's size: 2^26 (about 67 million) parameters, 256 MiB as
 * float32, so that a model with its gradients and the largest optimizer state (two more
 * copies) stays near a gigabyte and its checkpoint within the input-file limit. A larger
 * MLP, or a larger single layer of a stack, is refused from its sizes before anything is
 * allocated.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The most parameters a model may have. */
export const MAX_PARAMETERS = 2 ** 26;

/**
 * Throws a {@link UsageError} for the `model` field when `what` (a model or one of its
 * layers) would have more than {@link MAX_PARAMETERS} parameters.
 *
 * @example
 * ```ts
 * import { requireWithinCap } from "./parameter_cap.ts";
 * requireWithinCap(784 * 128 + 128, "linear(128)"); // fine
 * ```
 */
export function requireWithinCap(count: number, what: string): void {
  if (count > MAX_PARAMETERS) {
    throw new UsageError(
      "model",
      `${what} has ${count.toLocaleString("en")} parameters, more than the limit of ` +
        `${MAX_PARAMETERS.toLocaleString("en")}`,
    );
  }
}

/**
 * {@link requireWithinCap} for an MLP of layer `sizes` (input first): its weights and biases.
 *
 * @example
 * ```ts
 * import { requireMlpWithinCap } from "./parameter_cap.ts";
 * requireMlpWithinCap([784, 128, 10]); // 101,770 parameters: fine
 * ```
 */
export function requireMlpWithinCap(sizes: readonly number[]): void {
  let count = 0;
  for (let i = 1; i < sizes.length; i++) count += sizes[i - 1] * sizes[i] + sizes[i];
  requireWithinCap(count, sizes.join("-"));
}
