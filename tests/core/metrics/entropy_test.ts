/**
 * Entropy in bits against PyTorch (tests/fixtures/entropy_golden.json, written by
 * tests/fixtures/make_golden_entropy.py): the host functions in float64, the
 * predictive-entropy sum that `Backend.tallyPredictions` keeps on every backend, and the
 * metrics file's `entropy` and `test_entropy` fields after a short run.
 *
 * @module
 */

import {
  createCpuBackend,
  entropyBits,
  predictiveEntropyBits,
  readMetrics,
  ShapeError,
} from "../../../mod.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { DeviceMetrics } from "../../../core/train/device_metrics.ts";
import { defaultTrainConfig } from "../../../core/train/config.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";
import { tensor } from "../../../core/tensor.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../asserts.ts";
import { backendsUnderTest, describeBackends, type Tolerance } from "../backends.ts";
import { backendTest, decode, readFixture, type Stored } from "../golden.ts";
import { strided } from "../train/strided.ts";

interface LogitsCase {
  name: string;
  shape: [number, number];
  data: Stored[];
  labels: number[];
  row_bits: number[];
  mean_bits: number;
}

const fixture = await readFixture<{
  distributions: { name: string; p: number[]; bits: number }[];
  logits: LogitsCase[];
}>("entropy_golden.json");

Deno.test("entropyBits: torch's Categorical entropy / ln 2, within 1e-12", () => {
  for (const c of fixture.distributions) {
    assertClose([entropyBits(c.p)], [c.bits], 1e-12, 1e-12, c.name);
  }
  assertThrows(
    () => entropyBits([0.5, -0.1]),
    ShapeError,
    "probabilities must be ≥ 0, got -0.1 at 1",
  );
  assertThrows(() => entropyBits([0, 0]), ShapeError, "positive finite sum");
});

Deno.test("predictiveEntropyBits: the mean over rows of the softmax's entropy, within 1e-12", () => {
  for (const c of fixture.logits) {
    const [rows, cols] = c.shape;
    assertClose(
      [predictiveEntropyBits(Float32Array.from(decode(c.data)), rows, cols)],
      [c.mean_bits],
      1e-12,
      1e-12,
      c.name,
    );
  }
  assert(Number.isNaN(predictiveEntropyBits([0, Infinity], 1, 2)), "a non-finite row gives NaN");
  assertThrows(() => predictiveEntropyBits([1, 2, 3], 2, 2), ShapeError, "expected 2×2 = 4 scores");
});

// Float32 scores and arithmetic: a row's entropy (≤ log₂ 10 ≈ 3.3 bits) is off by a few
// ULPs on the CPU, and on WebGPU by exp's and log's bounded error (backends.ts).
const TALLY: Record<string, Tolerance> = {
  cpu: { atol: 1e-5, rtol: 1e-5 },
  "cpu-fast": { atol: 1e-5, rtol: 1e-5 },
  webgpu: { atol: 1e-4, rtol: 1e-4 },
};

const backends = await backendsUnderTest();
describeBackends("entropy_test.ts", backends);
for (const bt of backends) {
  backendTest(
    bt,
    `tallyPredictions ${bt.name}: sums[2] adds each row's entropy in bits`,
    async (b) => {
      const sums = b.zeros(3, true);
      for (const c of fixture.logits) {
        const [rows, cols] = c.shape;
        b.tallyPredictions({
          sums,
          logits: b.upload(Float32Array.from(decode(c.data))),
          labels: b.upload(Float32Array.from(c.labels)),
          loss: b.upload(Float32Array.of(0)),
          lossScale: 1,
          rows,
          cols,
        });
      }
      const rowBits = fixture.logits.flatMap((c) => c.row_bits);
      const want = rowBits.reduce((a, v) => a + v, 0);
      // Each row's error adds up in the sum.
      const tol = TALLY[bt.name];
      assertClose([(await b.read(sums))[2]], [want], tol.atol * rowBits.length, tol.rtol, bt.name);
      b.endStep();
    },
  );
}

Deno.test("DeviceMetrics: take() gives the mean entropy and resets it", async () => {
  const b = createCpuBackend();
  const m = new DeviceMetrics(b);
  const c = fixture.logits[0];
  const [rows, cols] = c.shape;
  const loss = tensor(b, [0], [1]);
  m.add(tensor(b, decode(c.data), [rows, cols]), tensor(b, c.labels, [rows]), loss, 1);
  assertClose([(await m.take()).entropy], [c.mean_bits], 1e-5, 1e-5);
  m.add(tensor(b, [0, 0, 0, 0], [1, 4]), tensor(b, [1], [1]), loss, 1);
  assertClose([(await m.take()).entropy], [2], 1e-6, 0);
});

Deno.test("the metrics file has entropy per step and epoch, and test_entropy per epoch", async () => {
  const mnist = await loadDataset("mnist");
  const dir = await Deno.makeTempDir();
  try {
    const config = { ...defaultTrainConfig, model: "784-16-10", epochs: 2, batchSize: 50 };
    await fitConfig(config, createCpuBackend(), {
      train: strided(mnist.train, 16),
      test: strided(mnist.test, 8),
    }, {
      checkpointPath: `${dir}/c.safetensors`,
      metricsPath: `${dir}/m.jsonl`,
      logEvery: 5,
      evalEvery: 1,
    });
    const records = await readMetrics(`${dir}/m.jsonl`);
    const epochs = records.filter((r) => r.kind === "epoch");
    assertEquals(epochs.length, 2);
    for (const r of records) {
      assert(
        r.train_entropy! > 0 && r.train_entropy! < Math.log2(10),
        `${r.kind} ${r.step}: ${r.train_entropy}`,
      );
    }
    for (const r of epochs) {
      const test = r.kind === "epoch" ? r.test_entropy! : NaN;
      assert(test > 0 && test < Math.log2(10), `test_entropy ${test}`);
    }
    // Training makes the predictions more confident.
    assert(
      epochs[1].train_entropy! < epochs[0].train_entropy!,
      `${epochs.map((r) => r.train_entropy)}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
