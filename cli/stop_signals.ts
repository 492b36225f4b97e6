/**
 * How `train` and `worker` processes are told to stop. SIGTERM, SIGINT and SIGUSR1 (what
 * Kubernetes sends before killing a pod, a terminal's Ctrl-C, Slurm's `--signal`) ask for
 * a clean stop: the run checkpoints at its next chance and exits 0. A second one exits at
 * once, writing nothing more. A process that `deno task` started also stops cleanly when
 * that task process disappears (killed with SIGKILL, which it cannot forward).
 *
 * @module
 */

/** The signals that ask for a clean stop. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGUSR1"];

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGUSR1: 10, SIGTERM: 15 };

/** What a stop request is, for the line that reports it. */
export type StopCause = Deno.Signal | "parent gone";

/**
 * Calls `onStop` at the first stop signal; at a second, writes one line to stderr and
 * exits with 128 + the signal's number. Returns a function that removes the listeners.
 *
 * @example
 * ```ts ignore
 * import { onStopSignals } from "./stop_signals.ts";
 * let stop = false;
 * const remove = onStopSignals(() => stop = true, "gradmesh train");
 * // … train, asking `stop` between steps …
 * remove();
 * ```
 */
export function onStopSignals(onStop: (cause: StopCause) => void, who: string): () => void {
  let asked = false;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      if (asked) {
        console.error(`${who}: ${signal} again: exiting now without writing`);
        Deno.exit(128 + SIGNAL_NUMBERS[signal]);
      }
      asked = true;
      onStop(signal);
    };
    Deno.addSignalListener(signal, listener);
    return { signal, listener };
  });
  return () => {
    for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
  };
}

/**
 * When this process runs under a task runner (`deno task` and `npm run` set `INIT_CWD`;
 * `npm_config_user_agent` is no sign, as `deno task` keeps one that `npx` set), calls
 * `onGone` once its parent, the task process, has gone (polled every `everyMs`). Returns a
 * function that stops watching. Otherwise it watches nothing: a parent that goes away on
 * purpose (`nohup`, a closed shell) stops nothing.
 */
export function onTaskParentGone(onGone: () => void, everyMs = 200): () => void {
  const parent = Deno.ppid;
  let taskDir: string | undefined;
  try {
    taskDir = Deno.env.get("INIT_CWD");
  } catch {
    // Not allowed to read the environment: nothing to watch for.
  }
  if (taskDir === undefined) return () => {};
  const timer = setInterval(() => {
    if (Deno.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/**
 * Ends this process at once when its stdin reaches end of file: the local launcher holds
 * every worker's stdin open, so the worker goes when the launcher does, even by SIGKILL.
 */
export function exitWhenStdinCloses(who: string): void {
  (async () => {
    const buffer = new Uint8Array(64);
    try {
      while ((await Deno.stdin.read(buffer)) !== null) {
        // Nothing is ever written; anything read is ignored.
      }
    } catch {
      // A broken pipe is the same news.
    }
    try {
      console.error(`${who}: the launcher is gone (stdin closed): exiting`);
    } catch {
      // Its stderr may have gone with it.
    }
    Deno.exit(1);
  })();
}
