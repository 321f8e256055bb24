// In-memory EventStore for tests and embedding: the same contract as the durable store, no disk.
import { EventEmitter } from "node:events";
import { deepFreeze, type PehEvent } from "../../envelope.js";
import type { RunId } from "../../ids.js";
import { checkAppend, type AppendResult, type EventStore, type FollowOptions, type ReadRange, type RunSummary } from "../../store.js";
import { followLog } from "../../follow.js";
import { GENESIS, sealAppend } from "../../seal.js";

export class InMemoryEventStore implements EventStore {
  private readonly logs = new Map<RunId, PehEvent[]>();
  private readonly appended = new EventEmitter().setMaxListeners(0);
  /** Each run's chain of seals, as a durable adapter would write it (nothing here can edit a line). */
  private readonly chains = new Map<RunId, string>();

  async append(runId: RunId, events: readonly PehEvent[], expectedVersion: number): Promise<AppendResult> {
    const log = this.logs.get(runId) ?? [];
    checkAppend(runId, log.length, events, expectedVersion);
    // Cloned, then frozen: a caller mutating its event afterwards must not rewrite history, and
    // readers share the stored events without copying them.
    const stored = events.map((event) => deepFreeze(structuredClone(event)));
    if (stored.length > 0) this.chains.set(runId, sealAppend(this.chains.get(runId) ?? GENESIS, stored).chain);
    log.push(...stored);
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

  async head(runId: RunId): Promise<{ seq: number; hash: string }> {
    return { seq: this.logs.get(runId)?.length ?? 0, hash: this.chains.get(runId) ?? GENESIS };
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
