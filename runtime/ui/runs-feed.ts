// The runs of the store as `peh ui` lists them, kept up to date for every page that watches the
// list: one watcher per server looks at the store's run summaries (through the EventStore
// interface, so on any store) while at least one page listens, and folds again only the runs whose
// log grew. A run's entry is a function of its events, so a run whose event count is unchanged is
// unchanged. Each change is told to the listeners at once, with the list's new fingerprint.
import { createHash } from "node:crypto";
import type { EventStore, RunSummary } from "../../events/index.js";
import { runListEntryOf, statusOf, type RunListEntry } from "../../projections/status.js";
import { viewStateOf } from "../view-state.js";


/** What one look at the store found: runs new or changed, runs gone, and the list's fingerprint after. */
export interface RunsChange {
  id: string;
  changed: RunListEntry[];
  removed: string[];
}

/** How often the store is looked at while a page listens (the embedded store's follow polls at 250 ms). */
export const RUNS_POLL_MS = 500;

export async function entryOf(store: EventStore, summary: RunSummary): Promise<RunListEntry> {
  return runListEntryOf(summary, statusOf((await viewStateOf(store, summary.run_id)).state));
}

export class RunsFeed {
  /** By run, in the store's order (oldest first). */
  private entries = new Map<string, RunListEntry>();
  private fingerprint = fingerprintOf([]);
  private readonly listeners = new Set<(change: RunsChange) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** One look at a time: a look started while another runs waits for it and looks again. */
  private looking: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly pollMs = RUNS_POLL_MS,
  ) {}

  /** The runs as they are now, newest first, with the fingerprint of this list. */
  async current(): Promise<{ id: string; runs: RunListEntry[] }> {
    await this.look();
    return this.snapshot();
  }

  /** What the feed holds, without looking: for a listener that just subscribed, in the same tick. */
  snapshot(): { id: string; runs: RunListEntry[] } {
    return { id: this.fingerprint, runs: [...this.entries.values()].reverse() };
  }

  /** Calls `listener` with each change until the returned function is called. */
  subscribe(listener: (change: RunsChange) => void): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.look().catch(() => undefined), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  close(): void {
    this.listeners.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private look(): Promise<void> {
    const next = this.looking.then(() => this.lookOnce());
    this.looking = next.catch(() => undefined);
    return next;
  }

  private async lookOnce(): Promise<void> {
    const summaries = await this.store.listRuns();
    const changed: RunListEntry[] = [];
    for (const summary of summaries) {
      const held = this.entries.get(summary.run_id);
      if (held && held.events === summary.events) continue;
      changed.push(await entryOf(this.store, summary));
    }
    const present = new Set(summaries.map((summary) => summary.run_id as string));
    const removed = [...this.entries.keys()].filter((id) => !present.has(id));
    if (changed.length === 0 && removed.length === 0) return;
    // Applied and told in one tick: a listener never sees a list the feed does not hold.
    const byId = new Map(changed.map((entry) => [entry.run_id, entry]));
    const entries = new Map<string, RunListEntry>();
    for (const summary of summaries) entries.set(summary.run_id, byId.get(summary.run_id) ?? this.entries.get(summary.run_id)!);
    this.entries = entries;
    this.fingerprint = fingerprintOf(summaries);
    const change: RunsChange = { id: this.fingerprint, changed, removed };
    for (const listener of this.listeners) listener(change);
  }
}

/** The list's identity: the same runs at the same event counts, the same fingerprint. */
function fingerprintOf(summaries: readonly RunSummary[]): string {
  const hash = createHash("sha256");
  for (const summary of summaries) hash.update(`${summary.run_id}:${summary.events}\n`);
  return hash.digest("hex").slice(0, 16);
}
