/**
 * A headless Chromium driven over the DevTools protocol (no npm package): start it, open a
 * page, evaluate expressions, take screenshots, stop it. For the playground test and
 * `deno task bench-browser`.
 */

import { join } from "../lib/std/path.ts";

/** Whether `chromium` can be started here, and why not. */
export async function chromiumVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("chromium", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** A running headless Chromium with one page. */
export class Browser {
  #child: Deno.ChildProcess;
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #session = "";

  private constructor(child: Deno.ChildProcess, ws: WebSocket) {
    this.#child = child;
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message} ${msg.error.data ?? ""}`));
      else p.resolve(msg.result);
    };
  }

  /** Starts Chromium with a fresh profile in `profile` and opens `url`. */
  static async open(url: string, profile: string): Promise<Browser> {
    const child = new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "--window-size=1280,900",
        "--lang=en-US", // the page's language follows the browser's unless ?lang= says

        "about:blank",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Chromium writes its port and browser path into the profile once it listens
    let text = "";
    for (let i = 0; i < 300 && text.split("\n").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await Deno.readTextFile(join(profile, "DevToolsActivePort")).catch(() => "");
    }
    const [port, path] = text.trim().split("\n");
    if (path === undefined) {
      child.kill();
      await child.status;
      throw new Error("chromium did not start its DevTools endpoint within 30 s");
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("cannot connect to chromium"));
    });
    const browser = new Browser(child, ws);
    const { targetId } = await browser.send("Target.createTarget", { url }) as { targetId: string };
    const { sessionId } = await browser.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as {
      sessionId: string;
    };
    browser.#session = sessionId;
    return browser;
  }

  /** Sends a DevTools command (to the page once attached). */
  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    const message: Record<string, unknown> = { id, method, params };
    if (this.#session !== "") message.sessionId = this.#session;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify(message));
    });
  }

  /** The value of a JavaScript expression in the page (promises awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  /**
   * Polls `expression` every 250 ms until `done(value)` or `seconds` pass; the last value. An
   * evaluation that fails while the page is still loading (its context replaced) is retried.
   */
  async waitFor<T>(expression: string, done: (v: T) => boolean, seconds: number): Promise<T> {
    const end = performance.now() + seconds * 1000;
    for (;;) {
      let v: T | undefined, error: unknown;
      try {
        v = await this.evaluate<T>(expression);
        if (done(v)) return v;
      } catch (e) {
        error = e;
      }
      if (performance.now() > end) {
        if (error !== undefined) throw error;
        return v as T;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A PNG screenshot of the page. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", { format: "png" }) as {
      data: string;
    };
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  /** Closes the connection and stops Chromium. */
  async close(): Promise<void> {
    for (const p of this.#pending.values()) p.reject(new Error("browser closed"));
    this.#pending.clear();
    const closed = new Promise((r) => this.#ws.onclose = r);
    this.#ws.close();
    await closed;
    this.#child.kill();
    await this.#child.status;
  }
}
