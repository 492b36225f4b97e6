/**
 * `report --serve DIR`: finished runs on the live dashboard's page. DIR is a run folder
 * (it holds `metrics.jsonl`), a folder of run folders (a sweep, or `runs/`), or one
 * metrics file; every run found is a choice on the page. Serves until interrupted.
 *
 * @module
 */

import { basename, join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { readMetrics } from "../core/metrics/jsonl.ts";
import { DashboardFeed } from "../coordinator/dashboard/dashboard_feed.ts";
import { serveDashboard } from "../coordinator/dashboard/dashboard_server.ts";
import { dashboardAddress } from "./dashboard.ts";
import { localJobToken } from "./local_job.ts";

const METRICS = "metrics.jsonl";

const isFile = async (path: string) => (await Deno.stat(path).catch(() => null))?.isFile ?? false;

/** The metrics files under `dir` by run name: its own, else those of its subfolders. */
export async function runMetricsFiles(dir: string): Promise<Map<string, string>> {
  const info = await Deno.stat(dir).catch(() => null);
  if (!info) throw new UsageError("--serve", `no such file or folder: ${dir}`);
  if (info.isFile) return new Map([[basename(dir).replace(/\.jsonl$/, ""), dir]]);
  if (await isFile(join(dir, METRICS))) return new Map([[basename(dir), join(dir, METRICS)]]);
  const runs = new Map<string, string>();
  const names = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isDirectory) names.push(entry.name);
  for (const name of names.sort()) {
    if (await isFile(join(dir, name, METRICS))) runs.set(name, join(dir, name, METRICS));
  }
  if (runs.size === 0) {
    throw new UsageError("--serve", `no ${METRICS} in ${dir} or in its subfolders`);
  }
  return runs;
}

/**
 * Serves the runs in `dir` at `listen` (`HOST:PORT`), prints the address to stderr, and
 * never resolves: it serves until the process is interrupted.
 */
export async function serveRuns(dir: string, listen: string): Promise<never> {
  const address = dashboardAddress(listen, true);
  if (!address) throw new UsageError("--listen", "expected HOST:PORT");
  const feeds = new Map<string, DashboardFeed>();
  for (const [run, path] of await runMetricsFiles(dir)) {
    const feed = new DashboardFeed(run, await readMetrics(path));
    feed.setJob({ state: "finished", error: null, world: 1, ranks: [] });
    feeds.set(run, feed);
  }
  try {
    const { url } = serveDashboard({ feeds, token: localJobToken(), ...address });
    console.error(`dashboard: ${url} (${feeds.size} run${feeds.size > 1 ? "s" : ""})`);
  } catch (e) {
    throw new UsageError("--listen", `cannot listen on ${listen}: ${(e as Error).message}`);
  }
  return await new Promise<never>(() => {});
}
