// The one effectful loop of the core: read the run → fold → decide → append with the expected
// version. Effects belong to the caller (the orchestrator), after the append returned.
import type { EventStore, RunId } from "../events/index.js";
import type { CommandInput } from "../machines/commands.js";
import { decide, type DecideResult } from "../machines/decider.js";
import { foldRun, type RunState } from "../machines/run.js";

export class RunHandle {
  private constructor(
    readonly store: EventStore,
    readonly runId: RunId,
    private current: RunState,
  ) {}

  /** Reads and folds the run's log. */
  static async open(store: EventStore, runId: RunId): Promise<RunHandle> {
    return new RunHandle(store, runId, foldRun(await store.read(runId)));
  }

  get state(): RunState {
    return this.current;
  }

  /**
   * Decides the command against the run and appends its events, expecting the version it read.
   * Throws the decider's PehError, or APPEND_CONFLICT if another writer appended first (read
   * again with `open` and retry).
   */
  async handle(command: CommandInput): Promise<DecideResult> {
    const decision = decide(this.current, command);
    if (decision.events.length > 0) await this.store.append(this.runId, decision.events, this.current.seq);
    this.current = decision.state;
    return decision;
  }
}
