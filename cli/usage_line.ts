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
  const kebab = error.flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replaceAll("_", "-");
  const subject = /^[a-z][a-zA-Z_]*$/.test(error.flag) && kebab in trainFlags
    ? `--${kebab}`
    : error.flag;
  return `${subject}: ${error.detail}`;
}
