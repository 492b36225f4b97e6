/**
 * Every fused optimizer record (one file each, see `core/optim/optimizer_record.ts`), in
 * catalogue order. Adding an optimizer is a file beside these (its record, its WGSL) and
 * one line here.
 *
 * @module
 */

import { adadelta } from "./adadelta.ts";
import { adagrad } from "./adagrad.ts";
import { adam, adamw } from "./adam.ts";
import { adamax } from "./adamax.ts";
import { asgd } from "./asgd.ts";
import { nadam } from "./nadam.ts";
import { radam } from "./radam.ts";
import { rmsprop } from "./rmsprop.ts";
import { rprop } from "./rprop.ts";
import { sgd } from "./sgd.ts";
import { sparseAdam } from "./sparse_adam.ts";

/** The fused optimizer records, in catalogue order. */
export const optimizerRecords = [
  sgd,
  asgd,
  adagrad,
  adadelta,
  rmsprop,
  adam,
  adamw,
  adamax,
  nadam,
  radam,
  rprop,
  sparseAdam,
] as const;
