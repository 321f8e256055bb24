// Pure. Time travel: the state of every machine right after event `seq`.
import { PehError, type PehEvent } from "../events/index.js";
import { foldRun, initialRunState, type RunState } from "../machines/fold/run.js";
import { viewOf, type RunView } from "./run-view.js";

/** The folded run right after event `seq` (0: before the first event). */
export function runStateAt(events: readonly PehEvent[], seq: number): RunState {
  const last = events.at(-1)?.seq ?? 0;
  if (!Number.isInteger(seq) || seq < 0 || seq > last) {
    throw new PehError(
      "USAGE",
      `seq ${seq} is outside this run's log, which holds events 1 to ${last}`,
      last > 0 ? `pick a seq from 0 to ${last}, e.g. \`peh replay --at ${last}\`` : "the run has no events yet",
    );
  }
  return foldRun(
    events.filter((event) => event.seq <= seq),
    initialRunState(),
  );
}

export function stateAt(events: readonly PehEvent[], seq: number): RunView {
  return viewOf(runStateAt(events, seq));
}
