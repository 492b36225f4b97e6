/**
 * `Module`: the base of layers and models, PyTorch-style: named parameters and buffers
 * gathered from children in registration order, host-side extra state, and a
 * training/evaluation mode.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { bindParameters } from "./flat_parameters.ts";
import {
  type LoadStateDictOptions,
  readStateDict,
  type StateDict,
  writeStateDict,
} from "./state_dict.ts";
import type { ModuleBuffer } from "./buffer.ts";
import type { Parameter } from "./parameter.ts";

/** Host-side state of a module beyond its tensors, as JSON numbers (see {@link Module.extraState}). */
export type ExtraState = Record<string, number>;

/** A forward pass that yields its waits on other ranks (see {@link Module.forwardPass}). */
export type ForwardPass = Generator<Promise<unknown>, Tensor, unknown>;

/**
 * Runs `module`'s {@link Module.forwardPass} without waiting: a container's `forward`.
 * Throws a UsageError naming the module when a layer would wait on other ranks.
 */
export function runForward(module: Module, x: Tensor): Tensor {
  const next = module.forwardPass(x).next();
  if (next.done) return next.value;
  next.value.catch(() => {}); // already under way; nothing waits for it
  throw new UsageError(
    module.constructor.name,
    "a layer waits on other ranks in training (SyncBatchNorm): call forwardAsync",
  );
}

/** A layer or model. Subclasses register parameters and children in their constructor. */
export abstract class Module {
  /** Training mode (true) or evaluation mode. */
  training = true;
  private readonly params: [string, Parameter][] = [];
  private readonly buffers: [string, ModuleBuffer][] = [];
  private readonly children: [string, Module][] = [];

  /**
   * Computes the output for input `x`. A container writes its pass once, as
   * {@link Module.forwardPass}, and implements this with {@link runForward}.
   */
  abstract forward(x: Tensor): Tensor;

  /**
   * The forward pass as a generator that yields each wait on other ranks (a batch norm
   * summing its statistics across ranks, SyncBatchNorm) and resumes with its result, so
   * that one pass serves both drivers: {@link Module.forward} (which refuses to wait) and
   * {@link Module.forwardAsync}. Containers run their children's with `yield*`; a layer
   * that never waits keeps this default, its `forward`.
   */
  // deno-lint-ignore require-yield -- a layer that never waits has nothing to yield
  *forwardPass(x: Tensor): ForwardPass {
    return this.forward(x);
  }

  /** {@link Module.forward} for models whose layers may wait on other ranks mid-way. */
  async forwardAsync(x: Tensor): Promise<Tensor> {
    const pass = this.forwardPass(x);
    let next = pass.next();
    while (!next.done) next = pass.next(await next.value);
    return next.value;
  }

  /** Registers a parameter under `name` (PyTorch's `state_dict` key part). */
  protected registerParameter(name: string, p: Parameter): Parameter {
    this.params.push([name, p]);
    return p;
  }

  /** Registers a persistent non-learnable buffer under `name` (PyTorch's `register_buffer`). */
  protected registerBuffer(name: string, b: ModuleBuffer): ModuleBuffer {
    this.buffers.push([name, b]);
    return b;
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

  /** All buffers with dotted names like `1.running_mean`, in registration order. */
  namedBuffers(prefix = ""): [string, ModuleBuffer][] {
    const own = this.buffers.map(([n, b]): [string, ModuleBuffer] => [prefix + n, b]);
    return own.concat(...this.children.map(([n, m]) => m.namedBuffers(`${prefix}${n}.`)));
  }

  /**
   * Host-side state to save beside the tensors (PyTorch's `get_extra_state`), e.g. where a
   * dropout's random stream stands; null (the default) when the module has none.
   */
  extraState(): ExtraState | null {
    return null;
  }

  /** Restores what {@link Module.extraState} returned (PyTorch's `set_extra_state`). */
  loadExtraState(_state: ExtraState): void {}

  /** This module and every descendant with its dotted path ("" for this one), like `named_modules()`. */
  namedModules(prefix = ""): [string, Module][] {
    const mine: [string, Module][] = [[prefix, this]];
    const dot = prefix ? `${prefix}.` : "";
    return mine.concat(...this.children.map(([n, m]) => m.namedModules(dot + n)));
  }

  /**
   * This module and its descendants that are instances of `kind`, in registration order
   * (e.g. every batch norm layer of a model).
   */
  modulesOfType<M extends Module>(kind: abstract new (...args: never[]) => M): M[] {
    return this.namedModules().map(([, m]) => m).filter((m): m is M => m instanceof kind);
  }

  /** All parameters in registration order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Puts the parameters on `backend` (PyTorch's `model.to(device)`): one flat parameter
   * buffer and one flat gradient buffer, each parameter a view into them, initialised with
   * the parameters' values. Call it once, before building an optimizer; a model already on
   * `backend` is left as it is.
   */
  to(backend: Backend): this {
    const named = this.namedParameters();
    const bound = named.filter(([, p]) => p.isBound);
    if (bound.length === 0) bindParameters(backend, named);
    else if (bound.length < named.length || bound.some(([, p]) => p.value.backend !== backend)) {
      throw new UsageError(
        "to",
        `${this.constructor.name} is already on the ${bound[0][1].value.backend.name} backend`,
      );
    }
    return this;
  }

  /**
   * Every parameter and buffer by PyTorch's key (`0.weight`, `1.running_mean`), read back
   * to the host (PyTorch's `state_dict()`).
   */
  stateDict(): Promise<StateDict> {
    return readStateDict(this.namedParameters(), this.namedBuffers());
  }

  /**
   * Loads what {@link Module.stateDict} gave (PyTorch's `load_state_dict`): every key must
   * be there with its shape, and with `strict` (the default) no other key; a mismatch throws
   * a UsageError naming the key and changes nothing.
   */
  loadStateDict(dict: StateDict, options?: LoadStateDictOptions): void {
    writeStateDict(this.namedParameters(), this.namedBuffers(), dict, options);
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
