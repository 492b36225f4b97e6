/**
 * Every elementwise activation record (one file each, see `core/activation_kernel.ts`), in
 * catalogue order. Adding an activation is a file beside these and one line here.
 *
 * @module
 */

import type { ActivationKernel } from "../activation_kernel.ts";
import { celu } from "./celu.ts";
import { elu } from "./elu.ts";
import { gelu } from "./gelu.ts";
import { geluTanh } from "./gelu_tanh.ts";
import { hardsigmoid } from "./hardsigmoid.ts";
import { hardswish } from "./hardswish.ts";
import { hardtanh } from "./hardtanh.ts";
import { leakyRelu } from "./leaky_relu.ts";
import { logSigmoid } from "./log_sigmoid.ts";
import { mish } from "./mish.ts";
import { selu } from "./selu.ts";
import { signSte } from "./sign_ste.ts";
import { silu } from "./silu.ts";
import { sin } from "./sin.ts";
import { softplus } from "./softplus.ts";
import { softshrink } from "./softshrink.ts";
import { softsign } from "./softsign.ts";

/** The activation records, in catalogue order. */
export const activationKernels = [
  leakyRelu,
  elu,
  selu,
  celu,
  gelu,
  geluTanh,
  silu,
  mish,
  hardswish,
  hardsigmoid,
  hardtanh,
  logSigmoid,
  softsign,
  softplus,
  sin,
  signSte,
  softshrink,
] as const;

/** The forward kernel name of an activation record. */
export type ActivationOpName = (typeof activationKernels)[number]["op"];

/** `pick` of every record, by its forward kernel name. */
export function byForwardOp<T>(pick: (k: ActivationKernel) => T): Record<ActivationOpName, T> {
  return Object.fromEntries(activationKernels.map((k) => [k.op, pick(k)])) as Record<
    ActivationOpName,
    T
  >;
}

/** `pick` of every record, by its backward (`*_grad`) kernel name. */
export function byGradOp<T>(
  pick: (k: ActivationKernel) => T,
): Record<`${ActivationOpName}_grad`, T> {
  return Object.fromEntries(activationKernels.map((k) => [`${k.op}_grad`, pick(k)])) as Record<
    `${ActivationOpName}_grad`,
    T
  >;
}
