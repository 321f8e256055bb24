// Reading a run's log for a view or a decision: every event is judged where it stands (the fold
// checks it as the decider did before it was appended), and a violation names the log's file and
// the seq. A log edited by hand, or written by a bug, is refused instead of believed.
import { isPehError, PehError, type EventStore, type PehEvent, type RunId } from "../../events/index.js";
import { foldRun, type RunState } from "../../machines/fold/run.js";

export interface ReadRun {
  events: PehEvent[];
  state: RunState;
}

/** The run's events and their fold, each event checked; throws STORE_CORRUPT naming the file and seq. */
export async function readRun(store: EventStore, runId: RunId): Promise<ReadRun> {
  const events = await store.read(runId);
  return { events, state: foldStored(store, runId, events) };
}

/** `foldRun` of events read from `store` (onto `state`, for the rest of a log), its STORE_CORRUPT naming the log. */
export function foldStored(store: EventStore, runId: RunId, events: Iterable<PehEvent>, state?: RunState): RunState {
  try {
    return foldRun(events, state);
  } catch (error) {
    if (!isPehError(error, "STORE_CORRUPT")) throw error;
    throw new PehError(error.code, `${store.locate?.(runId) ?? `run ${runId}`}: ${error.message}`, error.hint, error.details);
  }
}
