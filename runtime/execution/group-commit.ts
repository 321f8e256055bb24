// Group commit for one run: commands that arrive in the same turn (concurrent tasks finishing
// together) are decided in order and share one fsynced append. Each caller's promise resolves
// once its events are durable, or rejects with its refusal. Re-reads the log if another writer
// came first.
import { isPehError, type EventStore, type RunId } from "../../events/index.js";
import type { CommandInput } from "../../machines/commands.js";
import type { RunState } from "../../machines/run.js";
import { RunHandle } from "../command-handler.js";

/**
 * Crash tests only: `PEH_CRASH_AFTER_SEQ=N` makes this process SIGKILL itself right after the
 * append that brings the log to seq N or beyond, so a test can crash a run at every boundary.
 */
const CRASH_AFTER = Number(process.env.PEH_CRASH_AFTER_SEQ ?? "0");

export class GroupCommit {
  private pending: { command: CommandInput; resolve(): void; reject(error: unknown): void }[] = [];
  private flushing: Promise<void> | undefined;

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

  /** Re-reads the run, e.g. after another process appended to it. */
  async refresh(): Promise<void> {
    this.handle = await RunHandle.open(this.store, this.runId);
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
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      let refusals: unknown[] | undefined;
      for (let attempt = 0; refusals === undefined; attempt++) {
        try {
          const before = this.handle.state.seq;
          refusals = await this.handle.handleMany(batch.map((entry) => entry.command));
          if (CRASH_AFTER > before && this.handle.state.seq >= CRASH_AFTER) process.kill(process.pid, "SIGKILL");
        } catch (error) {
          if (!isPehError(error, "APPEND_CONFLICT") || attempt >= 3) {
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
