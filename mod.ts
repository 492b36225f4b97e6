/**
 * gradmesh: data-parallel neural-network training for Deno, with WebGPU kernels and a
 * small HTTP mesh. This module is the public API; everything here is a re-export. The
 * tutorial is docs/library.md: models, optimizers with parameter groups, a training loop
 * by hand, `fit`, state dicts, `save`/`load`, and data parallelism with `launch`.
 *
 * @example
 * ```ts
 * import {
 *   Adam, backward, createCpuBackend, crossEntropy, Linear, ReLU, Rng, Sequential, tensor,
 * } from "./mod.ts";
 *
 * const backend = createCpuBackend();
 * const rng = new Rng(0);
 * const model = new Sequential(new Linear(4, 8, rng), new ReLU(), new Linear(8, 3, rng))
 *   .to(backend);
 * const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
 * const x = tensor(backend, Array.from({ length: 8 }, () => rng.normal()), [2, 4]);
 * optimizer.zeroGrad();
 * const loss = crossEntropy(model.forward(x), tensor(backend, [0, 2], [2]));
 * backward(loss);
 * optimizer.step();
 * console.log(Object.keys(await model.stateDict())); // [ "0.weight", "0.bias", "2.weight", "2.bias" ]
 * ```
 *
 * @module
 */

export type {
  AvgWindow2d,
  Backend,
  BatchNormArgs,
  BatchNormBackwardArgs,
  BatchNormGrads,
  BatchNormStats,
  BinaryArgs,
  CrossEntropySpec,
  FusedActivation,
  LinearArgs,
  LinearBackwardArgs,
  LinearDims,
  MatmulArgs,
  OpScalars,
  OptimizerHyper,
  OptimizerStepArgs,
  Planes2d,
  ReduceArgs,
  ReduceOp,
  SoftmaxArgs,
  Storage,
  TallyArgs,
  UpdateField,
  UpdateKernel,
  Window2d,
} from "./core/backend.ts";
export { createCpuBackend } from "./core/cpu/backend.ts";
export {
  CheckpointError,
  DataFormatError,
  GradmeshError,
  ShapeError,
  UsageError,
} from "./core/errors.ts";
export { createFastCpuBackend, type FastCpuOptions } from "./cpu/backend.ts";
export type { SimdLevel } from "./cpu/kernels.ts";
export { binaryOps, unaryOps } from "./core/elementwise.ts";
export type {
  BinaryFn,
  BinaryOpName,
  PrimitiveBinaryName,
  PrimitiveUnaryName,
  UnaryFn,
  UnaryOpName,
} from "./core/elementwise.ts";
export type { ActivationOpName } from "./core/activations/mod.ts";
export type { CatalogArg, CatalogArgs, CatalogSpec, CatalogValue } from "./core/catalog.ts";
export { backward, backwardAsync, isGradEnabled, noGrad } from "./core/autograd.ts";
export { full, type GradNode, type InputGrads, Tensor, tensor, zeros } from "./core/tensor.ts";
export {
  add,
  affine,
  argmax,
  binary,
  div,
  exp,
  expand,
  gather,
  linear,
  log,
  logSoftmax,
  matmul,
  max,
  mean,
  mul,
  neg,
  relu,
  reshape,
  scale,
  sigmoid,
  softmax,
  sub,
  sum,
  tanh,
  unary,
} from "./core/ops.ts";
export {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  bmm,
  col2im,
  conv2d,
  type Conv2dOptions,
  flatten,
  im2col,
  maxPool2d,
  type MaxPool2dOptions,
  permute,
  type Size2d,
} from "./core/ops_conv.ts";
export { Rng } from "./core/rng.ts";
export { type ExtraState, type ForwardPass, Module } from "./core/nn/module.ts";
export { ModuleBuffer } from "./core/nn/buffer.ts";
export {
  BatchNorm,
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  type BatchStats,
  type StatsReducer,
} from "./core/nn/batch_norm.ts";
export {
  crossRankStats,
  type LayerSum,
  syncBatchNorms,
  type SyncPass,
  syncWithoutSamples,
} from "./core/nn/sync_batch_norm.ts";
export {
  Dropout,
  dropout,
  Dropout2d,
  DropoutBase,
  type DropoutOptions,
} from "./core/nn/dropout.ts";
export { Parameter } from "./core/nn/parameter.ts";
export {
  type LoadStateDictOptions,
  type StateDict,
  type StateTensor,
} from "./core/nn/state_dict.ts";
export { Linear, type LinearOptions } from "./core/nn/linear.ts";
export { Conv2d, type Conv2dLayerOptions } from "./core/nn/conv2d.ts";
export { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from "./core/nn/pooling.ts";
export { Flatten } from "./core/nn/flatten.ts";
export { BasicBlock, type BasicBlockOptions } from "./core/nn/basic_block.ts";
export { Embedding, type EmbeddingOptions } from "./core/nn/embedding.ts";
export { Activation, ReLU, Sigmoid, Tanh } from "./core/nn/activation.ts";
export {
  LeakyReLU,
  type LeakyReLUOptions,
  PReLU,
  type PReLUOptions,
  ReLU6,
} from "./core/nn/activations/rectifiers.ts";
export { type AlphaOptions, CELU, ELU, SELU } from "./core/nn/activations/exponential.ts";
export { GELU, type GELUOptions, Mish, SiLU } from "./core/nn/activations/gated.ts";
export {
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  type HardtanhOptions,
} from "./core/nn/activations/hard.ts";
export {
  LogSigmoid,
  Softplus,
  type SoftplusOptions,
  Softsign,
} from "./core/nn/activations/soft.ts";
export { Sin } from "./core/nn/activations/sin.ts";
export { Sign } from "./core/nn/activations/sign.ts";
export { LogSoftmax, Softmax, type SoftmaxOptions } from "./core/nn/activations/softmax.ts";
export { CReLU, crelu } from "./core/nn/activations/crelu.ts";
export {
  SReLU,
  srelu,
  type SReLUOptions,
  type SReLUParameters,
} from "./core/nn/activations/srelu.ts";
export { Maxout, maxout, type MaxoutOptions } from "./core/nn/activations/maxout.ts";
export {
  activationForShape,
  maxoutLayer,
  type MaxoutLayerOptions,
  type ShapedLayer,
  widthBefore,
} from "./core/nn/width_activations.ts";
export {
  celu,
  elu,
  gelu,
  type GeluApproximate,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  mish,
  prelu,
  relu6,
  selu,
  signSte,
  silu,
  sin,
  softplus,
  softsign,
} from "./core/nn/activations/functional.ts";
export {
  activationCatalog,
  activationFromName,
  activationNames,
  type ActivationSpec,
} from "./core/nn/activations/registry.ts";
export { ElementwiseActivation } from "./core/nn/activations/elementwise.ts";
export {
  type ActivationEntry,
  type ActivationKernel,
  defineActivation,
} from "./core/activation_kernel.ts";
export { activationKernels } from "./core/activations/mod.ts";
export { Sequential } from "./core/nn/sequential.ts";
export {
  bindParameters,
  flatOf,
  type FlatParameters,
  type ParameterSlot,
} from "./core/nn/flat_parameters.ts";
export {
  calculateGain,
  constant_,
  fanInAndFanOut,
  type InitTarget,
  kaimingNormal_,
  type KaimingOptions,
  kaimingUniform,
  kaimingUniform_,
  nonlinearities,
  type Nonlinearity,
  normal_,
  ones_,
  orthogonal_,
  uniform_,
  uniformInit,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from "./core/nn/init.ts";
export {
  initCatalog,
  initFromName,
  type Initializer,
  initNames,
  type InitSpec,
} from "./core/nn/init_registry.ts";
export { crossEntropy, type CrossEntropyOptions } from "./core/loss/cross_entropy.ts";
export { mseLoss } from "./core/loss/mse.ts";
export type { Reduction } from "./core/loss/reduction.ts";
export {
  type OptimizerKind,
  optimizerKinds,
  optimizerRecord,
  optimizerScalarNames,
  optimizerStateNames,
} from "./core/optim/kinds.ts";
export {
  defineOptimizer,
  type OptimizerRecord,
  type ScalarState,
  type ScalarStateName,
} from "./core/optim/optimizer_record.ts";
export type { GroupScalars, RequireArg, ScalarSettings } from "./core/optim/optimizer_record.ts";
export type { GroupSettings } from "./core/optim/settings.ts";
export type { GroupRange } from "./core/optim/param_groups.ts";
export { optimizerRecords } from "./core/optim/updates/mod.ts";
export {
  type BceOptions,
  type BceWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from "./core/loss/binary.ts";
export {
  crossEntropyProbs,
  type CrossEntropyProbsOptions,
} from "./core/loss/cross_entropy_probs.ts";
export {
  focalLoss,
  type FocalOptions,
  sigmoidFocalLoss,
  type SigmoidFocalOptions,
} from "./core/loss/focal.ts";
export {
  cosineEmbeddingLoss,
  hingeEmbeddingLoss,
  type MarginOptions,
  marginRankingLoss,
  softMarginLoss,
} from "./core/loss/margin.ts";
export {
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  type MultilabelSoftMarginOptions,
  multiMarginLoss,
  type MultiMarginOptions,
} from "./core/loss/multi_margin.ts";
export { nllLoss, type NllOptions } from "./core/loss/nll.ts";
export { ctcLoss, type CtcOptions, type CtcTargets } from "./core/loss/ctc.ts";
export {
  gaussianNllLoss,
  type GaussianNllOptions,
  klDiv,
  type KlDivOptions,
  poissonNllLoss,
  type PoissonNllOptions,
} from "./core/loss/probabilistic.ts";
export {
  huberLoss,
  type HuberOptions,
  l1Loss,
  logCoshLoss,
  quantileLoss,
  type QuantileOptions,
  smoothL1Loss,
  type SmoothL1Options,
} from "./core/loss/regression.ts";
export {
  pairwiseDistance,
  type PairwiseDistanceOptions,
  tripletMarginLoss,
  type TripletMarginOptions,
  tripletMarginWithDistanceLoss,
  type TripletMarginWithDistanceOptions,
} from "./core/loss/triplet.ts";
export { LrScheduler, type LrTarget } from "./core/optim/schedulers/scheduler.ts";
export {
  ExponentialLR,
  type ExponentialLrOptions,
  MultiStepLR,
  type MultiStepLrOptions,
  StepLR,
  type StepLrOptions,
} from "./core/optim/schedulers/decay.ts";
export {
  CosineAnnealingLR,
  type CosineAnnealingLrOptions,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
} from "./core/optim/schedulers/cosine.ts";
export { LinearLR, type LinearLrOptions } from "./core/optim/schedulers/linear.ts";
export {
  type MomentumTarget,
  OneCycleLR,
  type OneCycleLrOptions,
} from "./core/optim/schedulers/one_cycle.ts";
export {
  ReduceLROnPlateau,
  type ReduceLrOnPlateauOptions,
} from "./core/optim/schedulers/plateau.ts";
export {
  accuracy,
  type Average,
  confusionMatrix,
  type PrecisionRecallF1,
  precisionRecallF1,
  type PrecisionRecallF1Options,
  topKAccuracy,
} from "./core/metrics/classification.ts";
export {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanBiasError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from "./core/metrics/regression.ts";
export { type RegressionScores, regressionScores } from "./core/metrics/regression_scores.ts";
export {
  Optimizer,
  type OptimizerConfig,
  OptimizerGroup,
  type OptimizerOptions,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupState,
} from "./core/optim/optimizer.ts";
export {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  NAdam,
  type OptimizerClass,
  optimizerClasses,
  type OptimizerParams,
  RAdam,
  RMSprop,
  Rprop,
  SGD,
  SparseAdam,
} from "./core/optim/classes.ts";
export {
  type LossClosure,
  type OptimizerStateSlice,
  type TrainingOptimizer,
} from "./core/optim/training_optimizer.ts";
export { LBFGS, type LbfgsClosure, type LbfgsOptions } from "./core/optim/lbfgs.ts";
export {
  checkClipping,
  clipGradNorm,
  clipGradValue,
  type GradClipping,
  type GradNormType,
} from "./core/optim/clip.ts";
export {
  type OptimizerArgValue,
  optimizerCatalog,
  type OptimizerName,
  optimizerNames,
  type OptimizerSpec,
  optimizerSpec,
} from "./core/optim/catalog.ts";
export { type OptimizerArgs, optimizerFromName } from "./core/optim/registry.ts";
export { mlp, parseLayerSizes } from "./core/nn/mlp.ts";
export { buildTrainer, defaultTrainConfig, type TrainConfig } from "./core/train/config.ts";
export type {
  RegressionReduction,
  RegressionSettings,
  Task,
} from "./core/train/regression_settings.ts";
export {
  type DeviceBatch,
  type GradientReducer,
  type GradientSync,
  type HostBatch,
  Trainer,
} from "./core/train/trainer.ts";
export type { DeviceData, StepShard } from "./core/train/device_data.ts";
export type { RunningMetrics } from "./core/train/device_metrics.ts";
export type { MarginForm, Objective, ObjectiveArgs } from "./core/train/objective.ts";
export { marginForms } from "./core/train/objective.ts";
export type { DataShape } from "./core/nn/models.ts";
export type { AugmentOptions } from "./core/data/augment.ts";
export type { Cifar100Label } from "./core/data/cifar.ts";
export { nonFinitePolicies, type NonFinitePolicy, NonFiniteWatch } from "./core/train/nonfinite.ts";
export {
  type EpochSummary,
  fit as fitTrainer,
  type FitCallbacks,
  type FitMesh,
  type FitOptions,
  type FitProgress,
  type FitResult,
} from "./core/train/fit.ts";
export {
  fitModel as fit,
  type MeshProvider,
  type ModelFitOptions,
} from "./core/train/fit_model.ts";
export { loadDataset, type LoadDatasetOptions } from "./core/data/source.ts";
export type { Dataset, DatasetSplit } from "./core/data/dataset.ts";
export {
  type Checkpoint,
  type EpochProgress,
  loadCheckpoint,
  type ModuleState,
  saveCheckpoint,
} from "./core/checkpoint/checkpoint.ts";
export type { NamedTensor } from "./core/checkpoint/named_tensor.ts";
export { load, save, type SaveOptions } from "./core/checkpoint/save_load.ts";
export { type NewestCheckpoint, newestCheckpoint, saveInSeries } from "./core/checkpoint/series.ts";
export {
  type EpochRecord,
  type MetricsFields,
  MetricsLog,
  type MetricsRecord,
  readMetrics,
  REGRESSION_KEYS,
  type StepRecord,
} from "./core/metrics/jsonl.ts";
export {
  launch,
  LaunchError,
  type LaunchOptions,
  MAX_LAUNCH_WORKERS,
  type WorkerContext,
} from "./coordinator/launch/launch.ts";
export {
  acquireGpu,
  type AcquireGpuOptions,
  type AdapterSummary,
  type Gpu,
  GpuUnavailableError,
} from "./gpu/device.ts";
export type { GpuClock } from "./gpu/gpu_clock.ts";
export type { GpuStats } from "./gpu/stats.ts";
export {
  createWebGpuBackend,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from "./gpu/backend.ts";
export { type CsvHeader, type CsvOptions, loadCsv, parseCsv } from "./core/data/csv.ts";
export { loadNpy, type NpyArray, parseNpy } from "./core/data/npy.ts";
export { type NoiseKind, syntheticTable } from "./core/data/synthetic.ts";
export { type RegressionTable, splitRegression } from "./core/data/regression_split.ts";
export { loadRegressionData } from "./core/train/regression_data.ts";
export { type RegressionArgs, regressionObjective } from "./core/train/regression_objective.ts";
export { entropyBits, predictiveEntropyBits, rowEntropyBits } from "./core/metrics/entropy.ts";
