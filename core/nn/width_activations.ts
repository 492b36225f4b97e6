/**
 * Activations whose layer depends on, or changes, the width it sees: CReLU doubles the
 * channels, Maxout divides them by its pieces, SReLU learns one parameter set per channel.
 * MLPs and layer stacks build every activation through here, so the layer after one of
 * these gets the right input size.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import type { Activation } from "./activation.ts";
import { CReLU } from "./activations/crelu.ts";
import { Maxout } from "./activations/maxout.ts";
import { activationFromName } from "./activations/registry.ts";
import { Conv2d } from "./conv2d.ts";
import { Linear } from "./linear.ts";
import { Sequential } from "./sequential.ts";

/** A layer and the shape of one sample after it. */
export interface ShapedLayer<M> {
  /** The layer. */
  readonly module: M;
  /** The shape of one sample after the layer, channels first, without the batch dim. */
  readonly shape: readonly number[];
}

/**
 * The activation `name` with `args` for samples of `shape` (channels first), and the
 * sample shape after it. SReLU gets one parameter set per channel unless `args` give
 * `num_parameters`; CReLU doubles the channels; Maxout divides them by its pieces (a
 * UsageError naming `--model` when they do not divide).
 * @example
 * ```ts
 * import { activationForShape } from "./width_activations.ts";
 * console.log(activationForShape("crelu", {}, [16, 8, 8]).shape); // [32, 8, 8]
 * ```
 */
export function activationForShape(
  name: string,
  args: Readonly<Record<string, unknown>>,
  shape: readonly number[],
): ShapedLayer<Activation> {
  const [channels, ...rest] = shape;
  const perChannel = name === "srelu" && !("num_parameters" in args);
  const module = activationFromName(
    name,
    perChannel ? { ...args, num_parameters: channels } : args,
  );
  if (module instanceof CReLU) return { module, shape: [2 * channels, ...rest] };
  if (module instanceof Maxout) {
    if (channels % module.pieces !== 0) {
      throw new UsageError(
        "model",
        `maxout with ${module.pieces} pieces needs a multiple of ${module.pieces} channels, ` +
          `got ${channels}`,
      );
    }
    return { module, shape: [channels / module.pieces, ...rest] };
  }
  return { module, shape };
}

/**
 * How many outputs the linear layer before activation `name` needs so that `units` come
 * out of the activation: `units·pieces` for Maxout, else `units`. An MLP's hidden size is
 * thus the number of units, whatever the activation.
 * @example
 * ```ts
 * import { widthBefore } from "./width_activations.ts";
 * console.log(widthBefore("maxout", { pieces: 3 }, 64)); // 192
 * ```
 */
export function widthBefore(
  name: string,
  args: Readonly<Record<string, unknown>>,
  units: number,
): number {
  const module = activationFromName(name, args);
  return module instanceof Maxout ? units * module.pieces : units;
}

/** Options of the stack layer `maxout(units, pieces, kernel=1, padding=0)`. */
export interface MaxoutLayerOptions {
  /** Maxout units out of the layer: its output features, or channels for `[C, H, W]` samples. */
  readonly units: number;
  /** Linear or convolution outputs per unit, of which the maximum is taken. */
  readonly pieces: number;
  /** Kernel size of the convolution on `[C, H, W]` samples. */
  readonly kernel: number;
  /** Zero padding of the convolution's input on each side, in pixels (`[C, H, W]` samples). */
  readonly padding: number;
}

/**
 * A maxout layer: a linear layer (flat samples) or a convolution (`[C, H, W]` samples) to
 * `units·pieces` outputs, then the maximum over each group of `pieces`, as
 * `nn.Sequential(nn.Linear(in, units * pieces), Maxout(pieces))` in torch.
 * @example
 * ```ts
 * import { maxoutLayer } from "./width_activations.ts";
 * import { Rng } from "../rng.ts";
 * const opts = { units: 64, pieces: 3, kernel: 1, padding: 0 };
 * console.log(maxoutLayer(opts, [784], new Rng(0)).shape); // [64]
 * ```
 */
export function maxoutLayer(
  options: MaxoutLayerOptions,
  shape: readonly number[],
  rng: Rng,
): ShapedLayer<Sequential> {
  const { units, pieces, kernel, padding } = options;
  const out = units * pieces;
  const pool = new Maxout({ pieces });
  if (shape.length === 1) {
    return { module: new Sequential(new Linear(shape[0], out, rng), pool), shape: [units] };
  }
  if (shape.length !== 3) {
    throw new UsageError("model", `maxout needs flat or [C, H, W] samples, got [${shape}]`);
  }
  const [c, h, w] = shape;
  const conv = new Conv2d(c, out, kernel, rng, { padding });
  const size = (n: number) => n + 2 * padding - kernel + 1;
  return { module: new Sequential(conv, pool), shape: [units, size(h), size(w)] };
}
