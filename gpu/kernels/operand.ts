/**
 * How a kernel reads an input: straight from one buffer, or as the gradient through an
 * activation, `act'(y)·g`, computed from the activation's output `y` and upstream gradient
 * `g` as it is loaded. The second is how the linear layer's backward pass avoids writing
 * the pre-activation gradient to memory before its two products and the bias sum.
 *
 * @module
 */

import type { FusedActivation } from "../../core/backend.ts";
import type { BinaryOpName } from "../../core/elementwise.ts";
import { binaryWgsl } from "./elementwise.ts";
import type { Access } from "./kernel.ts";

/** An input of a kernel: the bindings it occupies and WGSL defining `load_<name>(i)`. */
export interface Operand {
  /** Part of the kernel cache key. */
  readonly key: string;
  readonly bindings: readonly (readonly [string, Access])[];
  readonly code: string;
}

/** `load_<name>(i)` reads binding `<name>`. */
export function plainOperand(name: string): Operand {
  return {
    key: "plain",
    bindings: [[name, "read"]],
    code: `fn load_${name}(i: u32) -> f32 {\n  return ${name}[i];\n}`,
  };
}

const gradientOf: Record<Exclude<FusedActivation, "none">, BinaryOpName> = {
  relu: "relu_grad",
  tanh: "tanh_grad",
  sigmoid: "sigmoid_grad",
};

/**
 * `load_<name>(i)` is the gradient before activation `act` from its output (binding
 * `<name>_y`) and the upstream gradient (binding `<name>_g`); plain `<name>` without one.
 */
export function gradientOperand(name: string, act: FusedActivation): Operand {
  if (act === "none") return plainOperand(name);
  return {
    key: act,
    bindings: [[`${name}_y`, "read"], [`${name}_g`, "read"]],
    code: [
      `fn ${name}_chain(a: f32, b: f32) -> f32 {\n  return ${binaryWgsl[gradientOf[act]]};\n}`,
      `fn load_${name}(i: u32) -> f32 {\n  return ${name}_chain(${name}_y[i], ${name}_g[i]);\n}`,
    ].join("\n"),
  };
}
