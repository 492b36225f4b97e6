/**
 * The cases of tests/fixtures/activations_golden.json and how one runs: shared by
 * activations_golden_test.ts, which runs them all on every backend, and golden_test.ts,
 * which counts the elementwise ops they exercise as covered.
 *
 * @module
 */

import {
  activationFromName,
  type Backend,
  backward,
  bindParameters,
  createCpuBackend,
  tensor,
  type UnaryOpName,
} from "../../mod.ts";
import { assertClose } from "./asserts.ts";
import type { Tolerance } from "./backends.ts";
import { decode, readFixture, type Stored, type StoredTensor } from "./golden.ts";

/** One case of the fixture; NaN and ±∞ are stored as strings (`Stored`). */
export interface ActivationCase {
  name: string;
  activation: string;
  args: Record<string, number | string>;
  input: StoredTensor;
  grad_output: StoredTensor;
  output: Stored[];
  grad_input: Stored[];
  weight?: StoredTensor;
  grad_weight?: Stored[];
}

/** tests/fixtures/activations_golden.json. */
export const fixture = await readFixture<{
  torch: string;
  tolerance: Tolerance;
  cases: ActivationCase[];
  erf: { x: number[]; erf: number[]; erfc: number[] };
}>("activations_golden.json");

/**
 * Returns a failure message, or null when `got` is within `tol` of `expected` where that is
 * finite and is exactly the same NaN or ±∞ where it is not.
 */
function compare(label: string, got: ArrayLike<number>, stored: Stored[], tol: Tolerance) {
  const expected = decode(stored);
  const special = expected.findIndex((e, i) =>
    Number.isFinite(e) ? !Number.isFinite(got[i]) : !Object.is(e, got[i])
  );
  if (special >= 0) return `${label}[${special}]: ${got[special]}, expected ${expected[special]}`;
  const finite = (v: number, i: number) => (Number.isFinite(expected[i]) ? v : 0);
  try {
    assertClose(Array.from(got, finite), expected.map(finite), tol.atol, tol.rtol, label);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs one case on `backend`; returns its failures (empty when it passes). */
export async function runCase(
  backend: Backend,
  c: ActivationCase,
  tol: Tolerance,
): Promise<string[]> {
  const act = activationFromName(c.activation, c.args);
  const params = act.namedParameters();
  bindParameters(backend, params);
  const weight = params.find(([name]) => name === "weight")?.[1];
  if (c.weight) backend.write(weight!.value.storage, Float32Array.from(decode(c.weight.data)));
  const x = tensor(backend, decode(c.input.data), c.input.shape, true);
  const y = act.forward(x);
  backward(y, tensor(backend, decode(c.grad_output.data), c.grad_output.shape));
  // All read-backs in flight at once: from a GPU they wait out one map latency, not three.
  const [output, gradInput, gradWeight] = await Promise.all([
    y.toArray(),
    x.grad!.toArray(),
    c.grad_weight ? weight!.grad() : null,
  ]);
  const failures = [
    y.shape.join() === c.input.shape.join() ? null : `output shape [${y.shape}]`,
    compare("output", output, c.output, tol),
    compare("grad_input", gradInput, c.grad_input, tol),
    c.grad_weight ? compare("grad_weight", gradWeight!, c.grad_weight, tol) : null,
  ];
  backend.endStep();
  return failures.filter((f): f is string => f !== null).map((f) => `${c.name}: ${f}`);
}

/** The unary and binary elementwise ops that running every case calls on the CPU backend. */
export async function elementwiseOpsExercised(): Promise<Set<string>> {
  const seen = new Set<string>();
  const cpu = createCpuBackend();
  const recording: Backend = Object.create(cpu);
  recording.unary = (op: UnaryOpName, ...rest) => (seen.add(op), cpu.unary(op, ...rest));
  recording.binary = (args) => (seen.add(args.op), cpu.binary(args));
  const loose = { atol: Infinity, rtol: Infinity };
  for (const c of fixture.cases) await runCase(recording, c, loose);
  return seen;
}
