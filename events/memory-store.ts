// In-memory EventStore for tests and embedding: the same contract as the durable store, no disk.
import { EventEmitter } from "node:events";
import { deepFreeze, type PehEvent } from "./envelope.js";
import type { RunId } from "./ids.js";
import { checkAppend, type AppendResult, type EventStore, type FollowOptions, type ReadRange, type RunSummary } from "./store.js";
import { followLog } from "./follow.js";

export class InMemoryEventStore implements EventStore {
  private readonly logs = new Map<RunId, PehEvent[]>();
  private readonly appended = new EventEmitter().setMaxListeners(0);

  async append(runId: RunId, events: readonly PehEvent[], expectedVersion: number): Promise<AppendResult> {
    const log = this.logs.get(runId) ?? [];
    checkAppend(runId, log.length, events, expectedVersion);
    // Cloned, then frozen: a caller mutating its event afterwards must not rewrite history, and
    // readers share the stored events without copying them.
    log.push(...events.map((event) => deepFreeze(structuredClone(event))));
    this.logs.set(runId, log);
    this.appended.emit(runId);
    return { nextExpectedVersion: log.length };
  }

  async read(runId: RunId, range: ReadRange = {}): Promise<PehEvent[]> {
    const log = this.logs.get(runId) ?? [];
    return log.slice((range.from ?? 1) - 1, range.to ?? log.length);
  }

  async version(runId: RunId): Promise<number> {
    return this.logs.get(runId)?.length ?? 0;
  }

  async listRuns(): Promise<RunSummary[]> {
    return [...this.logs].map(([run_id, log]) => ({
      run_id,
      events: log.length,
      created_at: log[0]?.at ?? "",
      updated_at: log.at(-1)?.at ?? "",
    }));
  }

  follow(runId: RunId, options: FollowOptions = {}): AsyncIterable<PehEvent> {
    return followLog({
      from: options.from ?? 1,
      signal: options.signal,
      read: (from) => this.read(runId, { from }),
      onChange: (notify) => {
        this.appended.on(runId, notify);
        return () => this.appended.off(runId, notify);
      },
    });
  }

  locate(runId: RunId): string {
    return `run ${runId} (in memory)`;
  }

  async close(): Promise<void> {
    this.appended.removeAllListeners();
  }
}
