/**
 * Shared by the benchmarks: the machine/date/command line that heads each result, and
 * atomic replacement of one named section of bench/RESULTS.md.
 *
 * @module
 */

import { cpus } from "node:os";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";

const RESULTS = new URL("./RESULTS.md", import.meta.url);

/** "Machine: …, N cores, date, command" for a results section. */
export function machineLine(command: string): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const cores = navigator.hardwareConcurrency;
  const date = new Date().toISOString().slice(0, 10);
  return `Machine: ${cpu}, ${cores} cores, ${
    Math.round(Deno.systemMemoryInfo().total / 2 ** 30)
  } GiB; ` +
    `${date}; \`${command}\``;
}

/** Replaces the section between `<!-- name -->` markers (appending it when absent). */
export async function replaceSection(name: string, body: string): Promise<void> {
  const open = `<!-- ${name} -->`, close = `<!-- /${name} -->`;
  let text = "# Benchmark results\n";
  try {
    text = await Deno.readTextFile(RESULTS);
  } catch { /* first result */ }
  const block = `${open}\n${body}${close}`;
  const start = text.indexOf(open), end = text.indexOf(close);
  text = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + close.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await writeTextAtomic(RESULTS.pathname, text);
}

/**
 * Exits with a message when `--hardware-only` was given and `gpu` is a software adapter,
 * so that a GPU section never records llvmpipe.
 */
export function refuseSoftware(gpu: { isSoftware: boolean; description: string }): void {
  if (Deno.args.includes("--hardware-only") && gpu.isSoftware) {
    console.error(`--hardware-only: the adapter is ${gpu.description}; run this on a GPU`);
    Deno.exit(1);
  }
}
