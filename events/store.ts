// The EventStore contract every adapter honours (in-memory, lowdb; PostgreSQL later). One log per
// run; seq is 1, 2, 3 … without gaps; an append names the version it expects and fails if stale.
import { PehError } from "./errors.js";
import type { PehEvent } from "./envelope.js";
import type { RunId } from "./ids.js";

export interface AppendResult {
  /** The seq of the last event now in the log: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
}

export interface ReadRange {
  /** First seq to return (inclusive, default 1). */
  from?: number;
  /** Last seq to return (inclusive, default the end). */
  to?: number;
}

export interface RunSummary {
  run_id: RunId;
  events: number;
  created_at: string;
  updated_at: string;
}

export interface FollowOptions {
  /** First seq to yield (default 1). */
  from?: number;
  /** Stops the iteration. */
  signal?: AbortSignal;
}

/** A fold of a run's first `seq` events, kept beside its log to spare read-only views the fold. */
export interface Checkpoint {
  seq: number;
  /** Which fold made it (machines and format): a checkpoint made by another one is never used. */
  tag: string;
  /** The fold's state as JSON. */
  state: unknown;
}

/** A usable checkpoint and the events appended after it. */
export interface CheckpointRead extends Checkpoint {
  events: PehEvent[];
}

export interface EventStore {
  /**
   * Appends `events` (whose seqs must continue the log) if the log's current version is
   * `expectedVersion` (0 for a new run); durable before it resolves. Throws `APPEND_CONFLICT` if
   * another writer got there first.
   */
  append(runId: RunId, events: readonly PehEvent[], expectedVersion: number): Promise<AppendResult>;
  /** The events of a run in seq order (empty for an unknown run). */
  read(runId: RunId, range?: ReadRange): Promise<PehEvent[]>;
  /** The seq of the last event of the run, 0 if none. */
  version(runId: RunId): Promise<number>;
  /** Every run, oldest first. */
  listRuns(): Promise<RunSummary[]>;
  /**
   * Optional, a cheap look at a run's first event (its PLAN_CREATED) without reading the rest of
   * the log: undefined if the run has none, or if it takes more than `maxBytes` to store (the
   * caller wants only small ones). Without it, `read(runId, { to: 1 })` answers the same.
   */
  readFirst?(runId: RunId, maxBytes: number): Promise<PehEvent | undefined>;
  /** Yields events from `from` on, then new ones as they are appended, until aborted. */
  follow(runId: RunId, options?: FollowOptions): AsyncIterable<PehEvent>;
  close(): Promise<void>;
  /**
   * The seal of the run's last event: its seq and the hash that chains it to every event before
   * (see seal.ts; "" at seq 0). Adapters that hold the same log agree on it; kept elsewhere, it
   * tells later whether the log still ends the same.
   */
  head?(runId: RunId): Promise<{ seq: number; hash: string }>;
  /** Where the run's log is kept (its file, for the embedded store), for messages about it. */
  locate?(runId: RunId): string;
  /**
   * Optional, a cache for read-only views: keeps `checkpoint` beside the run's log, bound to the
   * exact bytes of its first `seq` events. It is never the source of truth: whatever decides or
   * appends folds the log itself.
   */
  saveCheckpoint?(runId: RunId, checkpoint: Checkpoint): Promise<void>;
  /**
   * The run's checkpoint made with `tag` and the (validated) events after it, or undefined when
   * there is none, it was made by another fold, or the log no longer begins with its bytes.
   */
  readCheckpoint?(runId: RunId, tag: string): Promise<CheckpointRead | undefined>;
}

/**
 * The checks every adapter makes before an append, against the version it holds under its lock.
 * Throws a PehError naming the problem.
 */
export function checkAppend(runId: RunId, current: number, events: readonly PehEvent[], expected: number): void {
  if (expected !== current) {
    throw new PehError(
      "APPEND_CONFLICT",
      `run ${runId} is at version ${current}, not ${expected}: another writer appended first`,
      "read the run again and retry the command; if another `peh run` holds it, wait for it or stop it",
      { run_id: runId, expected, actual: current },
    );
  }
  events.forEach((event, index) => {
    if (event.run_id !== runId) {
      throw new PehError("EVENT_INVALID", `event ${event.id} belongs to run ${event.run_id}, not ${runId}`);
    }
    if (event.seq !== current + index + 1) {
      throw new PehError(
        "EVENT_INVALID",
        `event ${event.id} has seq ${event.seq} where ${current + index + 1} was due: the log must stay gapless`,
      );
    }
  });
}
