import assert from "node:assert/strict";
import { dashboardApp, MAX_EVENT_STREAMS } from "../../../coordinator/dashboard/dashboard_app.ts";
import { isLoopback } from "../../../coordinator/dashboard/dashboard_auth.ts";
import {
  DashboardFeed,
  type FeedSnapshot,
  type JobView,
  MAX_FEED_RECORDS,
} from "../../../coordinator/dashboard/dashboard_feed.ts";
import type { MetricsRecord } from "../../../core/metrics/jsonl.ts";

const TOKEN = "dashboard-token-0123456789";
// app.request's addresses are http://localhost/: port 80.
const COOKIE = "gradmesh_dashboard_80";

const step = (n: number): MetricsRecord => ({
  kind: "step",
  epoch: 1,
  step: n,
  train_loss: 2 / n,
  train_acc: 0.5,
  lr: 0.1,
  samples_per_s: 1000,
  wall_s: n / 10,
});

const epoch = (n: number, at: number): MetricsRecord => ({
  kind: "epoch",
  epoch: n,
  step: at,
  train_loss: 0.5,
  train_acc: 0.8,
  test_loss: 0.6,
  test_acc: 0.75,
  lr: 0.1,
  samples_per_s: 900,
  wall_s: at / 10,
});

function served(token: string | null, push = true) {
  const feed = new DashboardFeed("run-a", [step(10)]);
  const other = new DashboardFeed("run-b", [epoch(1, 20)]);
  const feeds = new Map([["run-a", feed], ["run-b", other]]);
  return { feed, other, app: dashboardApp({ feeds, token, push }) };
}

Deno.test("loopback dashboard: page, assets, runs and status need no token", async () => {
  const { app } = served(null);
  const page = await app.request("/");
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<script src="\/static\/uplot\.js">/);
  assert.match(html, /<script type="module" src="\/static\/dashboard\.js">/);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  for (const [file, type] of [["uplot.js", "javascript"], ["dashboard.css", "css"]]) {
    const res = await app.request(`/static/${file}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", new RegExp(type));
    assert.ok((await res.text()).length > 100, file);
  }
  assert.equal((await app.request("/static/secret.ts")).status, 404);
  assert.deepEqual(await (await app.request("/api/runs")).json(), { runs: ["run-a", "run-b"] });
});

Deno.test("status JSON: the first run by default, another by ?run=, 404 for an unknown one", async () => {
  const { feed, app } = served(null);
  feed.setJob({ state: "training", error: null, world: 1, ranks: [] });
  const first = await (await app.request("/api/status")).json() as FeedSnapshot;
  assert.equal(first.run, "run-a");
  assert.equal(first.state, "training");
  assert.deepEqual(first.records, [step(10)]);
  const other = await (await app.request("/api/status?run=run-b")).json() as FeedSnapshot;
  assert.equal(other.run, "run-b");
  assert.equal(other.records[0].kind, "epoch");
  const missing = await app.request("/api/status?run=nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no run named "nope"/);
});

Deno.test("off loopback: 401 without the token; ?token= sets an HttpOnly SameSite=Strict cookie and redirects without it", async () => {
  const { app } = served(TOKEN);
  for (const path of ["/", "/api/status", "/api/events", "/static/dashboard.js"]) {
    const res = await app.request(path);
    assert.equal(res.status, 401, path);
    assert.doesNotMatch(await res.text(), /run-a/);
  }
  assert.equal((await app.request("/?token=wrong")).status, 401);
  const login = await app.request(`/?run=run-b&token=${TOKEN}`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/?run=run-b");
  const cookie = login.headers.get("set-cookie") ?? "";
  assert.match(cookie, new RegExp(`^${COOKIE}=${TOKEN};`));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const withCookie = await app.request("/api/status?run=run-b", {
    headers: { cookie: `other=1; ${COOKIE}=${TOKEN}` },
  });
  assert.equal(withCookie.status, 200);
  assert.equal((await withCookie.json()).run, "run-b");
  const wrongCookie = await app.request("/", { headers: { cookie: `${COOKIE}=x` } });
  assert.equal(wrongCookie.status, 401);
  const bearer = await app.request("/api/runs", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(bearer.status, 200);
});

Deno.test("isLoopback: 127/8, ::1 and localhost only", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "10.0.0.2", "example.org", "128.0.0.1"]) {
    assert.ok(!isLoopback(host), host);
  }
});

/** Reads server-sent events from `body` one at a time. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<{ event: string; data: unknown } | null> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) return { event, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
}

Deno.test("event stream: a snapshot, then records and job changes as they happen, and its end", async () => {
  const { feed, app } = served(null);
  const res = await app.request("/api/events");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const events = eventReader(res.body!);
  const snapshot = await events.next();
  assert.equal(snapshot?.event, "snapshot");
  assert.deepEqual((snapshot?.data as FeedSnapshot).records, [step(10)]);
  feed.addRecords([step(20), step(30)]);
  assert.deepEqual(await events.next(), { event: "records", data: [step(20), step(30)] });
  const failed: JobView = {
    state: "failed",
    error: "rank 1 (h), step 3: gone",
    world: 2,
    ranks: [],
  };
  feed.setJob(failed);
  feed.setJob(failed); // unchanged: not sent again
  feed.addRecords([step(40)]);
  assert.deepEqual(await events.next(), { event: "job", data: failed });
  assert.equal((await events.next())?.event, "records");
  feed.close();
  assert.equal(await events.next(), null);
});

Deno.test("event streams are capped; a closed one frees its place; none where push is off", async () => {
  const { app } = served(null);
  const open = [];
  for (let i = 0; i < MAX_EVENT_STREAMS; i++) {
    const res = await app.request("/api/events");
    assert.equal(res.status, 200);
    open.push(res);
  }
  const refused = await app.request("/api/events");
  assert.equal(refused.status, 503);
  await refused.body?.cancel();
  await open.pop()!.body!.cancel();
  const again = await app.request("/api/events");
  assert.equal(again.status, 200);
  for (const res of [...open, again]) await res.body!.cancel();
  assert.equal((await served(null, false).app.request("/api/events")).status, 404);
});

Deno.test("a feed keeps at most MAX_FEED_RECORDS, dropping the oldest step records first", () => {
  const records = [
    epoch(1, 1),
    ...Array.from({ length: MAX_FEED_RECORDS + 5 }, (_, i) => step(i + 2)),
  ];
  const feed = new DashboardFeed("r", records);
  const kept = feed.snapshot().records;
  assert.equal(kept.length, MAX_FEED_RECORDS);
  assert.equal(kept[0].kind, "epoch");
  assert.equal(kept[1].step, 8); // steps 2 to 7 dropped
  assert.equal(kept[kept.length - 1].step, MAX_FEED_RECORDS + 6);
});

Deno.test("the token cookie is per port: another run's dashboard on the same host does not clash", async () => {
  const { app } = served(TOKEN);
  const login = await app.request(`http://127.0.0.1:8080/?token=${TOKEN}`);
  assert.match(login.headers.get("set-cookie") ?? "", /^gradmesh_dashboard_8080=/);
  const other = {
    cookie: `gradmesh_dashboard_9090=another-token; gradmesh_dashboard_8080=${TOKEN}`,
  };
  assert.equal(
    (await app.request("http://127.0.0.1:8080/api/runs", { headers: other })).status,
    200,
  );
  assert.equal(
    (await app.request("http://127.0.0.1:9090/api/runs", { headers: other })).status,
    401,
  );
});
