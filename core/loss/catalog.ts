/**
 * The loss catalogue as data: every loss function with its PyTorch counterpart, its
 * arguments in PyTorch's names with their defaults, and the `--loss` name when it can
 * train a classifier (core/train/objective.ts) or a regression model
 * (core/train/regression_objective.ts).
 *
 * @module
 */

import { type CatalogArg, catalogArg as arg, type CatalogSpec } from "../catalog.ts";

/** One loss. */
export interface LossSpec extends CatalogSpec {
  /** The function `mod.ts` exports. */
  readonly fn: string;
  /** The `--loss` name that trains with it (either task), if any. */
  readonly objective: string | null;
}

const reduction = arg("reduction", "mean", "none, mean or sum");
const weight = arg("weight", null, "per-class weights [C]");
const ignoreIndex = arg("ignore_index", -100, "target value that contributes nothing");

const spec = (
  name: string,
  pytorch: string,
  fn: string,
  objective: string | null,
  args: CatalogArg[],
): LossSpec => ({ name, pytorch, fn, objective, args });

/** Every loss, in the order of the PyTorch documentation's loss section. */
export const lossCatalog: readonly LossSpec[] = [
  spec("l1", "nn.L1Loss", "l1Loss", "l1", [reduction]),
  spec("mse", "nn.MSELoss", "mseLoss", "mse", [reduction]),
  spec("cross-entropy", "nn.CrossEntropyLoss", "crossEntropy", "cross-entropy", [
    weight,
    ignoreIndex,
    reduction,
    arg("label_smoothing", 0, "ε: targets become (1−ε)·one-hot + ε/C"),
  ]),
  spec(
    "cross-entropy-probs",
    "nn.CrossEntropyLoss (probability targets)",
    "crossEntropyProbs",
    null,
    [
      weight,
      reduction,
      arg("label_smoothing", 0, "ε applied to the target distribution"),
    ],
  ),
  spec("ctc", "nn.CTCLoss", "ctcLoss", null, [
    arg("blank", 0, "index of the blank label"),
    reduction,
    arg("zero_infinity", false, "infeasible alignments give 0 (and no gradient)"),
  ]),
  spec("nll", "nn.NLLLoss", "nllLoss", "nll", [weight, ignoreIndex, reduction]),
  spec("poisson-nll", "nn.PoissonNLLLoss", "poissonNllLoss", null, [
    arg("log_input", true, "the input is log λ"),
    arg("full", false, "add Stirling's term"),
    arg("eps", 1e-8, "added to λ inside the log when log_input is false"),
    reduction,
  ]),
  spec("gaussian-nll", "nn.GaussianNLLLoss", "gaussianNllLoss", null, [
    arg("full", false, "add ½·log 2π"),
    arg("eps", 1e-6, "lower clamp of the variance"),
    reduction,
  ]),
  spec("kl-div", "nn.KLDivLoss", "klDiv", "kl-div", [
    arg("reduction", "mean", "none, mean, sum or batchmean"),
    arg("log_target", false, "the target is given as log-probabilities"),
  ]),
  spec("bce", "nn.BCELoss", "binaryCrossEntropy", null, [weight, reduction]),
  spec(
    "bce-with-logits",
    "nn.BCEWithLogitsLoss",
    "binaryCrossEntropyWithLogits",
    "bce-with-logits",
    [
      weight,
      reduction,
      arg("pos_weight", null, "weight of positive examples per class"),
    ],
  ),
  spec("margin-ranking", "nn.MarginRankingLoss", "marginRankingLoss", null, [
    arg("margin", 0, "required gap"),
    reduction,
  ]),
  spec("hinge-embedding", "nn.HingeEmbeddingLoss", "hingeEmbeddingLoss", null, [
    arg("margin", 1, "margin for dissimilar pairs"),
    reduction,
  ]),
  spec("multilabel-margin", "nn.MultiLabelMarginLoss", "multilabelMarginLoss", null, [reduction]),
  spec("huber", "nn.HuberLoss", "huberLoss", "huber", [
    reduction,
    arg("delta", 1, "where the loss turns from quadratic to linear"),
  ]),
  spec("smooth-l1", "nn.SmoothL1Loss", "smoothL1Loss", "smooth-l1", [
    reduction,
    arg("beta", 1, "where the loss turns from quadratic to linear"),
  ]),
  spec("soft-margin", "nn.SoftMarginLoss", "softMarginLoss", null, [reduction]),
  spec(
    "multilabel-soft-margin",
    "nn.MultiLabelSoftMarginLoss",
    "multilabelSoftMarginLoss",
    "multilabel-soft-margin",
    [weight, reduction],
  ),
  spec("cosine-embedding", "nn.CosineEmbeddingLoss", "cosineEmbeddingLoss", null, [
    arg("margin", 0, "margin for dissimilar pairs"),
    reduction,
  ]),
  spec("multi-margin", "nn.MultiMarginLoss", "multiMarginLoss", "multi-margin", [
    arg("p", 1, "1 (hinge) or 2 (squared hinge)"),
    arg("margin", 1, "required gap to the target's score"),
    weight,
    reduction,
  ]),
  spec("triplet-margin", "nn.TripletMarginLoss", "tripletMarginLoss", null, [
    arg("margin", 1, "required gap between distances"),
    arg("p", 2, "norm degree of the pairwise distance"),
    arg("eps", 1e-6, "added to differences before the norm"),
    arg("swap", false, "use the distance swap"),
    reduction,
  ]),
  spec(
    "triplet-margin-with-distance",
    "nn.TripletMarginWithDistanceLoss",
    "tripletMarginWithDistanceLoss",
    null,
    [
      arg("distance_function", null, "any function of two [N, D] tensors (default pairwise L2)"),
      arg("margin", 1, "required gap between distances"),
      arg("swap", false, "use the distance swap"),
      reduction,
    ],
  ),
  spec("log-cosh", "log-cosh (no PyTorch class)", "logCoshLoss", "log-cosh", [reduction]),
  spec("quantile", "pinball loss (no PyTorch class)", "quantileLoss", "quantile", [
    arg("q", 0.5, "quantile in (0, 1)"),
    reduction,
  ]),
  spec("focal", "focal loss on softmax (Lin et al.)", "focalLoss", "focal", [
    arg("alpha", 1, "scalar factor"),
    arg("gamma", 2, "focusing exponent"),
    weight,
    ignoreIndex,
    reduction,
  ]),
  spec("sigmoid-focal", "torchvision.ops.sigmoid_focal_loss", "sigmoidFocalLoss", null, [
    arg("alpha", 0.25, "weight of positives (negative: off)"),
    arg("gamma", 2, "focusing exponent"),
    arg("reduction", "none", "none, mean or sum"),
  ]),
];
