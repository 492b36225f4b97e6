/**
 * Golden tests of CReLU, SReLU and Maxout (activations) and of the stack layer
 * `maxout(units, pieces)`: outputs and the gradients of the input and of every parameter
 * against PyTorch 1.13's float64 autograd of their formulas, from
 * tests/fixtures/layers_golden.json (written by tests/fixtures/make_golden_layers.py).
 * Every case runs on every backend of backends.ts at that backend's tolerance
 * (`elementwise` for the activations, `products` for the maxout layer).
 *
 * @module
 */

import {
  activationCatalog,
  activationFromName,
  type Backend,
  backward,
  bindParameters,
  maxoutLayer,
  type Module,
  Rng,
  tensor,
} from "../../mod.ts";
import { assert, assertEquals } from "./asserts.ts";
import { backendsUnderTest, describeBackends, type Tolerance } from "./backends.ts";
import {
  casesTest,
  compareStored,
  decode,
  readFixture,
  runnableBackends,
  type Stored,
  type StoredTensor,
} from "./golden.ts";

/** One case of the fixture. */
interface LayerCase {
  name: string;
  layer: string;
  args: Record<string, number>;
  input: StoredTensor;
  grad_output: StoredTensor;
  output: { shape: number[]; data: Stored[] };
  grad_input: Stored[];
  params: Record<string, StoredTensor>;
  grad_params: Record<string, Stored[]>;
}

const fixture = await readFixture<{ torch: string; cases: LayerCase[] }>("layers_golden.json");

/** The three activations of the fixture, as the registry names them. */
const NAMES = ["crelu", "srelu", "maxout"];

function build(c: LayerCase): Module {
  if (c.layer !== "maxout-layer") return activationFromName(c.layer, c.args);
  const { units, pieces, kernel, padding } = c.args;
  const sample = c.input.shape.slice(1);
  return maxoutLayer({ units, pieces, kernel, padding }, sample, new Rng(0)).module;
}

/** Runs one case on `backend`; returns its failures (empty when it passes). */
async function runCase(backend: Backend, c: LayerCase, tol: Tolerance): Promise<string[]> {
  const layer = build(c);
  const params = layer.namedParameters();
  bindParameters(backend, params);
  const names = params.map(([n]) => n);
  const failures: (string | null)[] = [
    names.join() === Object.keys(c.params).join() ? null : `parameters ${names}`,
  ];
  for (const [name, p] of params) {
    backend.write(p.value.storage, Float32Array.from(decode(c.params[name]?.data ?? [])));
  }
  const x = tensor(backend, decode(c.input.data), c.input.shape, true);
  const y = layer.forward(x);
  backward(y, tensor(backend, decode(c.grad_output.data), c.grad_output.shape));
  // All read-backs in flight at once: from a GPU they wait out one map latency, not one each.
  const [output, gradInput, ...grads] = await Promise.all([
    y.toArray(),
    x.grad!.toArray(),
    ...params.map(([, p]) => p.grad()),
  ]);
  failures.push(
    y.shape.join() === c.output.shape.join() ? null : `output shape [${y.shape}]`,
    compareStored("output", output, decode(c.output.data), tol),
    compareStored("grad_input", gradInput, decode(c.grad_input), tol),
  );
  for (const [i, [name]] of params.entries()) {
    failures.push(compareStored(`grad ${name}`, grads[i], decode(c.grad_params[name]), tol));
  }
  backend.endStep();
  return failures.filter((f): f is string => f !== null).map((f) => `${c.name}: ${f}`);
}

const backends = await backendsUnderTest();
describeBackends("layers_golden_test.ts", backends);

for (const bt of runnableBackends("layers", backends)) {
  for (const name of [...NAMES, "maxout-layer"]) {
    const tol = name === "maxout-layer" ? bt.golden.products : bt.golden.elementwise;
    casesTest(
      bt,
      `layers ${bt.name}: ${name} matches torch ${fixture.torch}`,
      fixture.cases.filter((c) => c.layer === name),
      tol,
      (backend, c) => runCase(backend, c, tol),
    );
  }
}

Deno.test("layers: each has a non-finite case and each catalogue argument set off its default", () => {
  for (const name of NAMES) {
    assert(fixture.cases.some((c) => c.layer === name && c.name.includes("non-finite")), name);
  }
  const unset = activationCatalog.filter((s) => NAMES.includes(s.name)).flatMap(({ name, args }) =>
    args.filter((a) =>
      !fixture.cases.some((c) =>
        c.layer === name && a.name in c.args && c.args[a.name] !== a.default
      )
    ).map((a) => `${name}.${a.name}`)
  );
  assertEquals(unset, []);
});

Deno.test("layers: the comparison fails on a value one tolerance off", async () => {
  const cpu = backends[0];
  const backend = await cpu.create!();
  const tol = cpu.golden.elementwise;
  const c = fixture.cases.find((c) => c.name === "srelu learned [6, 5]")!;
  assertEquals(await runCase(backend, c, tol), []);
  const off = (v: Stored) => Number(v) + 2 * (tol.atol + tol.rtol * Math.abs(Number(v)));
  for (const key of ["output", "grad_input", "grad t_right"] as const) {
    const wrong = structuredClone(c);
    const data = key === "output"
      ? wrong.output.data
      : key === "grad_input"
      ? wrong.grad_input
      : wrong.grad_params.t_right;
    data[2] = off(data[2]);
    const failures = await runCase(backend, wrong, tol);
    assertEquals(failures.length, 1, `${key}: ${failures}`);
    assert(failures[0].startsWith(`${c.name}: ${key}`), failures[0]);
  }
  backend.destroy();
});
