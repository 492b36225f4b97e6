/**
 * `LBFGS`: PyTorch 1.13's `torch.optim.LBFGS` over the flat parameter and gradient
 * buffers. Vectors (the direction, the gradient copies, the curvature history) live on
 * the backend; each step re-evaluates the model through a closure many times.
 *
 * Unlike the fused optimizers, L-BFGS is driven by scalars: the loss that each closure
 * call returns, and dot products and maxima whose values decide the two-loop recursion,
 * the line search and the stopping tests. Reading those back to the host (one small read
 * each) is inherent to the algorithm — PyTorch synchronises on the same values — so
 * L-BFGS belongs to full-batch problems, not to the per-step training loop.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { flatOf, type FlatParameters } from "../nn/flat_parameters.ts";
import type { Parameter } from "../nn/parameter.ts";
import type { Tensor } from "../tensor.ts";
import { type LinePoint, strongWolfe } from "./strong_wolfe.ts";
import type { OptimizerStateSlice, TrainingOptimizer } from "./training_optimizer.ts";

/** L-BFGS settings in PyTorch's names (camelCase); omitted fields take its defaults. */
export interface LbfgsOptions {
  /** Learning rate. Default 1. */
  lr?: number;
  /** Iterations per step. Default 20. */
  maxIter?: number;
  /** Default `maxIter·5/4` (rounded down). */
  maxEval?: number | null;
  /** Stop when every |gradient| is at most this. Default 1e-7. */
  toleranceGrad?: number;
  /** Stop when the loss or parameters change less. Default 1e-9. */
  toleranceChange?: number;
  /** Update history kept. Default 100. */
  historySize?: number;
  /** `strong_wolfe` for the line search, or null (fixed steps). Default null. */
  lineSearchFn?: "strong_wolfe" | null;
}

/**
 * Re-evaluates the model: zeroes the gradients, computes the loss, runs backward, and
 * returns the loss (a one-element tensor, or its value).
 */
export type LbfgsClosure = () => number | Tensor | null | Promise<number | Tensor | null>;

/** Gradient-sized device vectors, recycled once nothing refers to them. */
class VectorPool {
  private readonly all: Storage[] = [];
  private free: Storage[] = [];

  constructor(private readonly backend: Backend, private readonly size: number) {}

  /** A vector holding a copy of `src`. */
  copyOf(src: Storage): Storage {
    let v = this.free.pop();
    if (!v) this.all.push(v = this.backend.zeros(this.size, true));
    this.backend.copy(v, src);
    return v;
  }

  /** Frees every vector but `live`. */
  keepOnly(live: Iterable<Storage | undefined>): void {
    const keep = new Set(live);
    this.free = this.all.filter((v) => !keep.has(v));
  }
}

// The flat buffers of `params`, which must be all of a model's parameters: L-BFGS has
// no parameter groups and updates the whole flat buffer.
function wholeFlatOf(params: Parameter[]): FlatParameters {
  const flat = flatOf(params);
  if (new Set(params).size !== flat.slots.length) {
    throw new UsageError("params", "LBFGS updates every parameter of a model: pass them all");
  }
  return flat;
}

/**
 * L-BFGS with an optional strong-Wolfe line search.
 *
 * @example
 * ```ts
 * import { backward, bindParameters, createCpuBackend, LBFGS, Linear, mul, Rng, sum, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const model = new Linear(2, 1, new Rng(0), { bias: false });
 * const flat = bindParameters(b, model.namedParameters());
 * const x = tensor(b, [1, 2, 3, 4], [2, 2]);
 * const opt = new LBFGS(flat, { lineSearchFn: "strong_wolfe" });
 * await opt.step(() => {
 *   opt.zeroGrad();
 *   const y = model.forward(x);
 *   const loss = sum(mul(y, y));
 *   backward(loss);
 *   return loss;
 * });
 * ```
 */
export class LBFGS implements TrainingOptimizer {
  /** Its curvature history is not checkpointed: a run cannot continue exactly. */
  readonly resumable = false;
  /** Its line search evaluates each batch many times: no one evaluation can drop a step. */
  readonly canDropStep = false;
  /** Closure evaluations over all steps (PyTorch's `func_evals`). */
  funcEvals = 0;
  /** Iterations over all steps (PyTorch's `n_iter`). */
  nIter = 0;
  /** The learning rate (a scheduler may set it). */
  lr: number;
  private readonly maxIter: number;
  private readonly maxEval: number;
  private readonly toleranceGrad: number;
  private readonly toleranceChange: number;
  private readonly historySize: number;
  private readonly lineSearch: boolean;
  private readonly pool: VectorPool;
  private readonly start: Storage;
  private readonly zero: Storage;
  private d?: Storage;
  private t = 0;
  private oldDirs: Storage[] = [];
  private oldSteps: Storage[] = [];
  private ro: number[] = [];
  private hDiag = 1;
  private prevFlatGrad?: Storage;
  private prevLoss = 0;

  /** The flat buffers it updates. */
  readonly flat: FlatParameters;

  /**
   * Checks the options like PyTorch's constructor and allocates the vectors' pool. `params`:
   * every parameter of a model on a backend (`model.parameters()`), or its flat buffers.
   */
  constructor(params: FlatParameters | Iterable<Parameter>, options: LbfgsOptions = {}) {
    const flat = this.flat = "slots" in params ? params : wholeFlatOf([...params]);
    this.lr = options.lr ?? 1;
    this.maxIter = options.maxIter ?? 20;
    this.maxEval = options.maxEval ?? Math.floor(this.maxIter * 5 / 4);
    this.toleranceGrad = options.toleranceGrad ?? 1e-7;
    this.toleranceChange = options.toleranceChange ?? 1e-9;
    this.historySize = options.historySize ?? 100;
    const lineSearchFn = options.lineSearchFn ?? null;
    const check = (ok: boolean, flag: string, message: string) => {
      if (!ok) throw new UsageError(flag, message);
    };
    check(this.lr >= 0, "lr", `expected a learning rate >= 0, got ${this.lr}`);
    for (const [name, v] of [["max_iter", this.maxIter], ["max_eval", this.maxEval]] as const) {
      check(Number.isInteger(v) && v >= 1, name, `expected an integer >= 1, got ${v}`);
    }
    check(
      Number.isInteger(this.historySize) && this.historySize >= 1,
      "history_size",
      `expected an integer >= 1, got ${this.historySize}`,
    );
    check(
      lineSearchFn === null || lineSearchFn === "strong_wolfe",
      "line_search_fn",
      `expected null or "strong_wolfe", got ${JSON.stringify(lineSearchFn)}`,
    );
    this.lineSearch = lineSearchFn === "strong_wolfe";
    this.pool = new VectorPool(flat.backend, flat.size);
    this.start = flat.backend.zeros(flat.size, true);
    this.zero = flat.backend.zeros(flat.size, true);
  }

  /** Iterations so far, as a checkpoint's step count. */
  get stepCount(): number {
    return this.nIter;
  }

  /** Nothing: the curvature history is not checkpointed (a checkpoint holds the model). */
  stateSlices(): Promise<OptimizerStateSlice[]> {
    return Promise.resolve([]);
  }

  /** Refuses: without its curvature history an L-BFGS run cannot continue exactly. */
  /** L-BFGS checkpoints no state. */
  stateLayout(): { name: string; shape: readonly number[] }[] {
    return [];
  }

  loadState(): void {
    throw new UsageError("LBFGS", "its curvature history is not saved: it cannot continue a run");
  }

  /** Sets every gradient to zero (PyTorch's `zero_grad(set_to_none=False)`); closures call it first. */
  zeroGrad(): void {
    this.flat.backend.copy(this.flat.grads, this.zero);
  }

  /**
   * One optimisation step: up to `maxIter` iterations, each evaluating `closure` once
   * (or several times in the line search). Returns the loss of the first evaluation.
   * Its temporaries come from the backend's step arena: end the backend step
   * (`backend.endStep()`) after each call.
   */
  async step(closure: LbfgsClosure): Promise<number> {
    const { backend: b, params, grads } = this.flat;
    const scalar = async (s: Storage) => (await b.read(s))[0];
    const evaluate = async () => {
      const out = await closure();
      if (out === null) throw new UsageError("onNonFinite", "L-BFGS cannot drop a step");
      this.funcEvals++;
      return typeof out === "number" ? out : (await out.toArray())[0];
    };
    const origLoss = await evaluate();
    let loss = origLoss;
    let currentEvals = 1;
    let flatGrad = this.pool.copyOf(grads);
    if (await scalar(b.maxAbs(flatGrad)) <= this.toleranceGrad) return origLoss;

    let nIter = 0;
    while (nIter < this.maxIter) {
      nIter++;
      this.nIter++;
      if (this.nIter === 1) {
        this.d = this.pool.copyOf(b.affine(flatGrad, -1, 0));
        [this.oldDirs, this.oldSteps, this.ro, this.hDiag] = [[], [], [], 1];
      } else {
        this.d = await this.direction(flatGrad, scalar);
      }
      const d = this.d;
      this.prevFlatGrad = flatGrad;
      this.prevLoss = loss;
      if (this.nIter === 1) {
        // min(1, 1/Σ|g|)·lr, a float32 tensor in PyTorch; Σ|g| = g·sign(g).
        const absSum = await scalar(b.dot(flatGrad, b.unary("sign", flatGrad)));
        this.t = Math.fround(Math.min(1, Math.fround(1 / absSum)) * this.lr);
      } else {
        this.t = this.lr;
      }
      const gtd = await scalar(b.dot(flatGrad, d));
      if (gtd > -this.toleranceChange) break;

      let evals = 0;
      let optimal = false;
      if (this.lineSearch) {
        b.copy(this.start, params);
        const atStep = async (t: number): Promise<LinePoint<Storage>> => {
          b.axpy(params, d, t);
          const f = await evaluate();
          const g = this.pool.copyOf(grads);
          b.copy(params, this.start);
          return { f, g, gtd: await scalar(b.dot(g, d)) };
        };
        const dNorm = await scalar(b.maxAbs(d));
        const found = await strongWolfe(atStep, this.t, loss, flatGrad, gtd, dNorm);
        [loss, flatGrad, this.t, evals] = [found.f, found.g, found.t, found.evals];
        b.axpy(params, d, this.t);
        optimal = await scalar(b.maxAbs(flatGrad)) <= this.toleranceGrad;
      } else {
        b.axpy(params, d, this.t);
        if (nIter !== this.maxIter) {
          loss = await evaluate();
          flatGrad = this.pool.copyOf(grads);
          optimal = await scalar(b.maxAbs(flatGrad)) <= this.toleranceGrad;
          evals = 1;
        }
      }
      currentEvals += evals;
      this.pool.keepOnly([flatGrad, this.prevFlatGrad, d, ...this.oldDirs, ...this.oldSteps]);
      if (nIter === this.maxIter || currentEvals >= this.maxEval || optimal) break;
      if (await scalar(b.maxAbs(d)) * Math.abs(this.t) <= this.toleranceChange) break;
      if (Math.abs(loss - this.prevLoss) < this.toleranceChange) break;
    }
    this.pool.keepOnly([this.d, this.prevFlatGrad, ...this.oldDirs, ...this.oldSteps]);
    return origLoss;
  }

  /** Updates the curvature history with the last step, then runs the two-loop recursion. */
  private async direction(
    flatGrad: Storage,
    scalar: (s: Storage) => Promise<number>,
  ): Promise<Storage> {
    const b = this.flat.backend;
    const y = this.pool.copyOf(flatGrad);
    b.axpy(y, this.prevFlatGrad!, -1);
    const s = this.pool.copyOf(b.affine(this.d!, this.t, 0));
    const ys = await scalar(b.dot(y, s));
    if (ys > 1e-10) {
      if (this.oldDirs.length === this.historySize) {
        this.oldDirs.shift();
        this.oldSteps.shift();
        this.ro.shift();
      }
      this.oldDirs.push(y);
      this.oldSteps.push(s);
      this.ro.push(Math.fround(1 / ys));
      this.hDiag = Math.fround(ys / await scalar(b.dot(y, y)));
    }
    const n = this.oldDirs.length;
    const al: number[] = new Array(n);
    const q = this.pool.copyOf(b.affine(flatGrad, -1, 0));
    for (let i = n - 1; i >= 0; i--) {
      al[i] = Math.fround(await scalar(b.dot(this.oldSteps[i], q)) * this.ro[i]);
      b.axpy(q, this.oldDirs[i], -al[i]);
    }
    const r = this.pool.copyOf(b.affine(q, this.hDiag, 0));
    for (let i = 0; i < n; i++) {
      const be = Math.fround(await scalar(b.dot(this.oldDirs[i], r)) * this.ro[i]);
      b.axpy(r, this.oldSteps[i], al[i] - be);
    }
    return r;
  }
}
