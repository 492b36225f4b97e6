/**
 * Headless Chromium driven over the DevTools protocol: a WebSocket to the browser, one
 * page attached in flat mode, and the few commands the browser tests need (navigate,
 * evaluate, screenshot). No dependency: Deno's own WebSocket.
 *
 * @module
 */

/** Where Chromium is: `$CHROMIUM`, else the Debian package's path; null when absent. */
export function chromiumPath(): string | null {
  const candidates = [Deno.env.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  return null;
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** One headless Chromium with one page. */
export class Chromium {
  readonly #process: Deno.ChildProcess;
  readonly #socket: WebSocket;
  readonly #profile: string;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #session = "";

  private constructor(process: Deno.ChildProcess, socket: WebSocket, profile: string) {
    this.#process = process;
    this.#socket = socket;
    this.#profile = profile;
    socket.onmessage = ({ data }) => {
      const message = JSON.parse(data as string);
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(`DevTools: ${message.error.message}`));
      else pending.resolve(message.result);
    };
  }

  /** Starts Chromium at `path` with a fresh profile and opens a page of `width`×`height`. */
  static async launch(path: string, width = 1280, height = 900): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "gradmesh-chromium-" });
    const process = new Deno.Command(path, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const endpoint = await devToolsEndpoint(process.stderr);
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
    const browser = new Chromium(process, socket, profile);
    const { targetId } = await browser.#send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await browser.#send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    browser.#session = sessionId;
    await browser.#send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return browser;
  }

  /** Loads `url` in the page. */
  async navigate(url: string): Promise<void> {
    const result = await this.#send("Page.navigate", { url }) as { errorText?: string };
    if (result.errorText) throw new Error(`cannot load ${url}: ${result.errorText}`);
  }

  /** The value of `expression` evaluated in the page (awaited when it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.#send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.text}`);
    return result.value;
  }

  /** Polls `expression` until it is truthy; returns its value, or throws after `timeoutMs`. */
  async waitFor<T>(expression: string, timeoutMs = 15_000, what = expression): Promise<T> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch(() => undefined);
      if (value) return value;
      if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A PNG of the whole page. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.#send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    }) as { data: string };
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.#send("Browser.close", {}, false).catch(() => {});
    this.#socket.close();
    try {
      this.#process.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#process.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }

  #send(method: string, params: object, inPage = true): Promise<unknown> {
    const id = this.#next++;
    const message = {
      id,
      method,
      params,
      ...(inPage && this.#session && { sessionId: this.#session }),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify(message));
    });
  }
}

// Chromium prints "DevTools listening on ws://…" on stderr once it is ready; the rest of
// its stderr is drained so that it never blocks on a full pipe.
async function devToolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const lines = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => lines.cancel(), 30_000);
  try {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`chromium exited before it listened:\n${text.slice(-2000)}`);
      text += value;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        (async () => {
          while (!(await lines.read()).done);
        })().catch(() => {});
        return match[1];
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}
