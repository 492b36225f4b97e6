// The gradmesh dashboard page: draws a run's metrics records with uPlot and keeps them
// current from the server's event stream (or, where there is none, by polling the status).
// Each chart's container carries `data-points` (its number of x positions) and the body
// `data-state` (the run's state), which the browser tests read.
const { uPlot } = globalThis; // uPlot.iife.min.js, loaded before this module

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const run = params.get("run");
const query = run === null ? "" : `?run=${encodeURIComponent(run)}`;
const POLL_MS = 1000;

let records = [];
let job = null;
let drawPending = false;

const COLORS = ["#1f6feb", "#d29922", "#2da44e", "#cf222e", "#8250df"];

// Each chart: its series, each a record kind and a field of it.
const CHARTS = {
  loss: [
    { label: "train (window)", kind: "step", field: "train_loss" },
    { label: "train (epoch)", kind: "epoch", field: "train_loss" },
    { label: "test", kind: "epoch", field: "test_loss" },
  ],
  accuracy: [
    { label: "train (window)", kind: "step", field: "train_acc" },
    { label: "train (epoch)", kind: "epoch", field: "train_acc" },
    { label: "test", kind: "epoch", field: "test_acc" },
  ],
  lr: [{ label: "lr", kind: "step", field: "lr" }],
  speed: [
    { label: "window", kind: "step", field: "samples_per_s" },
    { label: "epoch", kind: "epoch", field: "samples_per_s" },
  ],
};

const plots = {};

function chartData(series) {
  const tables = series.map(({ kind, field }) => {
    const rows = records.filter((r) => r.kind === kind && typeof r[field] === "number");
    return [rows.map((r) => r.step), rows.map((r) => r[field])];
  });
  const xs = [...new Set(tables.flatMap(([x]) => x))].sort((a, b) => a - b);
  return [
    xs,
    ...tables.map(([x, y]) => {
      const at = new Map(x.map((step, i) => [step, y[i]]));
      return xs.map((step) => at.has(step) ? at.get(step) : null);
    }),
  ];
}

function drawChart(name) {
  const series = CHARTS[name];
  const box = $(`chart-${name}`);
  const data = chartData(series);
  box.dataset.points = String(data[0].length);
  const width = Math.max(300, box.clientWidth);
  if (!plots[name]) {
    plots[name] = new uPlot(
      {
        width,
        height: 240,
        scales: { x: { time: false } },
        axes: [{ label: "step" }, {}],
        series: [
          { label: "step" },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i],
            width: s.kind === "step" ? 1 : 2,
            spanGaps: true,
            points: { show: s.kind === "epoch" },
          })),
        ],
      },
      data,
      box,
    );
  } else {
    plots[name].setData(data);
  }
}

const fixed = (v, digits) => typeof v === "number" ? v.toFixed(digits) : "–";
const percent = (v) => typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "–";
const ms = (v) => typeof v === "number" ? `${v.toFixed(1)} ms` : "–";

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

function drawTables() {
  const epochs = records.filter((r) => r.kind === "epoch");
  const body = $("epochs").querySelector("tbody");
  body.replaceChildren(...epochs.map((r) => {
    const row = document.createElement("tr");
    cell(row, String(r.epoch));
    cell(row, String(r.step));
    cell(row, fixed(r.train_loss, 4));
    cell(row, percent(r.train_acc));
    cell(row, fixed(r.test_loss, 4));
    cell(row, percent(r.test_acc));
    cell(row, typeof r.lr === "number" ? r.lr.toPrecision(3) : "–");
    cell(row, fixed(r.samples_per_s, 0));
    cell(row, `${fixed(r.wall_s, 1)} s`);
    return row;
  }));
  const ranks = job?.ranks ?? [];
  $("ranks-section").hidden = ranks.length === 0;
  $("ranks").querySelector("tbody").replaceChildren(...ranks.map((m) => {
    const row = document.createElement("tr");
    cell(row, String(m.rank));
    cell(row, m.host);
    cell(row, String(m.step));
    cell(row, ms(m.stepMs));
    cell(row, ms(m.allReduceMs));
    const age = m.heartbeatAgeS;
    cell(row, typeof age === "number" ? `${age.toFixed(1)} s` : "–", age > 2 ? "stale" : "");
    cell(row, m.done ? "done" : job.state === "training" ? "training" : job.state);
    return row;
  }));
}

function drawSummary() {
  const last = records[records.length - 1];
  const lastEpoch = records.filter((r) => r.kind === "epoch").pop();
  const items = [
    ["step", last ? String(last.step) : "–"],
    ["epoch", last ? String(last.epoch) : "–"],
    ["loss", fixed(last?.train_loss, 4)],
    ["test accuracy", percent(lastEpoch?.test_acc)],
    ["samples/s", fixed(last?.samples_per_s, 0)],
    ["ranks", String(job?.world ?? 1)],
  ];
  $("summary").replaceChildren(...items.map(([name, value]) => {
    const div = document.createElement("div");
    const b = document.createElement("b");
    b.textContent = value;
    div.append(b, name);
    return div;
  }));
}

function draw() {
  drawPending = false;
  for (const name of Object.keys(CHARTS)) drawChart(name);
  drawTables();
  drawSummary();
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

function setJob(next) {
  job = next;
  document.body.dataset.state = next.state;
  $("state").textContent = next.state;
  $("error").hidden = next.error === null;
  $("error").textContent = next.error ?? "";
}

function setSnapshot(snapshot) {
  $("run").textContent = snapshot.run;
  document.title = `${snapshot.run} · gradmesh`;
  records = snapshot.records;
  setJob(snapshot);
  scheduleDraw();
}

function disconnected(why) {
  $("link").textContent = why;
}

async function poll() {
  for (;;) {
    try {
      const res = await fetch(`/api/status${query}`, { cache: "no-store" });
      if (!res.ok) throw new Error(`status ${res.status}`);
      setSnapshot(await res.json());
      disconnected("polled every second");
    } catch (e) {
      disconnected(`server unreachable (${e.message}); showing the last data`);
    }
    if (job && (job.state === "finished" || job.state === "failed")) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function listen() {
  const events = new EventSource(`/api/events${query}`);
  let opened = false;
  events.addEventListener("snapshot", (e) => {
    opened = true;
    disconnected("live");
    setSnapshot(JSON.parse(e.data));
  });
  events.addEventListener("records", (e) => {
    records = records.concat(JSON.parse(e.data));
    scheduleDraw();
  });
  events.addEventListener("job", (e) => {
    setJob(JSON.parse(e.data));
    scheduleDraw();
  });
  events.onerror = () => {
    if (!opened) {
      // No event stream here: poll instead.
      events.close();
      poll();
    } else if (job && (job.state === "finished" || job.state === "failed")) {
      events.close();
      disconnected("run ended; the server is gone");
    } else {
      disconnected("connection lost; retrying");
    }
  };
}

async function listRuns() {
  const res = await fetch("/api/runs");
  if (!res.ok) return;
  const { runs } = await res.json();
  if (runs.length < 2) return;
  const select = $("runs");
  select.replaceChildren(...runs.map((name) => new Option(name, name, false, name === run)));
  select.hidden = false;
  select.onchange = () => location.assign(`/?run=${encodeURIComponent(select.value)}`);
}

addEventListener("resize", () => {
  for (const [name, plot] of Object.entries(plots)) {
    plot.setSize({ width: Math.max(300, $(`chart-${name}`).clientWidth), height: 240 });
  }
});
listRuns();
listen();
