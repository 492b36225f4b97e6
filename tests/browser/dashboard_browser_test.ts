/**
 * The dashboard in a real browser (headless Chromium over the DevTools protocol), during
 * short real runs: chart points appear and grow while a run trains, a finished run says
 * so, and in a 2-worker job a killed worker shows as failed with its rank's message.
 * Without Chromium these tests say so in one line and are skipped. With
 * `GRADMESH_SCREENSHOT=FILE` the 2-worker test saves a PNG of the page while it trains
 * (that is how docs/dashboard.png was made).
 *
 * @module
 */

import { assert, assertEquals } from "../core/asserts.ts";
import { MAIN, trainCommand, workerPids, writeDigits } from "../coordinator/job_fixtures.ts";
import { Chromium, chromiumPath } from "./chromium.ts";

const chromium = chromiumPath();
if (!chromium) {
  console.log("browser tests skipped: no Chromium (apt-get install chromium, or set CHROMIUM)");
}

/** A run of `train` whose dashboard address has been printed. */
interface DashboardRun {
  readonly child: Deno.ChildProcess;
  readonly url: string;
  /** Everything the run printed on stderr so far. */
  stderr(): string;
}

/** Starts `train args` with a dashboard on loopback. */
function startRun(args: string[]): Promise<DashboardRun> {
  const command = trainCommand([...args, "--dashboard", "127.0.0.1:0", "--quiet"], {
    stdout: "null",
    timeoutMs: 120_000,
  });
  return dashboardOf(command.spawn());
}

/** Waits for `child` (a `train` or `coordinator`) to print its dashboard's address. */
async function dashboardOf(child: Deno.ChildProcess): Promise<DashboardRun> {
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const url = await new Promise<string>((resolve, reject) => {
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return reject(new Error(`train ended before printing its dashboard:\n${text}`));
        text += value;
        const match = /^dashboard: (http:\S+)$/m.exec(text);
        if (match) resolve(match[1]);
      }
    })().catch(reject);
  });
  return { child, url, stderr: () => text };
}

const points = (chart: string) =>
  `Number(document.getElementById("chart-${chart}").dataset.points ?? 0)`;

/** The browser, and a temp directory with 600 training and 100 test digits. */
async function setUp(prefix: string) {
  const dir = await Deno.makeTempDir({ prefix });
  const data = await writeDigits(dir, 600, 100);
  const browser = await Chromium.launch(chromium!);
  return {
    dir,
    data,
    browser,
    async tearDown(run?: DashboardRun) {
      await browser.close();
      try {
        run?.child.kill("SIGKILL");
      } catch {
        // already ended
      }
      await run?.child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Sized so that steps take real work (a 784-256-256-10 MLP, batches of 8) and the run
// lasts a few seconds: 75 steps per epoch, a record every 5.
const RUN = ["--model", "784-256-256-10", "--batch-size", "8", "--log-every", "5"];
// A learning rate that changes every epoch, for a chart with something to show.
const COSINE = ["--scheduler", "cosine-annealing-lr", "--scheduler-args", '{"T_max": 10}'];

Deno.test({
  name: "dashboard of a one-process run in Chromium: points appear and grow, then finished",
  ignore: chromium === null,
  async fn() {
    const { dir, data, browser, tearDown } = await setUp("gradmesh-dash-one-");
    let run: DashboardRun | undefined;
    try {
      run = await startRun([...RUN, "--data", data, "--epochs", "6", "--out", `${dir}/run`]);
      assert(/^http:\/\/127\.0\.0\.1:\d+\/$/.test(run.url), run.url);
      await browser.navigate(run.url);
      const first = await browser.waitFor<number>(points("loss"), 30_000, "first loss points");
      const later = await browser.waitFor<number>(
        `${points("loss")} > ${first} && ${points("loss")}`,
        30_000,
        "more loss points",
      );
      assert(later > first, `points grew from ${first} to ${later}`);
      for (const chart of ["accuracy", "lr", "speed"]) {
        assert(await browser.evaluate<number>(points(chart)) > 0, `${chart} has points`);
      }
      assert(
        await browser.evaluate<boolean>(`!!document.querySelector("#chart-loss canvas")`),
        "uPlot drew the loss chart",
      );
      assertEquals(
        await browser.evaluate<string>(`document.getElementById("run").textContent`),
        "run",
      );
      const state = await browser.waitFor<string>(
        `document.body.dataset.state === "finished" && "finished"`,
        60_000,
        "the finished state",
      );
      assertEquals(state, "finished");
      assertEquals((await run.child.status).code, 0, run.stderr());
      const rows = await browser.evaluate<number>(
        `document.querySelectorAll("#epochs tbody tr").length`,
      );
      assertEquals(rows, 6);
    } finally {
      await tearDown(run);
    }
  },
});

Deno.test({
  name: "dashboard of a 2-worker job in Chromium: ranks with timings, then a killed worker " +
    "shows as failed with its rank's message",
  ignore: chromium === null,
  async fn() {
    const { dir, data, browser, tearDown } = await setUp("gradmesh-dash-two-");
    let run: DashboardRun | undefined;
    try {
      const args = [...RUN, "--data", data, "--epochs", "50", "--workers", "2", ...COSINE];
      run = await startRun([...args, "--backend", "cpu", "--out", `${dir}/run`]);
      await browser.navigate(run.url);
      const first = await browser.waitFor<number>(points("loss"), 60_000, "first loss points");
      await browser.waitFor(`${points("loss")} > ${first}`, 30_000, "more loss points");
      // Both ranks listed, each with a step time and an all-reduce time from its heartbeats.
      const timed = `[...document.querySelectorAll("#ranks tbody tr")]
        .filter((row) => / ms$/.test(row.cells[3].textContent) && / ms$/.test(row.cells[4].textContent))
        .length`;
      await browser.waitFor(`${timed} === 2`, 30_000, "two ranks with timings");
      assertEquals(await browser.evaluate<string>(`document.body.dataset.state`), "training");
      const screenshot = Deno.env.get("GRADMESH_SCREENSHOT");
      if (screenshot) {
        const epochs = `document.querySelectorAll("#epochs tbody tr").length >= 5`;
        await browser.waitFor(epochs, 60_000, "five epochs");
        await Deno.writeFile(screenshot, await browser.screenshot());
      }
      const [, rank1] = await workerPids(run.child.pid);
      assert(rank1 !== undefined, "rank 1's worker process found");
      Deno.kill(rank1, "SIGKILL");
      await browser.waitFor(`document.body.dataset.state === "failed"`, 30_000, "failed state");
      const error = await browser.evaluate<string>(`document.getElementById("error").textContent`);
      assert(/^rank 1 \(127\.0\.0\.1\), step \d+: .*SIGKILL/.test(error), error);
      assert(await browser.evaluate<boolean>(`!document.getElementById("error").hidden`));
      assertEquals((await run.child.status).code, 1, run.stderr());
    } finally {
      await tearDown(run);
    }
  },
});

Deno.test({
  name: "dashboard on a cluster coordinator's port in Chromium: joining, then polled points, " +
    "then finished",
  ignore: chromium === null,
  async fn() {
    const { dir, data, browser, tearDown } = await setUp("gradmesh-dash-coord-");
    let run: DashboardRun | undefined;
    let workers: Deno.ChildProcess[] = [];
    try {
      const port = String(20_000 + Math.floor(Math.random() * 20_000));
      const env = {
        NO_COLOR: "1",
        GRADMESH_TOKEN: "dashboard-test-token-0123456789",
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: port,
        WORLD_SIZE: "2",
      };
      const spawn = (args: string[], rank = "") =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN, ...args],
          env: { ...env, RANK: rank },
          stdout: "null",
          stderr: "piped",
          signal: AbortSignal.timeout(120_000),
        }).spawn();
      const coordinator = spawn([
        "coordinator",
        "--world=2",
        `--port=${port}`,
        "--data",
        data,
        ...RUN,
        "--epochs=4",
        `--out=${dir}/run`,
      ]);
      run = await dashboardOf(coordinator);
      assertEquals(run.url, `http://127.0.0.1:${port}/`);
      await browser.navigate(run.url);
      await browser.waitFor(`document.body.dataset.state === "joining"`, 30_000, "joining");
      workers = ["0", "1"].map((rank) => spawn(["worker", "--backend=cpu"], rank));
      const first = await browser.waitFor<number>(points("loss"), 60_000, "first loss points");
      await browser.waitFor(`${points("loss")} > ${first}`, 30_000, "more loss points");
      assertEquals(
        await browser.evaluate<string>(`document.getElementById("link").textContent`),
        "polled every second",
      );
      await browser.waitFor(`document.body.dataset.state === "finished"`, 60_000, "finished");
      assertEquals((await run.child.status).code, 0, run.stderr());
      assertEquals(
        await browser.evaluate<number>(`document.querySelectorAll("#ranks tbody tr").length`),
        2,
      );
      for (const worker of workers) {
        await worker.stderr.cancel();
        assertEquals((await worker.status).code, 0);
      }
    } finally {
      for (const worker of workers) {
        try {
          worker.kill("SIGKILL");
        } catch {
          // already ended
        }
      }
      await tearDown(run);
    }
  },
});
