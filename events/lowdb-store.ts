// The embedded default EventStore: lowdb's Low over an append-only JSON-lines adapter, one log per
// run under `<dir>/runs/<run id>/events.jsonl`, a cross-process lock per run, fsync per append.
import { watch, type FSWatcher } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Low } from "lowdb";
import { deepFreeze, type PehEvent } from "./envelope.js";
import { FileLock } from "./file-lock.js";
import { followLog } from "./follow.js";
import { RunIdSchema, type RunId } from "./ids.js";
import { JsonLinesAppendAdapter, type RunLog } from "./jsonl-append-adapter.js";
import { checkAppend, type AppendResult, type EventStore, type FollowOptions, type ReadRange, type RunSummary } from "./store.js";

interface OpenRun {
  db: Low<RunLog>;
  adapter: JsonLinesAppendAdapter;
  lock: FileLock;
  /** Serializes this process's reads and appends of the run (appends then contend for the file lock). */
  queue: Promise<unknown>;
}

function serialize<T>(run: OpenRun, work: () => Promise<T>): Promise<T> {
  const task = run.queue.then(work);
  run.queue = task.catch(() => undefined);
  return task;
}

export class LowdbEventStore implements EventStore {
  private readonly runs = new Map<RunId, Promise<OpenRun>>();

  constructor(readonly dir: string) {}

  runDir(runId: RunId): string {
    return join(this.dir, "runs", runId);
  }

  async append(runId: RunId, events: readonly PehEvent[], expectedVersion: number): Promise<AppendResult> {
    const run = await this.open(runId, true);
    return serialize(run, async () => {
      await run.lock.acquire();
      try {
        await run.adapter.catchUp(run.db.data);
        checkAppend(runId, run.db.data.events.length, events, expectedVersion);
        run.db.data.events.push(...events.map((event) => deepFreeze(structuredClone(event))));
        try {
          await run.db.write();
        } catch (error) {
          run.db.data.events.length = expectedVersion;
          throw error;
        }
        return { nextExpectedVersion: run.db.data.events.length };
      } finally {
        await run.lock.release();
      }
    });
  }

  /** Events are frozen: readers share them, and nobody can rewrite history in memory either. */
  async read(runId: RunId, range: ReadRange = {}): Promise<PehEvent[]> {
    const run = await this.open(runId, false);
    return serialize(run, async () => {
      await run.adapter.catchUp(run.db.data);
      const events = run.db.data.events;
      return events.slice((range.from ?? 1) - 1, range.to ?? events.length);
    });
  }

  async version(runId: RunId): Promise<number> {
    const run = await this.open(runId, false);
    return serialize(run, async () => {
      await run.adapter.catchUp(run.db.data);
      return run.db.data.events.length;
    });
  }

  async listRuns(): Promise<RunSummary[]> {
    const names = await readdir(join(this.dir, "runs")).catch(() => [] as string[]);
    const summaries: RunSummary[] = [];
    for (const name of names) {
      const runId = RunIdSchema.safeParse(name);
      if (!runId.success) continue;
      const summary = await this.summarize(runId.data);
      if (summary) summaries.push(summary);
    }
    return summaries.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.run_id.localeCompare(b.run_id));
  }

  follow(runId: RunId, options: FollowOptions = {}): AsyncIterable<PehEvent> {
    return followLog({
      from: options.from ?? 1,
      signal: options.signal,
      read: (from) => this.read(runId, { from }),
      onChange: (notify) => {
        // fs.watch misses events on some file systems; a slow poll backs it up.
        let watcher: FSWatcher | undefined;
        mkdir(this.runDir(runId), { recursive: true })
          .then(() => {
            watcher = watch(this.runDir(runId), notify);
          })
          .catch(() => undefined);
        const poll = setInterval(notify, 250);
        return () => {
          clearInterval(poll);
          watcher?.close();
        };
      },
    });
  }

  async close(): Promise<void> {
    this.runs.clear();
  }

  private open(runId: RunId, create: boolean): Promise<OpenRun> {
    const cached = this.runs.get(runId);
    if (cached) return cached;
    const opening = (async () => {
      const dir = this.runDir(runId);
      if (create) await mkdir(dir, { recursive: true });
      const adapter = new JsonLinesAppendAdapter(join(dir, "events.jsonl"));
      const db = new Low<RunLog>(adapter, { events: [] });
      await db.read();
      return { db, adapter, lock: new FileLock(join(dir, "events.lock")), queue: Promise.resolve() };
    })();
    // Only cache runs that exist, so a read of an unknown run does not pin an empty log.
    if (create) this.runs.set(runId, opening);
    else opening.then((run) => run.db.data.events.length > 0 && this.runs.set(runId, opening)).catch(() => undefined);
    return opening;
  }

  private async summarize(runId: RunId): Promise<RunSummary | undefined> {
    const text = await readFile(join(this.runDir(runId), "events.jsonl"), "utf8").catch(() => "");
    const lines = text.split("\n").filter((line) => line.startsWith("{") && line.endsWith("}"));
    const first = lines[0];
    const last = lines.at(-1);
    if (first === undefined || last === undefined) return undefined;
    const at = (line: string): string => {
      try {
        return String((JSON.parse(line) as { at?: unknown }).at ?? "");
      } catch {
        return "";
      }
    };
    return { run_id: runId, events: lines.length, created_at: at(first), updated_at: at(last) };
  }
}
