/**
 * Dropout and its random numbers: the Philox2x32-10 fill against Random123's known answer
 * on every backend, bit-identical fills and masks across backends, the fraction dropped,
 * the exact 1/(1 − p) scaling, gradients only through kept units, whole channels for
 * Dropout2d, evaluation as the identity, the seed/offset stream and its saved state, and a
 * data-parallel shard drawing its rows' slice of the whole batch's mask.
 *
 * @module
 */

import {
  type Backend,
  backward,
  createCpuBackend,
  Dropout,
  dropout,
  Dropout2d,
  mul,
  Rng,
  ShapeError,
  sum,
  Tensor,
  tensor,
  UsageError,
} from "../../../mod.ts";
import { philox2x32 } from "../../../core/cpu/random.ts";
import { DropoutBase } from "../../../core/nn/dropout.ts";
import { Sequential } from "../../../core/nn/sequential.ts";
import { assert, assertEquals, assertThrows } from "../asserts.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";

const backends = await backendsUnderTest();
describeBackends("dropout_test.ts", backends);

/** Runs `fn` on a fresh backend of every kind that can run here. */
async function onEachBackend(fn: (b: Backend) => Promise<void>): Promise<void> {
  for (const kind of backends) {
    if (!kind.create) continue;
    const b = await kind.create();
    try {
      await fn(b);
    } finally {
      b.destroy();
    }
  }
}

/** `[value, …]` of a tensor on the host. */
const values = (t: Tensor) => t.toArray();

function ramp(b: Backend, shape: number[], requiresGrad = false): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return tensor(
    b,
    Float32Array.from({ length: n }, (_, i) => 1 + (i % 7) * 0.25),
    shape,
    requiresGrad,
  );
}

Deno.test("philox2x32: Random123's known answers", () => {
  const hex = (w: number[]) => w.map((v) => v.toString(16).padStart(8, "0"));
  assertEquals(hex(philox2x32(0, 0, 0)), ["ff1dae59", "6cd10df2"]);
  assertEquals(hex(philox2x32(0xffffffff, 0xffffffff, 0xffffffff)), ["2c3f628b", "ab4fd7ad"]);
  assertEquals(hex(philox2x32(0x243f6a88, 0x85a308d3, 0x13198a2e)), ["dd7ce038", "f62a4c12"]);
});

Deno.test("randomUniform: element i is Philox2x32-10 of counter offset + i, on every backend", async () => {
  const seed = 0x13198a2e;
  for (const offset of [0, 2 ** 32 - 2, 5 * 2 ** 32 + 17]) {
    const expected = Float32Array.from({ length: 4 }, (_, i) => {
      const counter = BigInt(offset + i);
      const [lo, hi] = [Number(counter & 0xffffffffn), Number(counter >> 32n)];
      return (philox2x32(lo, hi, seed)[0] >>> 8) / 2 ** 24;
    });
    await onEachBackend(async (b) => {
      assertEquals(await b.read(b.randomUniform(4, seed, offset)), expected, `${b.name} ${offset}`);
    });
  }
});

Deno.test("randomUniform: bit-identical across backends, in [0, 1), offsets shift the stream", async () => {
  const cases: [number, number, number][] = [
    [1000, 0, 0],
    [70_000, 0xffffffff, 2 ** 32 - 5000], // the counter's low word wraps mid-fill
    [300, 123, 2 ** 40 + 7],
    [5, 7, 0],
  ];
  const reference: Float32Array[] = [];
  const cpu = createCpuBackend();
  for (const [n, seed, offset] of cases) {
    const u = await cpu.read(cpu.randomUniform(n, seed, offset));
    assert(u.every((v) => v >= 0 && v < 1), "values in [0, 1)");
    assert(u.every((v) => Number.isInteger(v * 2 ** 24)), "multiples of 2⁻²⁴");
    reference.push(u);
  }
  // A fill from offset k continues the fill from 0 at element k.
  assertEquals(
    Array.from(await cpu.read(cpu.randomUniform(10, 9, 3))),
    Array.from((await cpu.read(cpu.randomUniform(13, 9, 0))).subarray(3)),
  );
  await onEachBackend(async (b) => {
    for (const [k, [n, seed, offset]] of cases.entries()) {
      const u = await b.read(b.randomUniform(n, seed, offset));
      assertEquals(u, reference[k], `${b.name}: fill ${k} differs from the CPU's`);
    }
  });
  // Uniform moments: mean 1/2 and variance 1/12 within 5σ.
  const u = reference[1], n = u.length;
  const mean = u.reduce((s, v) => s + v, 0) / n;
  const variance = u.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  assert(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert(Math.abs(variance - 1 / 12) < 5 * Math.sqrt(1 / 180 / n), `variance ${variance}`);
});

Deno.test("randomUniform: a seed outside u32 or a bad offset is refused", () => {
  const cpu = createCpuBackend();
  assertThrows(() => cpu.randomUniform(2, -1, 0), UsageError, "seed", "[0, 2³²)");
  assertThrows(() => cpu.randomUniform(2, 2 ** 32, 0), UsageError, "seed");
  assertThrows(() => cpu.randomUniform(2, 1, 0.5), UsageError, "offset");
  assertThrows(() => cpu.randomUniform(2, 1, -3), UsageError, "offset");
});

Deno.test("Dropout: same mask on every backend, about p dropped, kept values scaled exactly", async () => {
  const p = 0.3, shape = [200, 500];
  let reference: Float32Array | null = null;
  await onEachBackend(async (b) => {
    const layer = new Dropout(new Rng(11), { p });
    const x = ramp(b, shape);
    const y = await values(layer.forward(x));
    const xs = await values(x);
    if (!reference) reference = y;
    assertEquals(y, reference, `${b.name}: mask differs from the first backend's`);
    const scaleBy = Math.fround(1 / (1 - p));
    let dropped = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === 0) dropped++;
      else assertEquals(y[i], Math.fround(xs[i] * scaleBy), `kept value ${i}`);
    }
    const n = y.length;
    assert(
      Math.abs(dropped / n - p) < 5 * Math.sqrt(p * (1 - p) / n),
      `${b.name}: dropped ${dropped / n}, expected ${p}`,
    );
    assertEquals(layer.offset, n);
  });
});

Deno.test("Dropout: the gradient flows through kept units only, scaled by 1/(1 − p)", async () => {
  const p = 0.5;
  await onEachBackend(async (b) => {
    const x = ramp(b, [8, 64], true);
    const g = tensor(b, Float32Array.from({ length: 512 }, (_, i) => (i % 5) - 2.5), [8, 64]);
    const y = new Dropout(new Rng(3), { p }).forward(x);
    backward(sum(mul(y, g)));
    const [ys, gx, gs] = [await values(y), await values(x.grad!), await values(g)];
    let kept = 0;
    for (let i = 0; i < ys.length; i++) {
      const expected = ys[i] === 0 ? 0 : Math.fround(gs[i] * Math.fround(1 / (1 - p)));
      assertEquals(gx[i], expected, `${b.name}: gradient ${i}`);
      if (ys[i] !== 0) kept++;
    }
    assert(kept > 0 && kept < ys.length, "some kept and some dropped");
  });
});

Deno.test("Dropout: identity in evaluation; p = 0 keeps all, p = 1 zeros all", async () => {
  const b = createCpuBackend();
  const x = ramp(b, [4, 6]);
  const layer = new Dropout(new Rng(0), { p: 0.9 }).eval();
  assertEquals(await values(layer.forward(x)), await values(x));
  assertEquals(layer.offset, 0, "evaluation draws nothing");
  assertEquals(await values(new Dropout(new Rng(0), { p: 0 }).forward(x)), await values(x));
  const zeroed = await values(new Dropout(new Rng(0), { p: 1 }).forward(x));
  assert(zeroed.every((v) => v === 0), "p = 1 gives zeros");
  assertEquals(new Dropout(new Rng(0)).p, 0.5, "default p");
});

Deno.test("Dropout: each call draws a new mask; the saved seed and offset replay it", async () => {
  const b = createCpuBackend();
  const x = ramp(b, [16, 16]);
  const layer = new Dropout(new Rng(5));
  const first = await values(layer.forward(x));
  const state = layer.extraState();
  assertEquals(state.offset, 256);
  const second = await values(layer.forward(x));
  assert(first.some((v, i) => v !== second[i]), "consecutive masks differ");
  const resumed = new Dropout(new Rng(99));
  resumed.loadExtraState(state);
  assertEquals(await values(resumed.forward(x)), second, "restored state replays the mask");
  const other = await values(new Dropout(new Rng(6)).forward(x));
  assert(other.some((v, i) => v !== first[i]), "another rng seed, another mask");
  assertThrows(() => resumed.loadExtraState({ seed: -1, offset: 0 }), UsageError, "seed");
  assertThrows(() => resumed.loadExtraState({ seed: 1, offset: 0.5 }), UsageError, "offset");
});

Deno.test("Dropout2d: whole channels dropped, the same on every backend", async () => {
  const p = 0.4, [n, c, h, w] = [40, 50, 3, 2];
  let reference: Float32Array | null = null;
  await onEachBackend(async (b) => {
    const layer = new Dropout2d(new Rng(21), { p });
    const x = ramp(b, [n, c, h, w], true);
    const y = layer.forward(x);
    backward(sum(y));
    const [ys, gx] = [await values(y), await values(x.grad!)];
    if (!reference) reference = ys;
    assertEquals(ys, reference, `${b.name}: channel mask differs from the first backend's`);
    let dropped = 0;
    for (let ch = 0; ch < n * c; ch++) {
      const block = ys.subarray(ch * h * w, (ch + 1) * h * w);
      const grads = gx.subarray(ch * h * w, (ch + 1) * h * w);
      const off = block[0] === 0;
      assert(block.every((v) => (v === 0) === off), `channel ${ch} is partly dropped`);
      const g = off ? 0 : Math.fround(1 / (1 - p));
      assert(grads.every((v) => v === g), `channel ${ch} gradient`);
      if (off) dropped++;
    }
    const channels = n * c;
    assert(
      Math.abs(dropped / channels - p) < 5 * Math.sqrt(p * (1 - p) / channels),
      `dropped ${dropped / channels} of channels, expected ${p}`,
    );
    assertEquals(layer.offset, channels, "one draw per channel");
  });
});

Deno.test("dropout layers: bad p and bad input ranks are refused with the argument named", () => {
  const b = createCpuBackend();
  assertThrows(() => new Dropout(new Rng(0), { p: 1.5 }), UsageError, "Dropout", "p", "1.5");
  assertThrows(() => new Dropout2d(new Rng(0), { p: -0.1 }), UsageError, "Dropout2d", "p");
  assertThrows(() => dropout(ramp(b, [2]), NaN, 0, 0), UsageError, "p");
  assertThrows(
    () => new Dropout2d(new Rng(0)).forward(ramp(b, [3, 4, 5])),
    ShapeError,
    "Dropout2d",
    "4D",
    "[3,4,5]",
  );
});

/** Rows `[from, to)` of a tensor whose first dimension is rows, on the host. */
async function rows(t: Tensor, from: number, to: number): Promise<Float32Array> {
  const all = await values(t);
  const per = all.length / t.shape[0];
  return all.slice(from * per, to * per);
}

/** Two training calls of a whole 8-row batch against a layer told it holds rows 2..4 of it. */
async function shardMatchesWholeBatch(
  b: Backend,
  make: () => DropoutBase,
  sample: number[],
): Promise<void> {
  const whole = make(), shard = make();
  const x = ramp(b, [8, ...sample]);
  const part = tensor(b, await rows(x, 2, 5), [3, ...sample]);
  shard.shard(2, 8);
  for (const call of [1, 2]) {
    const expected = await rows(whole.forward(x), 2, 5);
    const mask = await values(shard.forward(part));
    assert(mask.some((v) => v === 0) && mask.some((v) => v !== 0), "some kept, some dropped");
    assertEquals(mask, expected, `${b.name}: call ${call}, rows 2..4`);
    assertEquals(shard.offset, whole.offset, `${b.name}: offset after call ${call}`);
  }
}

Deno.test("Dropout: rows [2, 5) of an 8-row batch draw exactly those rows of its mask", async () => {
  await onEachBackend(async (b) => {
    await shardMatchesWholeBatch(b, () => new Dropout(new Rng(8), { p: 0.5 }), [6]);
    const whole = new Dropout(new Rng(8));
    whole.forward(ramp(b, [8, 6]));
    assertEquals(whole.offset, 48, "a whole batch advances by its mask's size");
  });
});

Deno.test("Dropout2d: rows [2, 5) of an 8-row batch draw exactly those rows' channel masks", async () => {
  await onEachBackend(async (b) => {
    await shardMatchesWholeBatch(b, () => new Dropout2d(new Rng(9), { p: 0.5 }), [5, 2, 2]);
    const whole = new Dropout2d(new Rng(9));
    whole.forward(ramp(b, [8, 5, 2, 2]));
    assertEquals(whole.offset, 40, "one draw per channel");
  });
});

Deno.test("Dropout: shard(0, n) of an n-row input is the default draw", async () => {
  const b = createCpuBackend();
  const x = ramp(b, [4, 10]);
  const [plain, placed] = [new Dropout(new Rng(2)), new Dropout(new Rng(2))];
  placed.shard(0, 4);
  for (let call = 0; call < 2; call++) {
    assertEquals(await values(placed.forward(x)), await values(plain.forward(x)));
  }
  assertEquals(placed.offset, plain.offset);
});

Deno.test("Dropout: a skipped batch moves the stream as a drawn one does, before the first draw too", async () => {
  const b = createCpuBackend();
  for (const Kind of [Dropout, Dropout2d]) {
    const x = ramp(b, [6, 3, 2, 2]);
    const whole = new Kind(new Rng(4));
    const skipper = new Kind(new Rng(4));
    skipper.shard(0, 6);
    for (const skippedFirst of [true, false]) {
      whole.forward(x); // the step this rank holds no rows of
      skipper.skipBatch(6);
      assertEquals(
        await values(skipper.forward(x)),
        await values(whole.forward(x)),
        `${Kind.name}: after a skip${skippedFirst ? " before any draw" : ""}`,
      );
      assertEquals(skipper.offset, whole.offset, `${Kind.name}: offset`);
    }
    // A restored offset is where the stream stands: skips before it are not caught up.
    const resumed = new Kind(new Rng(0));
    resumed.skipBatch(6);
    resumed.loadExtraState(whole.extraState());
    assertEquals(await values(resumed.forward(x)), await values(whole.forward(x)));
  }
});

Deno.test("Dropout: evaluation draws nothing after shard(); bad shard arguments are refused", () => {
  const b = createCpuBackend();
  const layer = new Dropout(new Rng(1));
  layer.shard(3, 8);
  layer.eval().forward(ramp(b, [5, 2]));
  assertEquals(layer.offset, 0, "evaluation draws nothing");
  layer.train();
  assertThrows(() => layer.shard(-1, 8), UsageError, "Dropout.shard", "firstRow", "[0, 8)");
  assertThrows(() => layer.shard(8, 8), UsageError, "firstRow", "got 8");
  assertThrows(() => layer.shard(0, 0), UsageError, "globalRows", "positive integer");
  assertThrows(() => layer.skipBatch(1.5), UsageError, "Dropout.skipBatch", "globalRows");
  assertThrows(
    () => layer.forward(ramp(b, [6, 2])),
    ShapeError,
    "Dropout",
    "6 rows from row 3",
    "global batch of 8",
  );
  assertEquals(layer.offset, 0, "a refused input draws nothing");
});

Deno.test("modulesOfType: a model's Dropout and Dropout2d layers in registration order", () => {
  const rng = new Rng(0);
  const [a, b] = [new Dropout2d(rng), new Dropout(rng)];
  const model = new Sequential(a, new Sequential(b));
  const found = model.modulesOfType(DropoutBase);
  assertEquals(found.length, 2);
  assert(found[0] === a && found[1] === b, "both layers, in order");
});
