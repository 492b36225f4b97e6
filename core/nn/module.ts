/**
 * `Module`: the base of layers and models, PyTorch-style: named parameters gathered
 * from children in registration order, and a training/evaluation mode.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import type { Parameter } from "./parameter.ts";

/** A layer or model. Subclasses register parameters and children in their constructor. */
export abstract class Module {
  /** Training mode (true) or evaluation mode. */
  training = true;
  private readonly params: [string, Parameter][] = [];
  private readonly children: [string, Module][] = [];

  /** Computes the output for input `x`. */
  abstract forward(x: Tensor): Tensor;

  /** Registers a parameter under `name` (PyTorch's `state_dict` key part). */
  protected registerParameter(name: string, p: Parameter): Parameter {
    this.params.push([name, p]);
    return p;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.push([name, m]);
    return m;
  }

  /** All parameters with dotted names like `0.weight`, in registration order. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const own = this.params.map(([n, p]): [string, Parameter] => [prefix + n, p]);
    return own.concat(...this.children.map(([n, m]) => m.namedParameters(`${prefix}${n}.`)));
  }

  /** All parameters in registration order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets training mode on this module and its children. */
  train(mode = true): this {
    this.training = mode;
    for (const [, m] of this.children) m.train(mode);
    return this;
  }

  /** Sets evaluation mode (like `model.eval()`). */
  eval(): this {
    return this.train(false);
  }
}
