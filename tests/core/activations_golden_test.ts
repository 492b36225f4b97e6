/**
 * Golden tests of every activation: the output and the gradients (of the input, and of
 * PReLU's weight) against PyTorch 1.13's float64 autograd, from
 * tests/fixtures/activations_golden.json (written by
 * tests/fixtures/make_golden_activations.py). Each case builds its layer with
 * `activationFromName(activation, args)`, so the registry's names and argument names are
 * checked against the torch modules the script built from the same ones. A case runs
 * forward, then `backward(out, g)` with the case's upstream gradient.
 *
 * Every case runs on every backend of backends.ts at that backend's `elementwise`
 * tolerance (the fixture's own tolerance is the CPU's, which torch's float32 meets).
 * Also here: core/erf.ts against torch.special.erf and erfc, and the WebGPU erf against
 * float64 on a dense grid.
 *
 * @module
 */

import {
  activationCatalog,
  activationNames as allActivationNames,
  binaryOps,
  createCpuBackend,
  tensor,
  unary,
  unaryOps,
} from "../../mod.ts";
import { erf, erfc } from "../../core/erf.ts";
import { assert, assertClose, assertEquals } from "./asserts.ts";
import { backendsUnderTest, describeBackends } from "./backends.ts";
import { elementwiseOpsExercised, fixture, runCase } from "./activation_cases.ts";
import { casesTest, readFixture, runnableBackends } from "./golden.ts";

// CReLU, SReLU and Maxout change the width or learn four parameters per channel: their
// cases are in layers_golden.json (layers_golden_test.ts), the others' here.
const elsewhere = new Set(
  (await readFixture<{ cases: { layer: string }[] }>("layers_golden.json")).cases.map((c) =>
    c.layer
  ),
);
const activationNames = allActivationNames.filter((n) => !elsewhere.has(n));
const backends = await backendsUnderTest();
describeBackends("activations_golden_test.ts", backends);

for (const bt of runnableBackends("activations", backends)) {
  const tol = bt.golden.elementwise;
  for (const name of activationNames) {
    casesTest(
      bt,
      `activations ${bt.name}: ${name} matches torch ${fixture.torch}`,
      fixture.cases.filter((c) => c.activation === name),
      tol,
      (backend, c) => runCase(backend, c, tol),
    );
  }
}

Deno.test("activations: every registry name has cases, with each argument set off its default", () => {
  const covered = new Set(fixture.cases.map((c) => c.activation));
  assertEquals(activationNames.filter((n) => !covered.has(n)), []);
  assertEquals([...covered].filter((n) => !activationNames.includes(n)), []);
  const unset = activationCatalog.filter((s) => !elsewhere.has(s.name)).flatMap(({ name, args }) =>
    args.filter((a) =>
      !fixture.cases.some((c) =>
        c.activation === name && a.name in c.args && c.args[a.name] !== a.default
      )
    ).map((a) => `${name}.${a.name}`)
  );
  assertEquals(unset, []);
});

Deno.test("activations: every op the cases run forward also runs its `*_grad` backward", async () => {
  const seen = await elementwiseOpsExercised();
  const missing = [...seen].filter((op) =>
    op in unaryOps && `${op}_grad` in binaryOps && !seen.has(`${op}_grad`)
  );
  assertEquals(missing, []);
  assert(seen.has("gelu_tanh_grad") && seen.has("hardtanh_grad"), "the recording saw nothing");
});

Deno.test("activations: the comparison fails on a value one tolerance off", async () => {
  const cpu = backends[0];
  const backend = await cpu.create!();
  const tol = cpu.golden.elementwise;
  const c = fixture.cases.find((c) => c.args.num_parameters === 5)!;
  assertEquals(await runCase(backend, c, tol), []);
  for (const key of ["output", "grad_input", "grad_weight"] as const) {
    const wrong = structuredClone(c);
    const v = Number(wrong[key]![2]);
    wrong[key]![2] = v + 2 * (tol.atol + tol.rtol * Math.abs(v));
    const failures = await runCase(backend, wrong, tol);
    assertEquals(failures.length, 1, `${key}: ${failures}`);
    assert(failures[0].startsWith(`${c.name}: ${key}[2]: `), failures[0]);
  }
  backend.destroy();
});

Deno.test("activations: every registry name has a NaN and ±Inf case; a wrong special value fails", async () => {
  const special = fixture.cases.filter((c) => c.name.includes("non-finite"));
  assertEquals(activationNames.filter((n) => !special.some((c) => c.activation === n)), []);
  for (const c of special) {
    assert(["NaN", "Infinity", "-Infinity"].every((v) => c.input.data.includes(v)), c.name);
  }
  const backend = createCpuBackend();
  const relu = special.find((c) => c.activation === "relu")!;
  assertEquals(await runCase(backend, relu, backends[0].golden.elementwise), []);
  for (const [i, value] of [[0, 0], [1, "NaN"], [2, "-Infinity"]] as const) {
    const wrong = structuredClone(relu);
    wrong.output[i] = value;
    const failures = await runCase(backend, wrong, backends[0].golden.elementwise);
    assertEquals(failures.length, 1, `output[${i}] = ${value}: ${failures}`);
  }
});

Deno.test("erf, erfc: within 1e-14 of torch.special in float64 (relative, where erfc is tiny)", () => {
  const { x, erf: erfRef, erfc: erfcRef } = fixture.erf;
  assertClose(x.map(erf), erfRef, 1e-15, 1e-14, "erf");
  assertClose(x.map(erfc), erfcRef, 0, 1e-14, "erfc");
  assertEquals([erf(Infinity), erf(-Infinity), erfc(Infinity), erfc(-Infinity)], [1, -1, 0, 2]);
  assert(Number.isNaN(erf(NaN)) && Number.isNaN(erfc(NaN)), "NaN gives NaN");
});

Deno.test({
  name: "webgpu: the exact GELU's Φ (its WGSL erf) within 1e-7 of float64 on [-6, 6]",
  ignore: backends[1].create === null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const gpu = await backends[1].create!();
    try {
      // gelu(x) = x·Φ(x): an error δ in Φ is |x|·δ in the output, on top of its rounding
      // (1 ULP). 0.921875 and 4 are where the WGSL erf switches polynomials. Measured on
      // llvmpipe: δ ≤ 5.6e-8 (Abramowitz–Stegun 7.1.26's erf would give ~1.3e-7).
      const x = Float32Array.from({ length: 120001 }, (_, i) => -6 + i / 10000);
      const got = await unary("gelu", tensor(gpu, x, [x.length])).toArray();
      const want = await unary("gelu", tensor(createCpuBackend(), x, [x.length])).toArray();
      const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v) || 2 ** -126)) - 23);
      const bad = Array.from(x.keys()).filter((i) =>
        !(Math.abs(got[i] - want[i]) <= ulp(want[i]) + 1e-7 * Math.abs(x[i]))
      );
      assertEquals(bad.slice(0, 5).map((i) => [x[i], got[i], want[i]]), []);
    } finally {
      gpu.destroy();
    }
  },
});
