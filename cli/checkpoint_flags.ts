/**
 * The flags of how often a run checkpoints and how many checkpoints it keeps, for `train`
 * and `coordinator`.
 *
 * @module
 */

import { DEFAULT_KEEP_CHECKPOINTS } from "../core/checkpoint/series.ts";
import type { FlagTable } from "./flags.ts";

/** `--checkpoint-every` and `--keep-checkpoints`. */
export const checkpointFlags: FlagTable = {
  "checkpoint-every": {
    type: "integer",
    group: "checkpoints",
    default: 0,
    min: 0,
    help: "also checkpoint every N steps, into OUT/checkpoints/ (0: at epoch ends only)",
  },
  "keep-checkpoints": {
    type: "integer",
    group: "checkpoints",
    default: DEFAULT_KEEP_CHECKPOINTS,
    min: 1,
    help: "step checkpoints kept in OUT/checkpoints/ (OUT/checkpoint.safetensors is the newest)",
  },
};
