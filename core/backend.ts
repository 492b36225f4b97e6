/**
 * The contract every compute backend fulfils: allocate f32 storage, upload, run a
 * primitive op, read back. Shapes and autograd live above this line (`core/tensor.ts`);
 * a backend sees only flat element counts and the few dimensions each op needs.
 *
 * Work may be queued rather than run at once (the WebGPU backend records into one
 * command encoder); {@link Backend.flush} submits it and {@link Backend.read} waits for it.
 *
 * @module
 */

import type { BinaryOpName, UnaryOpName } from "./elementwise.ts";

/** A handle to `size` f32 elements owned by a backend; may be a view into a larger one. */
export interface Storage {
  /** Number of f32 elements. */
  readonly size: number;
}

/** Activation that the fused linear op applies after `x·Wᵀ + b`. */
export type FusedActivation = "none" | "relu" | "tanh" | "sigmoid";

/** Reductions over the middle axis of an `[outer, len, inner]` view. */
export type ReduceOp = "sum" | "max";

/**
 * `n` samples of `c` planes of `h`×`w` (NCHW, row-major) and the `outH`×`outW` planes that a
 * pooling op makes of them.
 */
export interface Planes2d {
  /** Samples. */
  n: number;
  /** Planes (channels) per sample. */
  c: number;
  /** Input plane height. */
  h: number;
  /** Input plane width. */
  w: number;
  /** Output plane height. */
  outH: number;
  /** Output plane width. */
  outW: number;
}

/**
 * A sliding window over {@link Planes2d}, in PyTorch's terms (convolution and pooling):
 * output `(oy, ox)` reads input rows `oy·strideH − padH + i·dilationH` for `i < kh` and
 * columns `ox·strideW − padW + j·dilationW` for `j < kw`; positions outside the plane are
 * padding. `outH = ⌊(h + 2·padH − dilationH·(kh − 1) − 1) / strideH⌋ + 1`, `outW` alike.
 */
export interface Window2d extends Planes2d {
  /** Window height. */
  kh: number;
  /** Window width. */
  kw: number;
  /** Vertical stride. */
  strideH: number;
  /** Horizontal stride. */
  strideW: number;
  /** Zero padding above and below. */
  padH: number;
  /** Zero padding left and right. */
  padW: number;
  /** Vertical spacing of window taps. */
  dilationH: number;
  /** Horizontal spacing of window taps. */
  dilationW: number;
}

/**
 * Hyper-parameters of one fused optimizer update, in PyTorch's names (camelCase). Each
 * optimizer reads the fields it has; `hyperAt` (core/optim/settings.ts) fills them all.
 */
export interface OptimizerHyper {
  /** Learning rate. */
  lr: number;
  /** Weight decay (L2 penalty, or decoupled for AdamW). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it. */
  maximize: boolean;
  /** SGD and RMSprop. */
  momentum: number;
  /** SGD. */
  dampening: number;
  /** SGD. */
  nesterov: boolean;
  /** Adam family: `betas[0]`, `betas[1]`. */
  beta1: number;
  /** Adam family: `betas[1]`. */
  beta2: number;
  /** Term added to denominators for stability. */
  eps: number;
  /** Adam and AdamW. */
  amsgrad: boolean;
  /** Adagrad. */
  lrDecay: number;
  /** Adadelta. */
  rho: number;
  /** RMSprop's smoothing constant. */
  alpha: number;
  /** RMSprop. */
  centered: boolean;
  /** ASGD's decay term. */
  lambd: number;
  /** Rprop: `etas` and `step_sizes`. */
  etaMinus: number;
  /** Rprop's `etas[1]`, the increase factor. */
  etaPlus: number;
  /** Rprop's `step_sizes[0]`, the smallest step. */
  stepSizeMin: number;
  /** Rprop's `step_sizes[1]`, the largest step. */
  stepSizeMax: number;
  /** SparseAdam: elements per row; a row is updated when any of its gradients is nonzero. */
  rowSize: number;
  /** 1-based step count after this update (bias corrections; the first step's set-up). */
  step: number;
  /** ASGD's `eta` and `mu` before this update (host-kept scalar state). */
  eta: number;
  /** ASGD's averaging coefficient `mu` before this update. */
  mu: number;
  /** NAdam. */
  momentumDecay: number;
  /** NAdam's `mu_product` including this update's μ (host-kept scalar state). */
  muProduct: number;
}

/**
 * An average-pooling window: the sum is divided by `divisorOverride` when given, else by
 * `kh·kw` with `countIncludePad`, else by the number of taps inside the plane. Its dilation
 * must be 1.
 */
export interface AvgWindow2d extends Window2d {
  /** Count padding taps in the divisor (PyTorch's `count_include_pad`). */
  countIncludePad: boolean;
  /** Divide every window's sum by this instead; null: see above. */
  divisorOverride: number | null;
}

/** Scalar parameters of an elementwise op, where it has them (0 when left out). */
export interface OpScalars {
  /** First scalar parameter (e.g. a negative slope or `alpha`). */
  alpha?: number;
  /** Second scalar parameter (e.g. a threshold or `beta`). */
  beta?: number;
}

/**
 * `out = op(a, b)` with NumPy broadcasting. `outShape` is the broadcast shape; `aShape` and
 * `bShape` are right-aligned against it (missing leading dims are 1). `alpha` and `beta` are
 * the op's scalar parameters where it has them (the `*_grad` ops of activations).
 */
export interface BinaryArgs extends OpScalars {
  /** The op. */
  op: BinaryOpName;
  /** First operand. */
  a: Storage;
  /** Shape of `a`. */
  aShape: readonly number[];
  /** Second operand. */
  b: Storage;
  /** Shape of `b`. */
  bShape: readonly number[];
  /** The broadcast result shape. */
  outShape: readonly number[];
}

/** A reduction of `x` viewed as `[outer, len, inner]` over `len`. */
export interface ReduceArgs {
  /** The reduction. */
  op: ReduceOp;
  /** The input, viewed as `[outer, len, inner]`. */
  x: Storage;
  /** Size of the dims before the reduced one. */
  outer: number;
  /** Size of the reduced dim. */
  len: number;
  /** Size of the dims after the reduced one. */
  inner: number;
}

/**
 * Matrix product `op(A)·op(B)` giving `[m, n]`: `A` is `[m, k]` (or `[k, m]` when `transA`),
 * `B` is `[k, n]` (or `[n, k]` when `transB`). With `batch` > 1 the storages hold `batch` such
 * matrices back to back and the result is `[batch, m, n]` (`torch.bmm`).
 */
export interface MatmulArgs {
  /** Left matrix. */
  a: Storage;
  /** Right matrix. */
  b: Storage;
  /** Rows of the result. */
  m: number;
  /** The shared (summed) dim. */
  k: number;
  /** Columns of the result. */
  n: number;
  /** Default false. */
  transA?: boolean;
  /** Default false. */
  transB?: boolean;
  /** Default 1. */
  batch?: number;
}

/** The sizes of a fused linear layer: `x` is `[m, k]`, `w` is `[n, k]`, the output `[m, n]`. */
export interface LinearDims {
  /** Input `[m, k]`. */
  x: Storage;
  /** Weight `[n, k]` (PyTorch's layout). */
  w: Storage;
  /** Rows (samples). */
  m: number;
  /** Input features. */
  k: number;
  /** Output features. */
  n: number;
  /** Activation fused after the affine map. */
  act: FusedActivation;
}

/** Fused `act(x·Wᵀ + b)` with `b` of `[n]`, or null without bias. */
export interface LinearArgs extends LinearDims {
  /** Bias `[n]`, or null for none. */
  b: Storage | null;
}

/** The backward of a fused linear layer that gave `y`, with upstream gradient `gy`. */
export interface LinearBackwardArgs extends LinearDims {
  /** The forward output (what a fused activation's gradient reads). */
  y: Storage;
  /** Gradient of the output. */
  gy: Storage;
  /** Whether to compute the bias gradient. */
  hasBias: boolean;
  /** False for a first layer, whose input needs no gradient. */
  needInputGrad: boolean;
}

/**
 * Arguments of {@link Backend.batchNorm}: `x` viewed as `[n, c, len]`, normalised per
 * channel (dim 1).
 */
export interface BatchNormArgs {
  /** Input. */
  x: Storage;
  /** Samples. */
  n: number;
  /** Channels. */
  c: number;
  /** Elements per sample and channel. */
  len: number;
  /** γ `[c]`, or null for none (γ = 1). */
  weight: Storage | null;
  /** β `[c]`, or null for none (β = 0). */
  bias: Storage | null;
  /** Added to the variance before its square root. */
  eps: number;
  /** Mean and (biased) variance `[c]` to normalise with (evaluation); null: the batch's own. */
  stats: BatchNormStats | null;
}

/** Per-channel mean and biased variance, `[c]` each. */
export interface BatchNormStats {
  /** Per-channel mean `[c]`. */
  mean: Storage;
  /** Per-channel biased variance `[c]`. */
  variance: Storage;
}

/** Arguments of {@link Backend.batchNormBackward}. */
export interface BatchNormBackwardArgs extends BatchNormStats {
  /** The forward input. */
  x: Storage;
  /** Gradient of the output. */
  gy: Storage;
  /** Samples. */
  n: number;
  /** Channels. */
  c: number;
  /** Elements per sample and channel. */
  len: number;
  /** γ `[c]`, or null for none. */
  weight: Storage | null;
  /** The forward pass's `eps`. */
  eps: number;
  /** Whether the forward pass used the batch's statistics (their gradient flows to `x`). */
  batchStats: boolean;
}

/** Gradients of {@link Backend.batchNormBackward}: of x, and of γ and β (null without them). */
export interface BatchNormGrads {
  /** Gradient of the input. */
  gx: Storage;
  /** Gradient of γ, or null without γ. */
  gWeight: Storage | null;
  /** Gradient of β, or null without β. */
  gBias: Storage | null;
}

/** Row-wise softmax (or log-softmax when `log`) of `x` as `[rows, cols]`. */
export interface SoftmaxArgs {
  /** Input `[rows, cols]`. */
  x: Storage;
  /** Rows. */
  rows: number;
  /** Columns (the softmax dim). */
  cols: number;
  /** Log-softmax instead of softmax. */
  log: boolean;
}

/** One uniform of a fused update kernel, and its value for a step of `n` elements. */
export interface UpdateField {
  /** Its name in the WGSL `params` struct. */
  readonly name: string;
  /** Its WGSL type. */
  readonly type: "u32" | "f32";
  /** Its value for hyper-parameters `h` and an update of `n` elements. */
  readonly value: (h: OptimizerHyper, n: number) => number;
}

/**
 * A fused optimizer update as a backend runs it, whichever optimizer it belongs to (the
 * records of `core/optim/updates/`): per-element math over the parameters `p`, gradients
 * `g` and the state buffers beside them.
 */
export interface UpdateKernel {
  /** Names the kernel in caches and errors. */
  readonly name: string;
  /** The state buffers, in binding order, by their PyTorch `state_dict` names. */
  readonly stateNames: readonly string[];
  /** The reference update, in place on host arrays (the CPU backend runs it). */
  readonly update: (
    p: Float32Array,
    g: Float32Array,
    state: readonly Float32Array[],
    h: OptimizerHyper,
  ) => void;
  /** The WGSL kernel's uniforms, in order. */
  readonly fields: readonly UpdateField[];
  /**
   * WGSL defining `fn update(i: u32)` (and what it calls) over the bindings `p`, `g` and the
   * state buffers by name and the uniforms `params.<field>`; run once per element.
   */
  readonly wgsl: readonly string[];
}

/** One fused optimizer update over flat buffers: `state` in the kernel's `stateNames` order. */
export interface OptimizerStepArgs {
  /** The optimizer's update. */
  kernel: UpdateKernel;
  /** Parameters, updated in place. */
  params: Storage;
  /** Their gradients. */
  grads: Storage;
  /** The state buffers, updated in place. */
  state: readonly Storage[];
  /** This update's hyper-parameters. */
  hyper: OptimizerHyper;
}

/**
 * The fixed arguments of a fused softmax cross-entropy over `[rows, cols]` logits against
 * class indices (`nn.CrossEntropyLoss`'s, plus a factor on the result).
 */
export interface CrossEntropySpec {
  /** Rows (samples). */
  rows: number;
  /** Columns (classes). */
  cols: number;
  /** A target equal to it, or outside `[0, cols)`, contributes neither loss nor gradient. */
  ignoreIndex: number;
  /** ε in [0, 1]: the target becomes (1−ε)·one-hot + ε/C. */
  labelSmoothing: number;
  /** `none`: one loss per row; `sum`; `mean`: divided by the sum of the targets' weights. */
  reduction: "none" | "sum" | "mean";
  /** Multiplies the loss (and so its gradient), e.g. 1 / the global batch. */
  scale: number;
}

/** What {@link Backend.tallyPredictions} adds into `sums`, a persistent `[3]` storage. */
export interface TallyArgs {
  /** The running `[loss, correct]` totals. */
  sums: Storage;
  /** `[rows, cols]` class scores. */
  logits: Storage;
  /** `[rows]` class indices (as f32). */
  labels: Storage;
  /** A one-element loss total. */
  loss: Storage;
  /** Multiplies the loss before it is added. */
  lossScale: number;
  /** Rows (samples). */
  rows: number;
  /** Columns (classes). */
  cols: number;
}

/** A compute backend. Every method that returns a `Storage` allocates it from the step arena. */
export interface Backend {
  /** Short name for logs: "cpu" or "webgpu". */
  readonly name: string;
  /** Human-readable description of the device, e.g. the WebGPU adapter. */
  readonly description: string;
  /** Element alignment that view offsets into a flat buffer must respect. */
  readonly viewAlignment: number;
  /**
   * On a CPU backend: the most bytes of training samples (and labels) it holds whole, to
   * gather each step's batch itself (core/train/device_data.ts); absent, batches are
   * gathered on the host.
   */
  readonly hostSampleBudget?: number;

  /** Allocates `size` zeros. `persistent` storage survives {@link Backend.endStep}. */
  zeros(size: number, persistent?: boolean): Storage;
  /** Copies host data into new storage. */
  upload(data: Float32Array, persistent?: boolean): Storage;
  /** Overwrites `dst` (same size) with host data. */
  write(dst: Storage, data: Float32Array): void;
  /** A view of `size` elements of `base` from `offset` (a multiple of `viewAlignment`). */
  view(base: Storage, offset: number, size: number): Storage;
  /** Resolves with a host copy of the storage's elements (flushes pending work). */
  read(s: Storage): Promise<Float32Array>;
  /** Submits queued work. Cheap when nothing is queued. */
  flush(): void;
  /**
   * Ends a training step: flushes, then returns every non-persistent storage allocated
   * since the last call to the pool. Handles to those storages must not be used again.
   */
  endStep(): void;
  /** Frees every resource; the backend is unusable afterwards. */
  destroy(): void;

  /** `out[i] = op(x[i])`, with the op's scalar parameters where it has them. */
  unary(op: UnaryOpName, x: Storage, scalars?: OpScalars): Storage;
  /** `out = op(a, b)` with NumPy broadcasting (see {@link BinaryArgs}). */
  binary(args: BinaryArgs): Storage;
  /** Broadcasts `x` of `shape` to `outShape` (NumPy rules), materialising the copies. */
  expand(x: Storage, shape: readonly number[], outShape: readonly number[]): Storage;
  /** `out = x * mul + add`, elementwise. */
  affine(x: Storage, mul: number, add: number): Storage;
  /** Reduces `[outer, len, inner]` over `len`, giving `[outer, inner]`. */
  reduce(args: ReduceArgs): Storage;
  /** Matrix product `op(A)·op(B)` giving `[m, n]` (see {@link MatmulArgs}). */
  matmul(args: MatmulArgs): Storage;
  /** Fused `act(x·Wᵀ + b)`: `x` is `[m, k]`, `w` is `[n, k]`, `b` is `[n]` or null. */
  linear(args: LinearArgs): Storage;
  /**
   * Backward of {@link Backend.linear} given its output `y` and upstream gradient `gy`
   * (`[m, n]`): returns `gx` `[m, k]` (null unless `needInputGrad`: a first layer's input
   * needs none), `gw` `[n, k]` and `gb` `[n]` (null without bias).
   */
  linearBackward(args: LinearBackwardArgs): { gx: Storage | null; gw: Storage; gb: Storage | null };
  /** Row-wise numerically stable softmax (or log-softmax) of `[rows, cols]`. */
  softmax(args: SoftmaxArgs): Storage;
  /**
   * `out[r] = x[r, idx[r]]` for `[rows, cols]` x; rows whose index is outside `[0, cols)`
   * (an `ignore_index`) give 0. Indices are stored as f32 integers.
   */
  gather(x: Storage, idx: Storage, rows: number, cols: number): Storage;
  /** Inverse of gather: `[rows, cols]` zeros with `g[r]` at `idx[r]` (skipping bad indices). */
  scatter(g: Storage, idx: Storage, rows: number, cols: number): Storage;
  /**
   * Fused softmax cross-entropy of `logits` against `labels` (f32 class indices) with
   * optional class `weight` `[cols]`: with reduction `none`, `[rows]` losses times
   * `spec.scale`; otherwise `[2]`: the reduced loss times `spec.scale`, and the sum of the
   * counted targets' weights (what `mean` divided by). Row `i`'s loss with target `y`
   * is `−w[y]·(1−ε)·log p[y] − ε/C·Σ_c w[c]·log p[c]`.
   */
  softmaxCrossEntropy(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    spec: CrossEntropySpec,
  ): Storage;
  /**
   * Gradient of {@link Backend.softmaxCrossEntropy} with respect to the logits, `[rows,
   * cols]`, given its output `totals` and the upstream gradient `gy` (`[rows]` for
   * reduction `none`, else `[1]`).
   */
  softmaxCrossEntropyBackward(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    totals: Storage,
    gy: Storage,
    spec: CrossEntropySpec,
  ): Storage;
  /**
   * In place, in one pass: `sums[0] += loss[0]·lossScale`, and `sums[1] +=` the number of
   * rows of `[rows, cols]` `logits` whose first maximum is at their label, and `sums[2] +=`
   * the entropy in bits of each row's softmax (core/metrics/entropy.ts).
   */
  tallyPredictions(args: TallyArgs): void;
  /**
   * A batch gathered from a dataset held by the backend: `x` `[rows, width]` holds rows
   * `idx[r]` of the `[count, width]` `images`, `y` `[rows]` entries `idx[r]` of `labels`
   * (indices as f32 integers; an index outside `[0, count)` gives zeros).
   */
  gatherSamples(
    images: Storage,
    labels: Storage,
    idx: Storage,
    width: number,
  ): { x: Storage; y: Storage };
  /** Index of the first maximum of each row of `[rows, cols]`, as f32. */
  argmax(x: Storage, rows: number, cols: number): Storage;
  /** In place: `dst += alpha * src` (same sizes). Used to accumulate gradients and metrics. */
  axpy(dst: Storage, src: Storage, alpha: number): void;
  /** In place: `dst = src` (same sizes). */
  copy(dst: Storage, src: Storage): void;
  /** One fused optimizer update over flat buffers, in place (see {@link OptimizerStepArgs}). */
  optimizerStep(args: OptimizerStepArgs): void;
  /** `[Σ aᵢ·bᵢ]` over two storages of one size, as a 1-element storage (no read-back). */
  dot(a: Storage, b: Storage): Storage;
  /** `[max |xᵢ|]` (0 when empty), as a 1-element storage (no read-back). */
  maxAbs(x: Storage): Storage;
  /**
   * In place, with no read-back: if `flag[0]` is 0 and some element of `x` is NaN or ±∞,
   * sets `flag` (3 elements) to `[mark, ⌊i / 65536⌋, i mod 65536]`, `i` the index of the
   * first such element (split so that both halves are exact in f32). `mark` must be
   * non-zero, e.g. a step number; a set flag keeps its first mark.
   */
  markNonFinite(flag: Storage, x: Storage, mark: number): void;
  /**
   * In place: `x *= min(1, maxNorm / (norm[0] + 1e-6))`, `clip_grad_norm_`'s scaling, with
   * `norm` a 1-element storage so that the total norm never leaves the device.
   */
  scaleToNorm(x: Storage, norm: Storage, maxNorm: number): void;
  /** In place: `x = clamp(x, -limit, limit)` (`clip_grad_value_`). */
  clampAbs(x: Storage, limit: number): void;
  /**
   * `x` of `shape` with its axes reordered, materialised: output axis `d` is input axis
   * `dims[d]` (`torch.permute(...).contiguous()`).
   */
  permute(x: Storage, shape: readonly number[], dims: readonly number[]): Storage;
  /**
   * Unfolds NCHW `x` into columns `[c·kh·kw, n·outH·outW]`: row `(ci, i, j)`, column
   * `(b, oy, ox)` holds what window tap `(i, j)` of output `(oy, ox)` reads from plane
   * `(b, ci)`, 0 in the padding. Rows are channel-major, so each group of channels owns a
   * contiguous block of rows.
   */
  im2col(x: Storage, win: Window2d): Storage;
  /** The adjoint of {@link Backend.im2col}: sums every column entry into the NCHW position it reads. */
  col2im(cols: Storage, win: Window2d): Storage;
  /**
   * Max over each window (`F.max_pool2d`), giving `[n, c, outH, outW]` and, per output, the
   * plane index `iy·w + ix` of its maximum as f32 (the first one; a NaN wins).
   */
  maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage };
  /** Input gradient of {@link Backend.maxPool2d}: each `gy` is added where its index points. */
  maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage;
  /** Mean over each window (`F.avg_pool2d`, `ceil_mode=False`; see {@link AvgWindow2d}). */
  avgPool2d(x: Storage, win: AvgWindow2d): Storage;
  /** Input gradient of {@link Backend.avgPool2d}. */
  avgPool2dBackward(gy: Storage, win: AvgWindow2d): Storage;
  /**
   * `F.adaptive_avg_pool2d`: output row `oy` averages input rows `⌊oy·h/outH⌋` to
   * `⌈(oy + 1)·h/outH⌉ − 1`, columns alike.
   */
  adaptiveAvgPool2d(x: Storage, planes: Planes2d): Storage;
  /** Input gradient of {@link Backend.adaptiveAvgPool2d}. */
  adaptiveAvgPool2dBackward(gy: Storage, planes: Planes2d): Storage;
  /**
   * `size` uniform floats in [0, 1) from a counter-based generator: element i is Philox2x32-10
   * of the 64-bit counter `offset + i` under key `seed` (a u32), its top 24 bits over 2²⁴.
   * Every backend computes the same bits (`core/cpu/random.ts`), and nothing is uploaded.
   */
  randomUniform(size: number, seed: number, offset: number): Storage;
  /**
   * Batch normalisation (`F.batch_norm`): `y = (x − mean)/√(var + eps)·γ + β` per channel,
   * with `stats` or the batch's mean and biased variance (two passes), which it returns
   * beside `y` (`stats` themselves when given).
   */
  batchNorm(args: BatchNormArgs): BatchNormStats & { y: Storage };
  /**
   * Gradients of {@link Backend.batchNorm} (PyTorch's `batch_norm_backward`): with x̂ the
   * normalised input and M = n·len, gβ = Σ gy, gγ = Σ gy·x̂, and gx = γ/√(var + eps) ·
   * (gy − gβ/M − x̂·gγ/M) with batch statistics, γ/√(var + eps)·gy without.
   */
  batchNormBackward(args: BatchNormBackwardArgs): BatchNormGrads;
}
