/**
 * Initialisers against torch.nn.init: calculate_gain and the fans equal PyTorch's values
 * from tests/fixtures/norm_golden.json (written by make_golden_norm.py); each random
 * initialiser's sample over a large tensor has the spread torch's formula gives (std within
 * 5 standard errors, uniform ones inside and reaching their bound); orthogonal_ gives
 * orthonormal rows or columns times gain; the registry builds each by name with PyTorch's
 * arguments and refuses bad ones.
 *
 * @module
 */

import {
  calculateGain,
  constant_,
  fanInAndFanOut,
  initCatalog,
  initFromName,
  initNames,
  kaimingNormal_,
  normal_,
  ones_,
  orthogonal_,
  Parameter,
  Rng,
  ShapeError,
  uniform_,
  UsageError,
  xavierUniform_,
  zeros_,
} from "../../../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../asserts.ts";

interface InitFixture {
  gains: { nonlinearity: string; param: number | null; gain: number }[];
  fans: { shape: number[]; fan_in: number; fan_out: number }[];
  stds: {
    fn: string;
    shape: number[];
    args: Record<string, number | string>;
    std: number;
    bound: number | null;
  }[];
}

const { init: fixture } = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/norm_golden.json", import.meta.url)),
) as { init: InitFixture };

function target(shape: number[]): Parameter {
  return new Parameter(shape, new Float32Array(shape.reduce((a, d) => a * d, 1)));
}

function moments(v: Float32Array): { mean: number; std: number; maxAbs: number } {
  const n = v.length;
  let sum = 0, maxAbs = 0;
  for (const x of v) {
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / n;
  let squares = 0;
  for (const x of v) squares += (x - mean) ** 2;
  return { mean, std: Math.sqrt(squares / (n - 1)), maxAbs };
}

Deno.test("calculateGain: PyTorch's value for every nonlinearity", () => {
  for (const { nonlinearity, param, gain } of fixture.gains) {
    assertClose(
      [calculateGain(nonlinearity, param)],
      [gain],
      0,
      1e-15,
      `${nonlinearity}(${param})`,
    );
  }
  assertThrows(() => calculateGain("gelu"), UsageError, "calculate_gain", '"gelu"', "tanh");
});

Deno.test("fanInAndFanOut: PyTorch's fans; fewer than 2 dimensions is refused", () => {
  for (const { shape, fan_in, fan_out } of fixture.fans) {
    assertEquals(fanInAndFanOut(shape), [fan_in, fan_out], `[${shape}]`);
  }
  assertThrows(() => fanInAndFanOut([5]), ShapeError, "2 or more dimensions", "[5]");
  assertThrows(() => xavierUniform_(target([7]), new Rng(0)), ShapeError, "xavier_uniform_");
});

Deno.test("xavier and kaiming: the spread of torch's formula, uniform ones within their bound", () => {
  for (const [k, c] of fixture.stds.entries()) {
    const w = target(c.shape);
    initFromName(c.fn, c.args)(w, new Rng(k));
    const n = w.size;
    const { mean, std, maxAbs } = moments(w.init);
    const label = `${c.fn} [${c.shape}] ${JSON.stringify(c.args)}`;
    // Standard error of a sample std: σ/√(2n) for a normal, less for a uniform.
    assert(Math.abs(std / c.std - 1) < 5 / Math.sqrt(2 * n), `${label}: std ${std}, ${c.std}`);
    assert(Math.abs(mean) < 5 * c.std / Math.sqrt(n), `${label}: mean ${mean}`);
    if (c.bound !== null) {
      assert(maxAbs <= Math.fround(c.bound), `${label}: |w| ${maxAbs} > ${c.bound}`);
      assert(maxAbs > 0.995 * c.bound, `${label}: |w| never near the bound ${c.bound}`);
    } else {
      assert(maxAbs > 3 * c.std, `${label}: a normal sample this large has tails`);
    }
  }
});

Deno.test("orthogonal_: orthonormal rows or columns times gain, for tall, wide and conv shapes", () => {
  for (
    const [shape, gain] of [[[40, 40], 1], [[60, 25], 2], [[10, 3, 3, 3], 0.5], [
      [1, 9],
      1,
    ]] as const
  ) {
    const w = orthogonal_(target([...shape]), new Rng(4), gain);
    const rows = shape[0], cols = w.init.length / rows;
    // The Gram matrix of the shorter side's vectors is gain²·I.
    const [count, length] = rows <= cols ? [rows, cols] : [cols, rows];
    const at = (v: number, i: number) => (rows <= cols ? v * cols + i : i * cols + v);
    for (let a = 0; a < count; a++) {
      for (let b = 0; b < count; b++) {
        let dot = 0;
        for (let i = 0; i < length; i++) dot += w.init[at(a, i)] * w.init[at(b, i)];
        const expected = a === b ? gain * gain : 0;
        assert(Math.abs(dot - expected) < 1e-5, `[${shape}] gram[${a}, ${b}] = ${dot}`);
      }
    }
  }
  const a = orthogonal_(target([5, 5]), new Rng(1)).init;
  const b = orthogonal_(target([5, 5]), new Rng(2)).init;
  assert(a.some((v, i) => v !== b[i]), "another rng, another matrix");
  assertThrows(() => orthogonal_(target([6]), new Rng(0)), ShapeError, "orthogonal_", "[6]");
});

Deno.test("uniform_, normal_, constant_, zeros_, ones_: PyTorch's arguments and defaults", () => {
  const u = uniform_(target([100, 100]), new Rng(0), -3, -1).init;
  assert(u.every((v) => v >= -3 && v <= -1), "uniform_ within [a, b]");
  assert(Math.abs(moments(u).mean + 2) < 0.02, "uniform_ mean");
  const unit = uniform_(target([50, 50]), new Rng(0)).init;
  assert(unit.every((v) => v >= 0 && v <= 1), "uniform_ defaults to [0, 1]");
  const g = moments(normal_(target([200, 100]), new Rng(0), 4, 0.5).init);
  assert(Math.abs(g.mean - 4) < 0.02 && Math.abs(g.std - 0.5) < 0.01, `normal_ ${g.mean} ${g.std}`);
  assert(Math.abs(moments(normal_(target([200, 100]), new Rng(1)).init).std - 1) < 0.02);
  assert(constant_(target([3, 2]), 0.25).init.every((v) => v === 0.25));
  assert(zeros_(target([3])).init.every((v) => v === 0));
  assert(ones_(target([2, 2])).init.every((v) => v === 1));
  assertThrows(() => uniform_(target([2]), new Rng(0), 1, 0), UsageError, "uniform_", "a ≤ b");
  assertThrows(() => normal_(target([2]), new Rng(0), 0, -1), UsageError, "normal_", "std");
});

Deno.test("initFromName: every catalogue entry builds with its defaults; bad arguments are refused", () => {
  assertEquals(initNames, initCatalog.map((s) => s.name));
  for (const spec of initCatalog) {
    assert(spec.pytorch.startsWith("nn.init."), `${spec.name}: PyTorch name`);
    for (const arg of spec.args) {
      assertEquals(Object.keys(arg).sort(), ["default", "doc", "name"], `${spec.name} ${arg.name}`);
    }
    if (spec.name === "constant") continue;
    const w = initFromName(spec.name)(target([8, 6]), new Rng(0));
    assert(w.init.every(Number.isFinite), `${spec.name}: finite values`);
  }
  const k = kaimingNormal_(target([64, 32]), new Rng(3), { mode: "fan_out", nonlinearity: "relu" });
  const viaName = initFromName("kaiming-normal", { mode: "fan_out", nonlinearity: "relu" })(
    target([64, 32]),
    new Rng(3),
  );
  assertEquals(viaName.init, k.init, "by name and by function draw the same");
  assertThrows(() => initFromName("he"), UsageError, "init", "xavier-uniform", '"he"');
  assertThrows(() => initFromName("xavier-uniform", { gian: 2 }), UsageError, "gian", "gain");
  assertThrows(() => initFromName("ones", { val: 2 }), UsageError, "takes none");
  assertThrows(() => initFromName("normal", { std: "1" }), UsageError, "std", "number");
  assertThrows(() => initFromName("constant"), UsageError, "constant", "val", "required");
  assertThrows(() => initFromName("kaiming-uniform", { mode: "fan_avg" }), UsageError, "mode");
  assertThrows(
    () => initFromName("kaiming-uniform", { nonlinearity: "swish" }),
    UsageError,
    "swish",
  );
});
