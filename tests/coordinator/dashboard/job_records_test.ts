import assert from "node:assert/strict";
import { defaultTrainConfig } from "../../../core/train/config.ts";
import type { MetricsRecord } from "../../../core/metrics/jsonl.ts";
import { Coordinator } from "../../../coordinator/job/coordinator.ts";
import { coordinatorApp } from "../../../coordinator/job/coordinator_app.ts";
import type { CoordinatorClient } from "../../../coordinator/job/coordinator_client.ts";
import { RECORDS_EVERY_MS, RecordsSender } from "../../../coordinator/job/records_sender.ts";
import {
  MAX_RECORDS_PER_REPORT,
  parseHeartbeat,
  parseRecordsReport,
  type RecordsReport,
} from "../../../coordinator/job/wire.ts";
import { WireFormatError } from "../../../coordinator/job/job_errors.ts";
import { followJob, jobView } from "../../../coordinator/dashboard/job_view.ts";
import { dashboardApp } from "../../../coordinator/dashboard/dashboard_app.ts";
import { DashboardFeed } from "../../../coordinator/dashboard/dashboard_feed.ts";
import { serveDashboard } from "../../../coordinator/dashboard/dashboard_server.ts";

const TOKEN = "records-token-0123456789";
const record = (step: number): MetricsRecord => ({
  kind: "step",
  epoch: 1,
  step,
  train_loss: 1,
  train_acc: 0.5,
  lr: 0.01,
  samples_per_s: 100,
  wall_s: 1,
});

Deno.test("records reports: step and epoch records pass, anything else is a 400 naming the field", () => {
  const epoch = { ...record(8), kind: "epoch", test_loss: null, test_acc: 0.5, train_loss: null };
  const report = parseRecordsReport({ rank: 0, records: [record(4), epoch] });
  assert.equal(report.records.length, 2);
  assert.ok(Number.isNaN(report.records[1].train_loss), "a diverged loss (null) comes back as NaN");
  const bad: [unknown, RegExp][] = [
    [{ rank: 0, records: "x" }, /^records: expected an array of at most 40/],
    [{ rank: 0, records: Array(MAX_RECORDS_PER_REPORT + 1).fill(record(1)) }, /^records:/],
    [{ rank: 0, records: [{ ...record(1), kind: "batch" }] }, /^kind: expected "step" or "epoch"/],
    [{ rank: 0, records: [{ ...record(1), lr: "fast" }] }, /^lr: expected a number/],
    [{ rank: 0, records: [{ ...record(1), step: -1 }] }, /^step: expected a non-negative integer/],
  ];
  for (const [body, message] of bad) {
    assert.throws(() => parseRecordsReport(body), (e: Error) => {
      assert.ok(e instanceof WireFormatError);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("heartbeats may carry step and all-reduce times (milliseconds >= 0)", () => {
  assert.deepEqual(parseHeartbeat({ rank: 1, step: 5, stepMs: 12.5, allReduceMs: 3 }), {
    rank: 1,
    step: 5,
    stepMs: 12.5,
    allReduceMs: 3,
  });
  assert.deepEqual(parseHeartbeat({ rank: 1, step: 5 }), { rank: 1, step: 5 });
  assert.throws(
    () => parseHeartbeat({ rank: 1, step: 5, stepMs: -1 }),
    /^WireFormatError: stepMs: expected milliseconds/,
  );
});

Deno.test("the coordinator passes rank 0's records on and shows each rank's timings", async () => {
  const received: MetricsRecord[] = [];
  const job = new Coordinator({
    world: 2,
    config: defaultTrainConfig,
    out: "runs/x",
    onRecords: (records) => received.push(...records),
  });
  try {
    const app = coordinatorApp(job, { token: TOKEN });
    const post = (path: string, body: unknown) =>
      app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const offer = (host: string) => ({ host, ringUrl: `http://${host}:1`, adapter: "cpu" });
    await Promise.all([job.join(offer("10.0.0.1")), job.join(offer("10.0.0.2"))]);
    assert.equal(jobView(job.status()).state, "training");
    assert.equal((await post("/v1/records", { rank: 0, records: [record(5)] })).status, 204);
    assert.deepEqual(received, [record(5)]);
    assert.equal((await post("/v1/records", { rank: 0, records: [{}] })).status, 400);
    await post("/v1/heartbeat", { rank: 1, step: 7, stepMs: 20, allReduceMs: 4 });
    const view = jobView(job.status());
    assert.equal(view.world, 2);
    assert.deepEqual(
      view.ranks.map(({ rank, step, stepMs, allReduceMs }) => ({
        rank,
        step,
        stepMs,
        allReduceMs,
      })),
      [
        { rank: 0, step: 0, stepMs: null, allReduceMs: null },
        { rank: 1, step: 7, stepMs: 20, allReduceMs: 4 },
      ],
    );
    job.close();
    const failed = jobView(job.status());
    assert.equal(failed.state, "failed");
    assert.match(failed.error ?? "", /shut down/);
  } finally {
    job.close();
  }
});

Deno.test("rank 0's records go out in batches of at most 40, within half a second", async () => {
  const reports: RecordsReport[] = [];
  const client = {
    records: (report: RecordsReport) => {
      reports.push(report);
      return Promise.resolve();
    },
  } as unknown as CoordinatorClient;
  const sender = new RecordsSender(client, 0);
  for (let i = 1; i <= 90; i++) sender.add(record(i));
  assert.equal(reports.length, 0, "nothing is sent at once");
  await new Promise((resolve) => setTimeout(resolve, RECORDS_EVERY_MS + 100));
  assert.deepEqual(reports.map((r) => r.records.length), [40, 40, 10]);
  sender.add(record(91));
  await sender.flush();
  assert.deepEqual(reports.map((r) => r.records[0].step), [1, 41, 81, 91]);
});

Deno.test("a dashboard on a socket streams events and shutdown ends them", async () => {
  const feed = new DashboardFeed("r");
  const server = serveDashboard({ feeds: new Map([["r", feed]]), token: TOKEN });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, "loopback: no token in the address");
  const res = await fetch(`${server.url}api/events`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /^event: snapshot\n/);
  feed.addRecords([record(3)]);
  assert.match((await reader.read()).value ?? "", /^event: records\ndata: \[\{"kind":"step"/);
  await server.shutdown();
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
  assert.equal(rest, "");
});

Deno.test("a dashboard off loopback prints its address with the token", async () => {
  const server = serveDashboard({
    feeds: new Map([["r", new DashboardFeed("r")]]),
    token: TOKEN,
    hostname: "0.0.0.0",
  });
  try {
    assert.match(server.url, new RegExp(`^http://.+:${server.port}/\\?token=${TOKEN}$`));
    const local = `http://127.0.0.1:${server.port}`;
    assert.equal((await fetch(`${local}/api/status`)).status, 401);
    const login = await fetch(`${local}/?token=${TOKEN}`, { redirect: "manual" });
    await login.body?.cancel();
    assert.equal(login.status, 303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
    const status = await fetch(`${local}/api/status`, { headers: { cookie } });
    assert.equal((await status.json()).run, "r");
  } finally {
    await server.shutdown();
  }
});

Deno.test("the dashboard on a coordinator's app: its own paths and rules, /v1 and /health as before, polled", async () => {
  const job = new Coordinator({ world: 1, config: defaultTrainConfig, out: "runs/x" });
  try {
    const feed = new DashboardFeed(job.runId);
    const stop = followJob(() => job.status(), (view) => feed.setJob(view), 10);
    const dashboard = dashboardApp({
      feeds: new Map([[job.runId, feed]]),
      token: TOKEN,
      push: false,
    });
    const app = coordinatorApp(job, { token: TOKEN, dashboard });
    const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
    assert.equal((await app.request("/health")).status, 200);
    assert.equal((await app.request("/v1/status")).status, 401);
    assert.equal((await app.request("/v1/status", bearer)).status, 200);
    assert.equal((await app.request("/")).status, 401);
    assert.equal((await app.request("/", bearer)).status, 200);
    assert.equal(
      (await app.request("/api/events", bearer)).status,
      404,
      "no stream: the page polls",
    );
    const status = await (await app.request("/api/status", bearer)).json();
    assert.equal(status.state, "joining");
    job.close();
    stop();
    assert.equal(feed.snapshot().state, "failed", "stopping passes the last view on");
  } finally {
    job.close();
  }
});
