/**
 * The dashboard in a real browser (headless Chromium over the DevTools protocol), during
 * short real runs: chart points appear and grow while a run trains, a finished run says
 * so, in a 2-worker job a killed worker shows as failed with its rank's message, and a
 * cluster coordinator's page follows its job by polling. Without Chromium these tests say
 * so in one line and are skipped. With `GRADMESH_SCREENSHOT=FILE` the 2-worker test saves
 * a PNG of the page in its sixth epoch (that is how docs/dashboard.png was made).
 *
 * @module
 */

import { assert, assertEquals } from "../core/asserts.ts";
import {
  coordinatorPort,
  MAIN,
  trainCommand,
  workerPids,
  writeDigits,
} from "../coordinator/job_fixtures.ts";
import { Chromium, chromiumPath } from "./chromium.ts";

const chromium = chromiumPath();
if (!chromium) {
  console.log("browser tests skipped: no Chromium (apt-get install chromium, or set CHROMIUM)");
}

// Sized so that steps take real work (a 784-256-256-10 MLP, batches of 8) and a run of 600
// digits lasts a few seconds: 75 steps per epoch, a record every 5.
const RUN = ["--model", "784-256-256-10", "--batch-size", "8", "--log-every", "5"];
// A learning rate that changes every epoch, for a chart with something to show.
const COSINE = ["--scheduler", "cosine-annealing-lr", "--scheduler-args", '{"T_max": 10}'];

/** A process whose dashboard address has been printed. */
interface DashboardRun {
  readonly child: Deno.ChildProcess;
  readonly url: string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
}

/** What a browser test works with; every process it tracks is killed at the end. */
interface Session {
  readonly browser: Chromium;
  /** The `--data` of 600 training and 100 test digits. */
  readonly data: string;
  readonly dir: string;
  track(child: Deno.ChildProcess): Deno.ChildProcess;
}

/** A test that runs only where Chromium is, with a fresh {@link Session}. */
function browserTest(name: string, fn: (session: Session) => Promise<void>): void {
  Deno.test({
    name,
    ignore: chromium === null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "gradmesh-dashboard-" });
      const children: Deno.ChildProcess[] = [];
      const browser = await Chromium.launch(chromium!);
      try {
        const data = await writeDigits(dir, 600, 100);
        await fn({ browser, data, dir, track: (child) => (children.push(child), child) });
      } finally {
        await browser.close();
        for (const child of children) {
          try {
            child.kill("SIGKILL");
          } catch {
            // already ended
          }
          await child.stderr.cancel().catch(() => {});
          await child.status;
        }
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** Starts `train args` with a dashboard on loopback. */
function startTrain(session: Session, args: string[]): Promise<DashboardRun> {
  const command = trainCommand([...args, "--dashboard", "127.0.0.1:0", "--quiet"], {
    stdout: "null",
    timeoutMs: 120_000,
  });
  return dashboardOf(session.track(command.spawn()));
}

/** Waits for `child` (a `train` or `coordinator`) to print its dashboard's address. */
async function dashboardOf(child: Deno.ChildProcess): Promise<DashboardRun> {
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const url = await new Promise<string>((resolve, reject) => {
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return reject(new Error(`it ended before printing its dashboard:\n${text}`));
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
const rows = (table: string) => `document.querySelectorAll("#${table} tbody tr").length`;

/** Waits until the loss chart has points, and then more. */
async function pointsGrow(browser: Chromium): Promise<void> {
  const first = await browser.waitFor<number>(points("loss"), 60_000, "first loss points");
  const later = await browser.waitFor<number>(
    `${points("loss")} > ${first} && ${points("loss")}`,
    30_000,
    "more loss points",
  );
  assert(later > first, `points grew from ${first} to ${later}`);
}

// Runs last until the test ends them (a stop signal, a killed worker): a run that ended on
// its own before the page connected would fail the test only because the machine was busy.
browserTest(
  "dashboard of a one-process run in Chromium: points appear and grow, then finished " +
    "when the run stops on request",
  async (session) => {
    const { browser, data, dir } = session;
    const run = await startTrain(session, [
      ...RUN,
      "--data",
      data,
      "--epochs",
      "50",
      "--out",
      `${dir}/run`,
    ]);
    assert(/^http:\/\/127\.0\.0\.1:\d+\/$/.test(run.url), run.url);
    await browser.navigate(run.url);
    await pointsGrow(browser);
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
    await browser.waitFor(`${rows("epochs")} >= 1`, 60_000, "an epoch row");
    run.child.kill("SIGTERM"); // checkpoint after this step, then stop
    await browser.waitFor(`document.body.dataset.state === "finished"`, 60_000, "finished");
    assertEquals((await run.child.status).code, 0, run.stderr());
  },
);

browserTest(
  "dashboard of a 2-worker job in Chromium: ranks with timings, then a killed worker shows " +
    "as failed with its rank's message",
  async (session) => {
    const { browser, data, dir } = session;
    const args = [...RUN, ...COSINE, "--data", data, "--epochs", "50", "--workers", "2"];
    const run = await startTrain(session, [...args, "--backend", "cpu", "--out", `${dir}/run`]);
    await browser.navigate(run.url);
    await pointsGrow(browser);
    // Both ranks listed, each with a step time and an all-reduce time from its heartbeats.
    const timed = `[...document.querySelectorAll("#ranks tbody tr")]
      .filter((row) => / ms$/.test(row.cells[3].textContent) && / ms$/.test(row.cells[4].textContent))
      .length`;
    await browser.waitFor(`${timed} === 2`, 30_000, "two ranks with timings");
    assertEquals(await browser.evaluate<string>(`document.body.dataset.state`), "training");
    const screenshot = Deno.env.get("GRADMESH_SCREENSHOT");
    if (screenshot) {
      await browser.waitFor(`${rows("epochs")} >= 5`, 60_000, "five epochs");
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
  },
);

browserTest(
  "dashboard on a cluster coordinator's port in Chromium: joining, then polled points, then " +
    "finished",
  async (session) => {
    const { browser, data, dir } = session;
    const port = String(coordinatorPort());
    const spawn = (args: string[], rank = "") =>
      session.track(
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN, ...args],
          env: {
            NO_COLOR: "1",
            GRADMESH_TOKEN: "dashboard-test-token-0123456789",
            MASTER_ADDR: "127.0.0.1",
            MASTER_PORT: port,
            WORLD_SIZE: "2",
            RANK: rank,
          },
          stdout: "null",
          stderr: "piped",
          signal: AbortSignal.timeout(120_000),
        }).spawn(),
      );
    // The page connects while the coordinator waits for its workers; 6 epochs give it
    // several polls of a growing run.
    const flags = [...RUN, "--data", data, "--epochs=6", `--out=${dir}/run`];
    const run = await dashboardOf(spawn(["coordinator", "--world=2", `--port=${port}`, ...flags]));
    assertEquals(run.url, `http://127.0.0.1:${port}/`);
    await browser.navigate(run.url);
    await browser.waitFor(`document.body.dataset.state === "joining"`, 30_000, "joining");
    const workers = ["0", "1"].map((rank) => spawn(["worker", "--backend=cpu"], rank));
    await pointsGrow(browser);
    assertEquals(
      await browser.evaluate<string>(`document.getElementById("link").textContent`),
      "polled every second",
    );
    await browser.waitFor(`document.body.dataset.state === "finished"`, 60_000, "finished");
    assertEquals((await run.child.status).code, 0, run.stderr());
    assertEquals(await browser.evaluate<number>(rows("ranks")), 2);
    for (const worker of workers) assertEquals((await worker.status).code, 0);
  },
);
