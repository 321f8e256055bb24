// LISTEN on one dedicated connection (a pooled client would be recycled under it), as a wake-up
// hint for `follow`: NOTIFY carries the run id of a committed append. The connection is probed
// (`SELECT 1` with a timeout: a half-open socket raises no error by itself) and made again when it
// fails; every (re)subscription wakes every follower, which re-reads from where it stands, so a
// notification lost while the connection was down costs nothing. Polling stays behind it anyway.
import type pg from "pg";
import { pgDriver } from "./driver.js";

export const CHANNEL = "peh_events";

export interface ListenerOptions {
  config: pg.ClientConfig;
  /** How often the connection is probed (ms). */
  probeMs: number;
  /** How long a probe may take before the connection counts as dead (ms). */
  probeTimeoutMs: number;
}

export class Listener {
  private readonly subscribers = new Map<string, Set<() => void>>();
  private client: pg.Client | undefined;
  private probe: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private listened = 0;
  private readonly listening = new Set<() => void>();

  constructor(private readonly options: ListenerOptions) {}

  /** Calls `notify` on each NOTIFY for `runId` and after every (re)connection; returns the unsubscribe. */
  subscribe(runId: string, notify: () => void): () => void {
    const set = this.subscribers.get(runId) ?? new Set();
    set.add(notify);
    this.subscribers.set(runId, set);
    this.start();
    return () => {
      set.delete(notify);
      if (set.size === 0) this.subscribers.delete(runId);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** How many times LISTEN has been issued (for tests: a reconnection shows as a new count). */
  get listens(): number {
    return this.listened;
  }

  /** Resolves once LISTEN has been issued more than `count` times. */
  whenListening(count = 0): Promise<void> {
    if (this.listened > count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.listened > count) {
          this.listening.delete(check);
          resolve();
        }
      };
      this.listening.add(check);
    });
  }

  /** The backend pid of the listening connection, if connected (for tests that cut it). */
  get backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | undefined)?.processID;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
  }

  private start(): void {
    if (this.client || this.connecting || this.closed) return;
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const client = new (pgDriver().Client)(this.options.config);
    // A dropped connection surfaces here, not as a rejected query: make it again.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      for (const notify of this.subscribers.get(message.payload) ?? []) notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch {
      client.removeAllListeners();
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
      this.again();
      return;
    }
    if (this.closed || this.subscribers.size === 0) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listened++;
    for (const check of [...this.listening]) check();
    this.wakeAll();
    this.probe = setInterval(() => this.check(client), this.options.probeMs);
    this.probe.unref();
  }

  private check(client: pg.Client): void {
    let answered = false;
    const timeout = setTimeout(() => answered || this.lost(client), this.options.probeTimeoutMs);
    timeout.unref();
    client.query("SELECT 1").then(
      () => {
        answered = true;
        clearTimeout(timeout);
      },
      () => this.lost(client),
    );
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.probe);
    client.removeAllListeners();
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    // Followers re-read now: what they miss until the new LISTEN, the re-read after it finds.
    this.wakeAll();
    this.again();
  }

  private again(): void {
    if (this.closed || this.subscribers.size === 0 || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.start();
    }, 200);
    this.retry.unref();
  }

  private wakeAll(): void {
    for (const set of this.subscribers.values()) for (const notify of set) notify();
  }

  private stop(): void {
    clearInterval(this.probe);
    clearTimeout(this.retry);
    this.retry = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on("error", () => undefined);
      void client.end().catch(() => undefined);
    }
  }
}
