/**
 * `BasicBlock`: the residual block of ResNet-18/34 (torchvision's `BasicBlock`, expansion
 * 1), with torchvision's module names so that state dicts line up.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { add, relu } from "../ops.ts";
import type { Rng } from "../rng.ts";
import type { Tensor } from "../tensor.ts";
import { BatchNorm2d } from "./batch_norm.ts";
import { Conv2d } from "./conv2d.ts";
import { type ForwardPass, Module, runForward } from "./module.ts";
import { Sequential } from "./sequential.ts";

/** Options of {@link BasicBlock}. */
export interface BasicBlockOptions {
  /** Stride of the first 3×3 convolution and of the projection shortcut (default 1). */
  stride?: number;
}

/**
 * `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`: two 3×3 convolutions without bias
 * (padding 1, the first with the block's stride), each followed by batch norm; the
 * shortcut is the identity, or `downsample` = 1×1 convolution (same stride, no bias) +
 * batch norm when the stride is not 1 or the channel count changes. Parameters are
 * named `conv1.weight`, `bn1.weight`, …, `downsample.0.weight`, `downsample.1.bias`.
 * @example
 * ```ts
 * import { BasicBlock, Rng } from "../../mod.ts";
 * const block = new BasicBlock(16, 32, new Rng(0), { stride: 2 });
 * console.log(block.namedParameters().map(([n]) => n).at(-1)); // "downsample.1.bias"
 * ```
 */
export class BasicBlock extends Module {
  /** First 3×3 convolution. */
  readonly conv1: Conv2d;
  /** Batch norm after `conv1`. */
  readonly bn1: BatchNorm2d;
  /** Second 3×3 convolution. */
  readonly conv2: Conv2d;
  /** Batch norm after `conv2`. */
  readonly bn2: BatchNorm2d;
  /** The projection shortcut, or null for the identity. */
  readonly downsample: Sequential | null;

  /** Convolution weights are drawn from `rng` in registration order (conv1, conv2, downsample). */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    rng: Rng,
    options: BasicBlockOptions = {},
  ) {
    super();
    const stride = options.stride ?? 1;
    if (!Number.isInteger(stride) || stride < 1) {
      throw new UsageError("BasicBlock", `stride must be a positive integer, got ${stride}`);
    }
    const noBias = { bias: false };
    this.conv1 = this.registerModule(
      "conv1",
      new Conv2d(inChannels, outChannels, 3, rng, { ...noBias, stride, padding: 1 }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(outChannels));
    this.conv2 = this.registerModule(
      "conv2",
      new Conv2d(outChannels, outChannels, 3, rng, { ...noBias, padding: 1 }),
    );
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(outChannels));
    this.downsample = stride === 1 && inChannels === outChannels ? null : this.registerModule(
      "downsample",
      new Sequential(
        new Conv2d(inChannels, outChannels, 1, rng, { ...noBias, stride }),
        new BatchNorm2d(outChannels),
      ),
    );
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return runForward(this, x);
  }

  /** The block's pass: both convolutions, the shortcut, the sum and ReLU. */
  override *forwardPass(x: Tensor): ForwardPass {
    const hidden = relu(yield* this.bn1.forwardPass(this.conv1.forward(x)));
    const branch = yield* this.bn2.forwardPass(this.conv2.forward(hidden));
    return relu(add(branch, this.downsample ? yield* this.downsample.forwardPass(x) : x));
  }
}
