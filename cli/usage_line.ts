/**
 * The one line that a library {@link UsageError} prints as: the library names a
 * configuration field (`batchSize`) or a PyTorch argument (`lr_decay`), the CLI names the
 * flag that sets it (`--batch-size`, `--lr-decay`).
 *
 * @module
 */

import type { UsageError } from "../core/errors.ts";
import { trainFlags } from "./train_flags.ts";

/**
 * `error`'s message, with a configuration field (`batchSize`) or PyTorch argument
 * (`lr_decay`) that a `train` flag sets named as that flag.
 */
export function usageLine(error: UsageError): string {
  const flag = /^[a-z][a-zA-Z_]*$/.test(error.flag) && flagByField.get(fieldKey(error.flag));
  return `${flag ? `--${flag}` : error.flag}: ${error.detail}`;
}

// A field and its flag compare without case, dashes and underscores (`onNonFinite`,
// `--on-nonfinite`; `lr_decay`, `--lr-decay`).
const fieldKey = (name: string) => name.replace(/[-_]/g, "").toLowerCase();
const flagByField = new Map(Object.keys(trainFlags).map((flag) => [fieldKey(flag), flag]));
