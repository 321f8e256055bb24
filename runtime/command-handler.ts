// The one effectful loop of the core: read the run → fold → decide → append with the expected
// version. Effects belong to the caller (the orchestrator), after the append returned.
import { PehError, type EventStore, type PehEvent, type RunId } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { cloneRun, decide, type DecideResult } from "../machines/decider/decider.js";
import type { RunState } from "../machines/fold/run.js";
import { foldStored } from "./store/read-run.js";

export class RunHandle {
  private constructor(
    readonly store: EventStore,
    readonly runId: RunId,
    private current: RunState,
  ) {}

  /** Reads and folds the run's log, judging every event (STORE_CORRUPT names the file and seq). */
  static async open(store: EventStore, runId: RunId): Promise<RunHandle> {
    return new RunHandle(store, runId, foldStored(store, runId, await store.read(runId)));
  }

  /**
   * The run read again from where this handle stands: only the events appended since are read
   * and folded (onto a copy), as many workers appending to one run need.
   */
  async advanced(): Promise<RunHandle> {
    const events = await this.store.read(this.runId, { from: this.current.seq + 1 });
    if (events.length === 0) return this;
    return new RunHandle(this.store, this.runId, foldStored(this.store, this.runId, events, cloneRun(this.current)));
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

  /**
   * Group commit: decides the commands in order, each against the state the ones before it left,
   * and appends all their events in one durable append. A refused command is skipped (its error
   * is returned in its place); the others are appended. Throws APPEND_CONFLICT for the whole
   * batch if another writer came first.
   */
  async handleMany(commands: readonly CommandInput[]): Promise<(PehError | undefined)[]> {
    let state = this.current;
    const events: PehEvent[] = [];
    const refusals = commands.map((command) => {
      try {
        const decision = decide(state, command);
        events.push(...decision.events);
        state = decision.state;
        return undefined;
      } catch (error) {
        if (error instanceof PehError) return error;
        throw error;
      }
    });
    if (events.length > 0) await this.store.append(this.runId, events, this.current.seq);
    this.current = state;
    return refusals;
  }
}
