/**
 * `Optimizer`: every torch.optim optimizer but L-BFGS as one fused update over the flat
 * parameter buffer — one dispatch per parameter group, or per run of neighbouring
 * parameters when a group's are not all neighbours — with its state in flat buffers
 * beside it, optional gradient clipping first, and PyTorch's parameter groups.
 *
 * Per-step scalars (bias corrections, ASGD's `eta` and `mu`, NAdam's `mu_product`) are
 * computed on the host and passed as uniforms; the ones that carry over between steps are
 * part of the saved state, so a resumed run continues exactly.
 *
 * @module
 */

import type { Backend, OptimizerHyper, Storage } from "../backend.ts";
import { UsageError } from "../errors.ts";
import type { FlatParameters, ParameterSlot } from "../nn/flat_parameters.ts";
import type { StateDict } from "../nn/state_dict.ts";
import type { Parameter } from "../nn/parameter.ts";
import { checkClipping, clipGradNorm, clipGradValue, type GradClipping } from "./clip.ts";
import {
  type OptimizerKind,
  optimizerRecord,
  optimizerScalarNames,
  optimizerStateNames,
} from "./kinds.ts";
import { type GroupRange, groupRanges, wholeRange } from "./param_groups.ts";
import { type GroupSettings, hyperAt, type OptimizerOptions, resolveSettings } from "./settings.ts";
import type { OptimizerRecord, ScalarStateName } from "./optimizer_record.ts";
import type { LossClosure, OptimizerStateSlice, TrainingOptimizer } from "./training_optimizer.ts";

export type { OptimizerOptions } from "./settings.ts";

/** A parameter group: its parameters (objects or `state_dict` names) and its own options. */
export interface ParamGroup extends OptimizerOptions {
  /** The group's parameters (objects or `state_dict` names). */
  params: readonly (string | Parameter)[];
}

/** Options of the whole optimizer: defaults for every group, and gradient clipping. */
export interface OptimizerConfig extends OptimizerOptions {
  /** Clipping applied to all gradients before each update. */
  clip?: GradClipping;
}

/** One parameter group as a state dict holds it: its parameters' names and its settings. */
export interface ParamGroupState extends GroupSettings {
  /** Its parameters' `state_dict` names. */
  readonly params: readonly string[];
}

/**
 * PyTorch's `optimizer.state_dict()`: the state of every parameter by `<parameter>.<state>`
 * (`0.weight.momentum_buffer`, `2.bias.exp_avg_sq`), every group's settings, and the
 * number of steps taken.
 */
export interface OptimizerStateDict {
  /** Per-parameter state tensors. */
  readonly state: StateDict;
  /** The parameter groups in order. */
  readonly paramGroups: readonly ParamGroupState[];
  /** Updates taken. */
  readonly step: number;
}

/** One parameter group of an {@link Optimizer}: its flat ranges, settings and scalar state. */
export class OptimizerGroup {
  /** Scalar state that carries over between steps, by PyTorch's name. */
  readonly scalars: Partial<Record<ScalarStateName, number>> = {};
  /** The learning rate when the group was created (PyTorch's `initial_lr`). */
  readonly initialLr: number;

  /** `ranges`: where the group lives in the flat buffers; `settings`: its resolved arguments. */
  constructor(readonly ranges: readonly GroupRange[], readonly settings: GroupSettings) {
    this.initialLr = settings.lr;
  }

  /** The group's parameters' slots, in flat-buffer order. */
  get slots(): readonly ParameterSlot[] {
    return this.ranges.flatMap((r) => r.slots);
  }

  /** The group's learning rate. */
  get lr(): number {
    return this.settings.lr;
  }
  set lr(value: number) {
    this.settings.lr = value;
  }
}

/**
 * A fused optimizer over a model's flat parameters.
 *
 * @example
 * ```ts
 * import { bindParameters, createCpuBackend, Linear, Optimizer, Rng } from "../../mod.ts";
 * const model = new Linear(2, 1, new Rng(0));
 * const flat = bindParameters(createCpuBackend(), model.namedParameters());
 * const opt = new Optimizer("adam", flat, { lr: 1e-2 }, [
 *   { params: ["weight"], weightDecay: 0.1 },
 *   { params: ["bias"] },
 * ]);
 * opt.step();
 * console.log(opt.paramGroups.map((g) => g.settings.weightDecay)); // [ 0.1, 0 ]
 * ```
 */
export class Optimizer implements TrainingOptimizer {
  /** Number of updates taken so far. */
  stepCount = 0;
  /** Its state checkpoints whole: a run continues exactly. */
  readonly resumable = true;
  /** A non-finite gradient's step can be dropped: one evaluation decides it. */
  readonly canDropStep = true;
  /** The parameter groups, in the order given (one over everything by default). */
  readonly paramGroups: readonly OptimizerGroup[];
  private readonly state: Storage[];
  private readonly zero: Storage;
  private readonly clip: GradClipping;
  /** The optimizer's record: its update kernel and how its scalar state moves. */
  private readonly record: OptimizerRecord;

  /**
   * Resolves and validates every group's settings like PyTorch does (negative lr,
   * nesterov without momentum, …) and allocates the state: zeros, or Adagrad's
   * `initial_accumulator_value`.
   */
  constructor(
    readonly kind: OptimizerKind,
    readonly flat: FlatParameters,
    options: OptimizerConfig = {},
    groups?: readonly ParamGroup[],
  ) {
    const ranges = groups ? groupRanges(flat, groups.map((g) => g.params)) : [[wholeRange(flat)]];
    this.paramGroups = ranges.map((own, i) =>
      new OptimizerGroup(own, resolveSettings(kind, options, groups?.[i] ?? {}))
    );
    this.record = optimizerRecord(kind);
    this.clip = options.clip ?? {};
    checkClipping(this.clip);
    const b = flat.backend;
    this.state = optimizerStateNames(kind).map((name) => {
      if (name !== "sum") return b.zeros(flat.size, true);
      const host = new Float32Array(flat.size);
      for (const g of this.paramGroups) {
        for (const s of g.slots) {
          host.fill(g.settings.initialAccumulatorValue, s.offset, s.offset + s.size);
        }
      }
      return b.upload(host, true);
    });
    this.zero = b.zeros(flat.size, true);
  }

  /**
   * The learning rate of the first group. Setting it sets the first group's and moves
   * every other group's in proportion to their initial lrs, so a scheduler that scales
   * the lr scales each group as PyTorch's does; for a schedule of its own, give a group
   * its own scheduler (`new StepLR(opt.paramGroups[1], …)`).
   */
  get lr(): number {
    return this.paramGroups[0].lr;
  }
  set lr(value: number) {
    const base = this.paramGroups[0].initialLr;
    this.paramGroups.forEach((g, i) => {
      g.lr = i === 0 || base === 0 ? value : value * (g.initialLr / base);
    });
  }

  /**
   * The momentum that a cycling scheduler drives (OneCycleLR): SGD's and RMSprop's
   * `momentum`, or β₁ of the Adam family; undefined for the others. Setting it sets
   * every group's.
   */
  get momentum(): number | undefined {
    const key = this.record.cycledMomentum;
    return key && this.paramGroups[0].settings[key];
  }
  set momentum(value: number | undefined) {
    const key = this.record.cycledMomentum;
    if (!key || value === undefined) return;
    for (const g of this.paramGroups) g.settings[key] = value;
  }

  /** Sets every gradient to zero (PyTorch's `zero_grad(set_to_none=False)`). */
  zeroGrad(): void {
    this.flat.backend.copy(this.flat.grads, this.zero);
  }

  /** Clips the gradients if configured, then applies one update to every group. */
  step(): void;
  /** Evaluates `closure` (the loss and its gradients), then takes the step. */
  step(closure: LossClosure): Promise<void>;
  step(closure?: LossClosure): void | Promise<void> {
    if (closure) return closure().then((loss) => loss === null ? undefined : this.step());
    this.stepCount++;
    if (this.clip.maxNorm !== undefined) {
      clipGradNorm(this.flat, this.clip.maxNorm, this.clip.normType ?? 2);
    }
    if (this.clip.value !== undefined) clipGradValue(this.flat, this.clip.value);
    for (const group of this.paramGroups) {
      const hyper = this.stepHyper(group);
      if (this.record.rowWise) {
        // Rows differ in width between parameters, so each parameter is one dispatch.
        for (const s of group.slots) {
          const rowSize = s.shape.length > 1 ? s.size / s.shape[0] : 1;
          this.update(s.offset, s.size, { ...hyper, rowSize });
        }
      } else {
        for (const range of group.ranges) this.update(range.offset, range.size, hyper);
      }
      this.record.scalarState?.after?.(hyper, group.scalars, group.settings);
    }
  }

  /** The state per parameter, e.g. `0.weight.momentum_buffer`, read back to the host. */
  async stateSlices(): Promise<OptimizerStateSlice[]> {
    const names = optimizerStateNames(this.kind);
    const out: OptimizerStateSlice[] = [];
    for (let k = 0; k < names.length; k++) {
      const all = await this.flat.backend.read(this.state[k]);
      for (const g of this.paramGroups) {
        for (const s of g.slots) {
          out.push({
            name: `${s.name}.${names[k]}`,
            shape: s.shape,
            data: all.slice(s.offset, s.offset + s.size),
          });
        }
      }
    }
    for (const g of this.paramGroups) {
      for (const name of optimizerScalarNames(this.kind)) {
        const value = g.scalars[name];
        if (value === undefined) continue;
        for (const s of g.slots) {
          out.push({ name: `${s.name}.${name}`, shape: [], data: Float32Array.of(value) });
        }
      }
    }
    return out;
  }

  /** The names and shapes {@link Optimizer.stateSlices} gives after `step` updates. */
  stateLayout(step: number): { name: string; shape: readonly number[] }[] {
    const names = optimizerStateNames(this.kind);
    const scalars = step > 0 ? optimizerScalarNames(this.kind) : [];
    return this.paramGroups.flatMap((g) => g.slots).flatMap((s) => [
      ...names.map((k) => ({ name: `${s.name}.${k}`, shape: s.shape })),
      ...scalars.map((k) => ({ name: `${s.name}.${k}`, shape: [] })),
    ]);
  }

  /** Restores state that {@link Optimizer.stateSlices} produced, and the step count. */
  loadState(slices: ReadonlyMap<string, Float32Array>, stepCount: number): void {
    const names = optimizerStateNames(this.kind);
    const backend: Backend = this.flat.backend;
    const get = (name: string, size: number): Float32Array => {
      const data = slices.get(name);
      if (!data || data.length !== size) {
        throw new UsageError(
          "resume",
          `optimizer state ${name} is missing or has the wrong size`,
        );
      }
      return data;
    };
    for (let k = 0; k < names.length; k++) {
      const host = new Float32Array(this.flat.size);
      for (const g of this.paramGroups) {
        for (const s of g.slots) host.set(get(`${s.name}.${names[k]}`, s.size), s.offset);
      }
      backend.write(this.state[k], host);
    }
    for (const g of this.paramGroups) {
      for (const name of optimizerScalarNames(this.kind)) {
        if (stepCount > 0) g.scalars[name] = get(`${g.slots[0].name}.${name}`, 1)[0];
        else delete g.scalars[name];
      }
    }
    this.stepCount = stepCount;
  }

  /** Its state and group settings, read back to the host (PyTorch's `state_dict()`). */
  async stateDict(): Promise<OptimizerStateDict> {
    const slices = await this.stateSlices();
    return {
      state: Object.fromEntries(slices.map((s) => [s.name, { shape: s.shape, data: s.data }])),
      paramGroups: this.paramGroups.map((g) => ({
        ...g.settings,
        params: g.slots.map((s) => s.name),
      })),
      step: this.stepCount,
    };
  }

  /**
   * Restores what {@link Optimizer.stateDict} gave: the groups must hold the same
   * parameters; their settings (lr included) and every state tensor are loaded.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const names = (groups: readonly { params: readonly string[] }[]) =>
      JSON.stringify(groups.map((g) => g.params));
    const mine = this.paramGroups.map((g) => ({ params: g.slots.map((s) => s.name) }));
    if (names(dict.paramGroups) !== names(mine)) {
      throw new UsageError(
        "paramGroups",
        `expected groups of parameters ${names(mine)}, got ${names(dict.paramGroups)}`,
      );
    }
    this.loadState(
      new Map(Object.entries(dict.state).map(([name, t]) => [name, t.data])),
      dict.step,
    );
    dict.paramGroups.forEach(({ params: _, ...settings }, i) => {
      Object.assign(this.paramGroups[i].settings, settings);
    });
  }

  /** One fused update of the flat range `[offset, offset + size)`. */
  private update(offset: number, size: number, hyper: OptimizerHyper): void {
    const { backend, params, grads } = this.flat;
    const view = (s: Storage) => backend.view(s, offset, size);
    backend.optimizerStep({
      kernel: this.record.kernel,
      params: view(params),
      grads: view(grads),
      state: this.state.map(view),
      hyper,
    });
  }

  /** This update's hyper-parameters for `group`, with its scalar state (set up at step 1). */
  private stepHyper(group: OptimizerGroup): OptimizerHyper {
    const hyper = hyperAt(group.settings, this.stepCount);
    this.record.scalarState?.before(hyper, group.scalars, group.settings);
    return hyper;
  }
}
