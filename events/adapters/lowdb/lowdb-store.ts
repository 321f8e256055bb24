// The embedded default EventStore: lowdb's Low over an append-only JSON-lines adapter, one log per
// run under `<dir>/runs/<run id>/events.jsonl`, a cross-process lock per run, fsync per append.
import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Low } from "lowdb";
import { PehEventSchema, deepFreeze, type PehEvent } from "../../envelope.js";
import { FileLock } from "./file-lock.js";
import { followLog } from "../../follow.js";
import { RunIdSchema, type RunId } from "../../ids.js";
import { JsonLinesAppendAdapter, type RunLog } from "./jsonl-append-adapter.js";
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from "./lowdb-checkpoint.js";
import {
  checkAppend,
  type AppendResult,
  type Checkpoint,
  type CheckpointRead,
  type EventStore,
  type FollowOptions,
  type ReadRange,
  type RunSummary,
} from "../../store.js";

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
    let locked = false;
    const appended = serialize(run, async () => {
      await run.lock.acquire();
      locked = true;
      await run.adapter.catchUp(run.db.data, true);
      checkAppend(runId, run.db.data.events.length, events, expectedVersion);
      run.db.data.events.push(...events.map((event) => deepFreeze(structuredClone(event))));
      try {
        await run.db.write();
      } catch (error) {
        run.db.data.events.length = expectedVersion;
        throw error;
      }
      return { nextExpectedVersion: run.db.data.events.length };
    });
    // The lock is let go behind the answer: the events are durable once their fsync returned, so
    // the caller may start what they record while the lock's link is removed (one round trip
    // through the thread pool less before every effect). This process's next read or append of
    // the run, and close(), wait for it in the queue; a failure to remove it fails the next one.
    const released = run.queue.then(() => (locked ? run.lock.release() : undefined));
    released.catch(() => undefined); // not an unhandled rejection when nothing follows: the next operation gets it
    run.queue = released;
    return appended;
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

  async head(runId: RunId): Promise<{ seq: number; hash: string }> {
    const run = await this.open(runId, false);
    return serialize(run, async () => {
      await run.adapter.catchUp(run.db.data);
      const { seq, chain } = run.adapter.chainPoint;
      return { seq, hash: chain };
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

  /**
   * Reads at most `maxBytes` of the log's start: a longer first line is not looked at. With
   * synchronous calls (open, size, a read or two, close: microseconds each in the page cache):
   * `peh runs --descendants` asks it of every run, and four round trips through the thread pool
   * per run were most of that listing's time.
   */
  async readFirst(runId: RunId, maxBytes: number): Promise<PehEvent | undefined> {
    let fd: number;
    try {
      fd = openSync(this.logPath(runId), "r");
    } catch {
      return undefined;
    }
    try {
      // Read in growing chunks until the first newline: a first event is usually a few kilobytes,
      // its log perhaps megabytes (`peh runs --descendants` looks at every run's first event).
      const limit = Math.min(maxBytes + 1, fstatSync(fd).size);
      const chunks: Buffer[] = [];
      let read = 0;
      for (let size = 16 * 1024; read < limit; size *= 4) {
        const chunk = Buffer.alloc(Math.min(size, limit - read));
        const bytesRead = readSync(fd, chunk, 0, chunk.length, read);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        read += bytesRead;
        if (chunk.subarray(0, bytesRead).includes(0x0a)) break;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      const end = text.indexOf("\n");
      if (end === -1) return undefined;
      // Only the first line: its append may go on past it, so it is judged alone, unsealed (a
      // service run is told by its first event; a read of the log checks the rest).
      let json: unknown;
      try {
        json = JSON.parse(text.slice(0, end));
      } catch {
        return undefined;
      }
      const parsed = PehEventSchema.safeParse(json);
      return parsed.success ? deepFreeze(parsed.data) : undefined;
    } finally {
      closeSync(fd);
    }
  }

  follow(runId: RunId, options: FollowOptions = {}): AsyncIterable<PehEvent> {
    return followLog({
      from: options.from ?? 1,
      signal: options.signal,
      read: (from) => this.read(runId, { from }),
      onChange: (notify) => {
        // fs.watch misses events on some file systems; a slow poll backs it up.
        let watcher: FSWatcher | undefined;
        let stopped = false;
        mkdir(this.runDir(runId), { recursive: true })
          .then(() => {
            // Stopped while the directory was made: a watcher opened now would never be closed.
            // Only the log's own changes: the lock's link and unlink around every append would
            // wake a reader twice more for nothing.
            if (!stopped) watcher = watch(this.runDir(runId), (_, name) => (name === null || name === LOG_FILE) && notify());
          })
          .catch(() => undefined);
        const poll = setInterval(notify, 250);
        return () => {
          stopped = true;
          clearInterval(poll);
          watcher?.close();
        };
      },
    });
  }

  async close(): Promise<void> {
    const runs = [...this.runs.values()];
    this.runs.clear();
    for (const run of await Promise.allSettled(runs)) {
      if (run.status !== "fulfilled") continue;
      await run.value.queue; // an append under way finishes first
      await run.value.adapter.close();
      await run.value.lock.dispose();
    }
  }

  /** Beside the log (see lowdb-checkpoint.ts); bound to the log's first `seq` events by their bytes. */
  async saveCheckpoint(runId: RunId, checkpoint: Checkpoint): Promise<void> {
    await writeCheckpoint(join(this.runDir(runId), CHECKPOINT_FILE), this.logPath(runId), checkpoint);
  }

  /** Reads the log's bytes, but parses and validates only the lines after the checkpoint. */
  readCheckpoint(runId: RunId, tag: string): Promise<CheckpointRead | undefined> {
    return readCheckpoint(join(this.runDir(runId), CHECKPOINT_FILE), this.logPath(runId), tag);
  }

  locate(runId: RunId): string {
    return this.logPath(runId);
  }

  private logPath(runId: RunId): string {
    return join(this.runDir(runId), LOG_FILE);
  }

  private open(runId: RunId, create: boolean): Promise<OpenRun> {
    const cached = this.runs.get(runId);
    if (cached) return cached;
    const opening = (async () => {
      const dir = this.runDir(runId);
      if (create) await mkdir(dir, { recursive: true });
      const adapter = new JsonLinesAppendAdapter(this.logPath(runId));
      const db = new Low<RunLog>(adapter, { events: [] });
      await db.read();
      return { db, adapter, lock: new FileLock(join(dir, "events.lock")), queue: Promise.resolve() };
    })();
    // Only cache runs that exist, so a read of an unknown run does not pin an empty log.
    if (create) this.runs.set(runId, opening);
    else opening.then((run) => run.db.data.events.length > 0 && this.runs.set(runId, opening)).catch(() => undefined);
    return opening;
  }

  /**
   * A run's first and last events, read from the two ends of its log: listing runs (and finding
   * the latest) costs two small reads per run, not a read of every log. The count is the last
   * complete event's seq (logs are gapless from 1).
   */
  private async summarize(runId: RunId): Promise<RunSummary | undefined> {
    // Synchronous calls, each microseconds in the page cache: listing 1,000 runs waited on ~5,000
    // round trips through the thread pool, one after another (3.5 s of the main thread's 4.8 idle).
    let fd: number;
    try {
      fd = openSync(this.logPath(runId), "r");
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      const last = lineFrom(fd, size, "end");
      if (last === undefined) return undefined;
      const fields = (line: string): { at: string; seq: number; end: number } => {
        try {
          const event = JSON.parse(line) as { at?: unknown; seq?: unknown; end?: unknown };
          const seq = Number(event.seq ?? 0);
          return { at: String(event.at ?? ""), seq, end: Number(event.end ?? seq) };
        } catch {
          return { at: "", seq: 0, end: 0 };
        }
      };
      let end = fields(last);
      if (end.end > end.seq) {
        // The last lines are an append whose write was torn (a crash): they do not count. Rare,
        // so the log is read as every read does, which leaves the torn append out.
        const events = await this.read(runId);
        end = { at: events.at(-1)?.at ?? "", seq: events.length, end: events.length };
      }
      const created_at = createdAt(fd, size) ?? fields(lineFrom(fd, size, "start") ?? "").at;
      return { run_id: runId, events: end.seq, created_at, updated_at: end.at };
    } finally {
      closeSync(fd);
    }
  }
}

/** A run's log, in its directory. */
const LOG_FILE = "events.jsonl";

/** How peh writes an event's line: the envelope before the data (which, for a plan, can take megabytes). */
const FIRST_EVENT_HEAD = /^\{"id":"[^"\\]*","run_id":"[^"\\]*","seq":1,"at":"([^"\\]+)"/;

/**
 * The start of the first line, as far as the first event's time, when it is written as peh writes
 * it (else undefined, and the caller reads the whole line): the plan after it is not read.
 */
function createdAt(fd: number, size: number): string | undefined {
  const head = Buffer.alloc(Math.min(size, 512));
  readSync(fd, head, 0, head.length, 0);
  return FIRST_EVENT_HEAD.exec(head.toString("utf8"))?.[1];
}

/** The first, or the last complete, line of a file (a torn tail is skipped), read in chunks. */
function lineFrom(fd: number, size: number, from: "start" | "end"): string | undefined {
  const complete = (line: string) => line.startsWith("{") && line.endsWith("}");
  for (let chunk = 64 * 1024; ; chunk *= 4) {
    const length = Math.min(chunk, size);
    const position = from === "start" ? 0 : size - length;
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, position);
    const lines = buffer.toString("utf8").split("\n");
    // A line is known whole only if the chunk holds both its ends (or reaches the file's), and
    // only once its newline is written: what follows the last newline is a torn tail.
    const candidates = from === "start" ? lines.slice(0, length === size ? lines.length : -1) : lines.slice(length === size ? 0 : 1, -1).reverse();
    const found = candidates.find(complete);
    if (found !== undefined) return found;
    if (length === size) return undefined;
  }
}
