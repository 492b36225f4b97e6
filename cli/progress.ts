/**
 * Progress display for training: a live bar on a terminal (step, loss, samples/s, ETA),
 * nothing between epochs otherwise, so logs stay one line per epoch.
 *
 * @module
 */

/** What the bar shows at one moment. */
export interface ProgressState {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number | null;
  samplesPerSecond: number;
  etaSeconds: number;
}

/** Formats seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? h + ":" : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/** One line of the bar, `width` characters of bar. */
export function progressLine(p: ProgressState, width = 24): string {
  const done = Math.round((p.step / Math.max(1, p.steps)) * width);
  const bar = "█".repeat(done) + "░".repeat(width - done);
  const loss = p.loss === null ? "" : ` loss ${p.loss.toFixed(4)}`;
  return `epoch ${p.epoch}/${p.epochs} ${bar} ${p.step}/${p.steps}${loss} ` +
    `${Math.round(p.samplesPerSecond)} samples/s ETA ${formatDuration(p.etaSeconds)}`;
}

/** Redraws the bar in place on a terminal; does nothing when output is not a TTY. */
export class ProgressBar {
  private readonly live: boolean;
  private readonly encoder = new TextEncoder();
  private lastDraw = 0;

  constructor(enabled: boolean) {
    this.live = enabled && Deno.stdout.isTerminal();
  }

  /** Redraws at most ten times a second. */
  update(p: ProgressState): void {
    const now = performance.now();
    if (!this.live || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    Deno.stdout.writeSync(this.encoder.encode(`\r\x1b[2K${progressLine(p)}`));
  }

  /** Clears the bar so a plain line can follow. */
  clear(): void {
    if (this.live) Deno.stdout.writeSync(this.encoder.encode("\r\x1b[2K"));
  }
}
