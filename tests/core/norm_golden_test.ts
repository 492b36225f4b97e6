/**
 * Golden tests of BatchNorm1d and BatchNorm2d against PyTorch 1.13, from
 * tests/fixtures/norm_golden.json (written by tests/fixtures/make_golden_norm.py): three
 * training calls (output, gradients of input, γ and β), the running statistics and
 * `num_batches_tracked` after them, then an evaluation call, for every case on every
 * backend of backends.ts.
 *
 * Tolerance: on the CPU, the fixture's own `tolerance` (|ours − torch| ≤ atol + rtol·|torch|,
 * atol 1e-5, rtol 1e-4), which the generator checks torch's own float32 run meets (worst:
 * 0.79 of it, the input gradient of a two-sample batch, which is pure cancellation). The
 * WebGPU backend gets it scaled by the factors backends.ts allows that backend over the CPU
 * for elementwise ops. Measured worst: 0.44 of the unscaled tolerance on the CPU and on
 * llvmpipe alike (that same two-sample gradient).
 *
 * @module
 */

import {
  type Backend,
  backward,
  BatchNorm,
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  bindParameters,
  type FlatParameters,
  tensor,
} from "../../mod.ts";
import { assertClose, assertEquals } from "./asserts.ts";
import {
  backendsUnderTest,
  type BackendUnderTest,
  CPU_TOLERANCE,
  describeBackends,
  type Tolerance,
} from "./backends.ts";
import { readFixture } from "./golden.ts";

interface StoredTensor {
  shape: number[];
  data: number[];
}
interface Call {
  input: StoredTensor;
  grad_output: StoredTensor;
  output: StoredTensor;
  grad_input: StoredTensor;
  grad_weight: StoredTensor | null;
  grad_bias: StoredTensor | null;
}
interface NormCase {
  name: string;
  module: "BatchNorm1d" | "BatchNorm2d";
  num_features: number;
  options: Required<BatchNormOptions>;
  weight: StoredTensor | null;
  bias: StoredTensor | null;
  steps: Call[];
  running_mean: StoredTensor | null;
  running_var: StoredTensor | null;
  num_batches_tracked: number | null;
  eval: Call;
}

const fixture = await readFixture<{
  torch: string;
  tolerance: Tolerance;
  batch_norm: NormCase[];
}>("norm_golden.json");

const backends = await backendsUnderTest();
describeBackends("norm_golden_test.ts", backends);

/** The fixture's tolerance, widened by the backend's elementwise allowance over the CPU's. */
function toleranceFor(b: BackendUnderTest): Tolerance {
  const cpu = CPU_TOLERANCE.elementwise, own = b.golden.elementwise;
  return {
    atol: fixture.tolerance.atol * own.atol / cpu.atol,
    rtol: fixture.tolerance.rtol * own.rtol / cpu.rtol,
  };
}

function build(c: NormCase): BatchNorm {
  const Layer = c.module === "BatchNorm1d" ? BatchNorm1d : BatchNorm2d;
  const bn = new Layer(c.num_features, c.options);
  if (c.weight && c.bias) {
    bn.weight!.init.set(c.weight.data);
    bn.bias!.init.set(c.bias.data);
  }
  return bn;
}

function check(label: string, values: Float32Array, ref: StoredTensor, tol: Tolerance): void {
  assertClose(values, ref.data, tol.atol, tol.rtol, label);
}

async function runCall(
  backend: Backend,
  bn: BatchNorm,
  flat: FlatParameters,
  call: Call,
  label: string,
  tol: Tolerance,
): Promise<void> {
  backend.write(flat.grads, new Float32Array(flat.size));
  const x = tensor(backend, call.input.data, call.input.shape, true);
  const y = bn.forward(x);
  backward(y, tensor(backend, call.grad_output.data, call.grad_output.shape));
  // All read-backs in flight at once: from a GPU they wait out one map latency, not four.
  const [output, gradInput, gradWeight, gradBias] = await Promise.all([
    y.toArray(),
    x.grad!.toArray(),
    ...(call.grad_weight && call.grad_bias ? [bn.weight!.grad(), bn.bias!.grad()] : []),
  ]);
  assertEquals(y.shape, call.output.shape, `${label} output: shape`);
  assertEquals(x.grad!.shape, call.grad_input.shape, `${label} grad_input: shape`);
  check(`${label} output`, output, call.output, tol);
  check(`${label} grad_input`, gradInput, call.grad_input, tol);
  if (call.grad_weight && call.grad_bias) {
    check(`${label} grad_weight`, gradWeight, call.grad_weight, tol);
    check(`${label} grad_bias`, gradBias, call.grad_bias, tol);
  }
  backend.endStep();
}

for (const b of backends) {
  const tol = toleranceFor(b);
  for (const c of fixture.batch_norm) {
    Deno.test({
      name: `${c.module} ${c.name} matches torch ${fixture.torch} (${b.name})`,
      ignore: !b.create,
      async fn() {
        const backend = await b.create!();
        try {
          const bn = build(c);
          const flat = bindParameters(backend, bn.namedParameters());
          for (const [k, step] of c.steps.entries()) {
            await runCall(backend, bn, flat, step, `${c.name} step ${k}`, tol);
          }
          if (c.running_mean && c.running_var) {
            check("running_mean", await bn.runningMean!.read(), c.running_mean, tol);
            check("running_var", await bn.runningVar!.read(), c.running_var, tol);
            assertEquals(
              Array.from(await bn.numBatchesTracked!.read()),
              [c.num_batches_tracked],
              "num_batches_tracked",
            );
          } else {
            assertEquals(bn.namedBuffers().length, 0, "buffers without trackRunningStats");
          }
          bn.eval();
          await runCall(backend, bn, flat, c.eval, `${c.name} eval`, tol);
        } finally {
          backend.destroy();
        }
      },
    });
  }
}
