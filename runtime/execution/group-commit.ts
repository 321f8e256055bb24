// Group commit for one run: commands that arrive in the same turn (concurrent tasks finishing
// together) are decided in order and share one fsynced append. Each caller's promise resolves
// once its events are durable, or rejects with its refusal. Re-reads the log if another writer
// came first, or when it sees another process append while it follows the log (`watch`).
import { isPehError, type EventStore, type RunId } from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import type { RunState } from "../../machines/fold/run.js";
import { RunHandle } from "../command-handler.js";

/**
 * Crash tests only: `PEH_CRASH_AFTER_SEQ=N` makes this process SIGKILL itself right after the
 * append that brings the log to seq N or beyond, so a test can crash a run at every boundary.
 */
const CRASH_AFTER = Number(process.env.PEH_CRASH_AFTER_SEQ ?? "0");

/** How many appends in a row another writer may beat before the batch is refused. */
const MAX_CONFLICTS = 50;

export class GroupCommit {
  private pending: { command: CommandInput; resolve(): void; reject(error: unknown): void }[] = [];
  private flushing: Promise<void> | undefined;
  /** The highest seq `watch` has seen in the log: beyond the state's, another process appended. */
  private seen = 0;
  /** A re-read is due (another process appended), and who waits for the next one. */
  private resync = false;
  private readonly waiters = new Set<() => void>();
  /** How many times the run was read again (another process appended): a turn then looks at every task. */
  reads = 0;

  private constructor(
    private readonly store: EventStore,
    private readonly runId: RunId,
    private handle: RunHandle,
  ) {}

  static async open(store: EventStore, runId: RunId): Promise<GroupCommit> {
    return new GroupCommit(store, runId, await RunHandle.open(store, runId));
  }

  /** The run as of the last durable append (or the last re-read). */
  get state(): RunState {
    return this.handle.state;
  }

  /**
   * Reads what another process appended to the run (only that: the log only grows), and wakes
   * who waits for it.
   */
  async refresh(): Promise<void> {
    this.handle = await this.handle.advanced();
    this.reads++;
    this.seen = this.handle.state.seq;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /**
   * Follows the run's log until `signal` aborts: when another process appends (a human's
   * decision, a change, a cancel), the run is re-read between two appends of this one, and
   * whoever waits in `nextChange` is woken. This process's own appends are in the log too; only
   * a seq beyond the state's, seen while no append of this process is under way, is foreign.
   */
  async watch(signal: AbortSignal): Promise<void> {
    try {
      for await (const event of this.store.follow(this.runId, { from: this.handle.state.seq + 1, signal })) {
        this.seen = Math.max(this.seen, event.seq);
        if (this.flushing === undefined && this.seen > this.handle.state.seq) {
          this.resync = true;
          this.flushing = this.flush();
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  /** Resolves at the next re-read of the run (another process appended); `cancel` stops waiting. */
  nextChange(): { done: Promise<void>; cancel(): void } {
    let resolve = () => {};
    const done = new Promise<void>((r) => (resolve = r));
    this.waiters.add(resolve);
    return { done, cancel: () => this.waiters.delete(resolve) };
  }

  /** Decides and appends a command; resolves once its events are durable. */
  command(command: CommandInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ command, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // let this turn's commands gather
    while (this.pending.length > 0 || this.resync || this.seen > this.handle.state.seq) {
      // Another process appended while this one did (or rested): read the run again first.
      if (this.resync || this.seen > this.handle.state.seq) {
        this.resync = false;
        await this.refresh();
        continue;
      }
      const batch = this.pending.splice(0);
      let refusals: unknown[] | undefined;
      for (let attempt = 0; refusals === undefined; attempt++) {
        try {
          const before = this.handle.state.seq;
          refusals = await this.handle.handleMany(batch.map((entry) => entry.command));
          if (CRASH_AFTER > before && this.handle.state.seq >= CRASH_AFTER) process.kill(process.pid, "SIGKILL");
        } catch (error) {
          // Many workers on one run conflict often, each time with the log grown: decided again on it.
          if (!isPehError(error, "APPEND_CONFLICT") || attempt >= MAX_CONFLICTS) {
            for (const entry of batch) entry.reject(error);
            refusals = [];
            break;
          }
          await this.refresh();
        }
      }
      batch.forEach((entry, i) => (refusals![i] ? entry.reject(refusals![i]) : entry.resolve()));
    }
    this.flushing = undefined;
  }
}
