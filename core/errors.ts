/**
 * Typed errors. Each names what it concerns (a file, a flag, a rank) so that the CLI can
 * print one line and pick the exit code: {@link UsageError} and {@link DataFormatError}
 * mean bad input (exit 2); the rest are runtime failures (exit 1).
 *
 * @module
 */

/** Base class: `exitCode` is what the CLI exits with when this error reaches it. */
export class GradmeshError extends Error {
  /** Process exit code for this kind of failure. */
  readonly exitCode: number = 1;
  /** `message`: one line saying what went wrong. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A bad argument or configuration value. `flag` names it: a configuration field in the
 * library (`batchSize`, which the CLI prints as its flag, `--batch-size`), a PyTorch
 * argument (`weight_decay`), or a flag the CLI parsed.
 */
export class UsageError extends GradmeshError {
  /** Bad usage or input: exit code 2. */
  override readonly exitCode = 2;
  /** `flag`: the flag, field or argument concerned; `detail`: what was expected. */
  constructor(readonly flag: string, readonly detail: string) {
    super(`${flag}: ${detail}`);
  }
}

/** A data file that is missing, truncated or not in the expected format. */
export class DataFormatError extends GradmeshError {
  /** Bad input: exit code 2. */
  override readonly exitCode = 2;
  /** `file`: the data file concerned. */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** A checkpoint that cannot be read or does not fit the model. */
export class CheckpointError extends GradmeshError {
  /** Bad input: exit code 2. */
  override readonly exitCode = 2;
  /** `file`: the checkpoint concerned. */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/** A tensor shape that an op or layer cannot accept. */
export class ShapeError extends GradmeshError {
  /** `op`: the op or layer that refused the shape. */
  constructor(readonly op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

/** An output file or directory that cannot be written (read-only, full, not a directory). */
export class OutputError extends GradmeshError {
  override readonly exitCode = 2;
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

/**
 * A value that must be finite is NaN or ±∞: a diverged training step, or a checkpoint that
 * would hold such a value. The message names the step or file and the tensor.
 */
export class NonFiniteError extends GradmeshError {}
