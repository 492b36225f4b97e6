/**
 * What training needs of any optimizer, the first-order ones ({@link Optimizer}) and L-BFGS
 * alike, so the trainer and the checkpoint code hold one type and ask no `instanceof`.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";

/** One state tensor of one parameter, named like PyTorch's optimizer `state_dict`. */
export interface OptimizerStateSlice {
  /** `<parameter>.<state>`, e.g. `0.weight.momentum_buffer`. */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its values. */
  readonly data: Float32Array;
}

/**
 * Zeroes the gradients, evaluates the loss on the batch and back-propagates it; resolves
 * with the loss (a one-element tensor, or 0 for a shard without samples), or with null to
 * drop the step (a gradient that is not finite under `skip-step`): the optimizer then
 * leaves the parameters, its state and its step count as they were.
 */
export type LossClosure = () => Promise<Tensor | number | null>;

/** An optimizer as training drives it. */
export interface TrainingOptimizer {
  /** The learning rate (a scheduler may set it). */
  lr: number;
  /** Updates taken so far: a checkpoint's step count. */
  readonly stepCount: number;
  /** Whether {@link stateSlices} holds all it needs to continue exactly after a restart. */
  readonly resumable: boolean;
  /** Whether a step's closure may drop it by resolving with null (see {@link LossClosure}). */
  readonly canDropStep: boolean;
  /** Sets every gradient to zero (PyTorch's `zero_grad(set_to_none=False)`). */
  zeroGrad(): void;
  /**
   * One step (PyTorch's `optimizer.step(closure)`): a first-order optimizer evaluates
   * `closure` once and updates; L-BFGS evaluates it as often as its iterations and line
   * search need.
   */
  step(closure: LossClosure): Promise<unknown>;
  /** The state to checkpoint, per parameter (empty when it is not {@link resumable}). */
  stateSlices(): Promise<OptimizerStateSlice[]>;
  /**
   * The names and shapes that {@link stateSlices} gives once `step` updates were taken,
   * without reading anything back (what a checkpoint of this optimizer must hold).
   */
  stateLayout(step: number): { name: string; shape: readonly number[] }[];
  /** Restores what {@link stateSlices} gave, and the step count. */
  loadState(slices: ReadonlyMap<string, Float32Array>, stepCount: number): void;
}
