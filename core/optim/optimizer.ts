/**
 * `Optimizer`: PyTorch's SGD, Adam and AdamW as one fused update over the flat parameter
 * buffer, with their state in flat buffers beside it.
 *
 * @module
 */

import type { Backend, OptimizerHyper, Storage } from "../backend.ts";
import { UsageError } from "../errors.ts";
import type { FlatParameters } from "../nn/flat_parameters.ts";
import { type OptimizerKind, optimizerStateNames } from "./kinds.ts";

/** Optimizer settings in PyTorch's names; omitted fields take PyTorch's defaults. */
export interface OptimizerOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  betas?: readonly [number, number];
  eps?: number;
  amsgrad?: boolean;
}

/** One state tensor of one parameter, named like PyTorch's optimizer `state_dict`. */
export interface OptimizerStateSlice {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A fused optimizer over a model's flat parameters. */
export class Optimizer {
  /** Number of updates taken so far. */
  stepCount = 0;
  private readonly hyper: Omit<OptimizerHyper, "step">;
  private readonly state: Storage[];
  private readonly zero: Storage;

  /**
   * Validates `options` like PyTorch does (negative lr, nesterov without momentum, …) and
   * allocates zeroed state.
   */
  constructor(
    readonly kind: OptimizerKind,
    readonly flat: FlatParameters,
    options: OptimizerOptions = {},
  ) {
    const adam = kind !== "sgd";
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.hyper = {
      lr: options.lr ?? (adam ? 1e-3 : 0.01),
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? (kind === "adamw" ? 1e-2 : 0),
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
      beta1,
      beta2,
      eps: options.eps ?? 1e-8,
      amsgrad: options.amsgrad ?? false,
    };
    validate(this.hyper);
    const b = flat.backend;
    this.state = optimizerStateNames(kind).map(() => b.zeros(flat.size, true));
    this.zero = b.zeros(flat.size, true);
  }

  /** Current learning rate. */
  get lr(): number {
    return this.hyper.lr;
  }
  set lr(value: number) {
    this.hyper.lr = value;
  }

  /** Sets every gradient to zero (PyTorch's `zero_grad(set_to_none=False)`). */
  zeroGrad(): void {
    this.flat.backend.copy(this.flat.grads, this.zero);
  }

  /** Applies one update from the current gradients. */
  step(): void {
    this.stepCount++;
    const { backend, params, grads } = this.flat;
    backend.optimizerStep(this.kind, params, grads, this.state, {
      ...this.hyper,
      step: this.stepCount,
    });
  }

  /** The state per parameter, e.g. `0.weight.momentum_buffer`, read back to the host. */
  async stateSlices(): Promise<OptimizerStateSlice[]> {
    const names = optimizerStateNames(this.kind);
    const out: OptimizerStateSlice[] = [];
    for (let k = 0; k < names.length; k++) {
      const all = await this.flat.backend.read(this.state[k]);
      for (const s of this.flat.slots) {
        out.push({
          name: `${s.name}.${names[k]}`,
          shape: s.shape,
          data: all.slice(s.offset, s.offset + s.size),
        });
      }
    }
    return out;
  }

  /** Restores state that {@link Optimizer.stateSlices} produced, and the step count. */
  loadState(slices: ReadonlyMap<string, Float32Array>, stepCount: number): void {
    const names = optimizerStateNames(this.kind);
    const backend: Backend = this.flat.backend;
    for (let k = 0; k < names.length; k++) {
      const host = new Float32Array(this.flat.size);
      for (const s of this.flat.slots) {
        const name = `${s.name}.${names[k]}`;
        const data = slices.get(name);
        if (!data || data.length !== s.size) {
          throw new UsageError(
            "--resume",
            `optimizer state ${name} is missing or has the wrong size`,
          );
        }
        host.set(data, s.offset);
      }
      backend.write(this.state[k], host);
    }
    this.stepCount = stepCount;
  }
}

function validate(h: Omit<OptimizerHyper, "step">): void {
  const check = (ok: boolean, flag: string, message: string) => {
    if (!ok) throw new UsageError(flag, message);
  };
  check(h.lr >= 0, "--lr", `expected a learning rate >= 0, got ${h.lr}`);
  check(h.momentum >= 0, "--momentum", `expected a momentum >= 0, got ${h.momentum}`);
  check(h.weightDecay >= 0, "--weight-decay", `expected a weight decay >= 0, got ${h.weightDecay}`);
  check(
    !h.nesterov || (h.momentum > 0 && h.dampening === 0),
    "--nesterov",
    "needs momentum > 0 and dampening 0",
  );
  check(
    h.beta1 >= 0 && h.beta1 < 1 && h.beta2 >= 0 && h.beta2 < 1,
    "--betas",
    "expected betas in [0, 1)",
  );
  check(h.eps >= 0, "--eps", `expected eps >= 0, got ${h.eps}`);
}
