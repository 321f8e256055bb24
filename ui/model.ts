// The run as the page shows it, at the seq the slider is on: folded in the browser by the same
// projections as the CLI (`peh replay --at` is runStateAt + statusOf), so the page and the
// terminal cannot tell two stories. The live end is folded once per event, as it arrives.
import type { PehEvent, Plan } from "../events/index.js";
import { foldRun, initialRunState, type RunState } from "../machines/fold/run.js";
import { attemptsOf, type AttemptRecord } from "../projections/attempts.js";
import { runStateAt } from "../projections/state-at.js";
import { statusOf, type StatusView } from "../projections/status.js";

export interface Snapshot {
  /** The seq the page shows the state right after. */
  seq: number;
  /** The last seq of the log. */
  last: number;
  live: boolean;
  state: RunState;
  status: StatusView;
  plan: Plan | null;
  attempts: Map<string, AttemptRecord[]>;
  /** The event at `seq`, if any. */
  event: PehEvent | undefined;
  /** The open question about the plan (`peh clarify --question`), while one waits for an answer. */
  question: { text: string; actor: string; seq: number } | null;
}

export class RunModel {
  readonly events: PehEvent[] = [];
  private live: RunState = initialRunState();
  private liveAttempts = new Map<string, AttemptRecord[]>();
  private liveSnapshot: Snapshot | undefined;

  get last(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  /** Adds events that continue the log (any already held are ignored). */
  add(events: readonly PehEvent[]): void {
    const fresh = events.filter((event) => event.seq > this.last);
    if (fresh.length === 0) return;
    this.events.push(...fresh);
    foldRun(fresh, this.live);
    attemptsOf(fresh, this.liveAttempts);
    this.liveSnapshot = undefined;
  }

  /** The page's state right after `seq` (the live end when it is the last). */
  at(seq: number): Snapshot {
    const last = this.last;
    if (seq >= last) return (this.liveSnapshot ??= this.snapshot(last, this.live, this.liveAttempts, true));
    const state = runStateAt(this.events, seq);
    return this.snapshot(seq, state, attemptsOf(this.events.slice(0, seq)), false);
  }

  private snapshot(seq: number, state: RunState, attempts: Map<string, AttemptRecord[]>, live: boolean): Snapshot {
    const status = statusOf(state);
    const question = status.awaited.some((wait) => wait.kind === "clarification") ? this.questionBefore(seq) : null;
    return { seq, last: this.last, live, state, status, plan: state.plan_spec, attempts, event: this.events[seq - 1], question };
  }

  /** The last question asked at or before `seq`: the one a plan waiting for an answer waits on. */
  private questionBefore(seq: number): Snapshot["question"] {
    for (let i = Math.min(seq, this.events.length) - 1; i >= 0; i--) {
      const event = this.events[i]!;
      if (event.type === "GATE_CLARIFICATION_REQUESTED") return { text: event.data.question, actor: event.actor, seq: event.seq };
    }
    return null;
  }
}
