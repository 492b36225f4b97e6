/**
 * gradmesh: data-parallel neural-network training for Deno, with WebGPU kernels and a
 * small HTTP mesh. This module is the public API; everything here is a re-export.
 *
 * @example
 * ```ts
 * import {
 *   backward, createCpuBackend, crossEntropy, bindParameters, Linear, ReLU, Rng, Sequential, tensor,
 * } from "./mod.ts";
 *
 * const backend = createCpuBackend();
 * const rng = new Rng(0);
 * const model = new Sequential(new Linear(4, 8, rng), new ReLU(), new Linear(8, 3, rng));
 * bindParameters(backend, model.namedParameters());
 * const x = tensor(backend, Array.from({ length: 8 }, () => rng.normal()), [2, 4]);
 * const loss = crossEntropy(model.forward(x), tensor(backend, [0, 2], [2]));
 * backward(loss);
 * console.log((await model.parameters()[0].grad()).length); // 32
 * ```
 *
 * @module
 */

export type {
  Backend,
  FusedActivation,
  OptimizerHyper,
  ReduceOp,
  Storage,
} from "./core/backend.ts";
export { createCpuBackend } from "./core/cpu/backend.ts";
export * from "./core/errors.ts";
export { binaryOps, unaryOps } from "./core/elementwise.ts";
export type { BinaryOpName, UnaryOpName } from "./core/elementwise.ts";
export { backward, isGradEnabled, noGrad } from "./core/autograd.ts";
export { full, type GradNode, Tensor, tensor, zeros } from "./core/tensor.ts";
export * from "./core/ops.ts";
export { Rng } from "./core/rng.ts";
export { Module } from "./core/nn/module.ts";
export { Parameter } from "./core/nn/parameter.ts";
export { Linear, type LinearOptions } from "./core/nn/linear.ts";
export { Activation, ReLU, Sigmoid, Tanh } from "./core/nn/activation.ts";
export { Sequential } from "./core/nn/sequential.ts";
export {
  bindParameters,
  type FlatParameters,
  type ParameterSlot,
} from "./core/nn/flat_parameters.ts";
export { kaimingUniform, uniformInit } from "./core/nn/init.ts";
export { crossEntropy, type CrossEntropyOptions } from "./core/loss/cross_entropy.ts";
export { mseLoss } from "./core/loss/mse.ts";
export type { Reduction } from "./core/loss/reduction.ts";
export { type OptimizerKind, optimizerStateNames } from "./core/optim/kinds.ts";
