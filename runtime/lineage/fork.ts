// `peh fork RUN --at SEQ` (DESIGN §15, issue 22): a new run whose log begins with the source's
// events 1..SEQ, copied under the new run's id (each event as it was, its seq and time kept), its
// PLAN_CREATED carrying the lineage (source run and seq). Its state is therefore the source's
// right after SEQ, by the very fold `peh replay --at` uses; from there it goes on as any run does
// (a decision answered differently, a changed plan, `peh run`). The source's log is only read.
import { PehError, PehEventSchema, type EventStore, type PehEvent, type RunId } from "../../events/index.js";
import { foldRun } from "../../machines/fold/run.js";
import type { RunState } from "../../machines/fold/run.js";
import { runStateAt } from "../../projections/state-at.js";
import { newRunId } from "../gate/gate.js";
import { readRun } from "../store/read-run.js";

export interface Forked {
  run_id: RunId;
  source_run: RunId;
  at_seq: number;
  /** The forked run's state: the source's right after `at_seq`. */
  state: RunState;
}

/** The events of a fork of `events` at `seq` under `runId`: the prefix, its first event carrying the lineage. */
export function forkedEvents(events: readonly PehEvent[], seq: number, runId: RunId): PehEvent[] {
  const source = events[0]!.run_id;
  return events
    .filter((event) => event.seq <= seq)
    .map((event) => {
      const copied = { ...event, id: `${runId}.${event.seq}`, run_id: runId };
      if (copied.type !== "PLAN_CREATED") return PehEventSchema.parse(copied);
      return PehEventSchema.parse({ ...copied, data: { ...copied.data, lineage: { kind: "fork", source_run: source, at_seq: seq } } });
    });
}

/** Records the fork; a seq outside the log, or before its plan, throws USAGE with nothing recorded. */
export async function forkRun(store: EventStore, sourceId: RunId, seq: number): Promise<Forked> {
  const { events } = await readRun(store, sourceId);
  const last = events.at(-1)?.seq ?? 0;
  if (seq > last) {
    throw new PehError("USAGE", `seq ${seq} is past the end of run ${sourceId}'s log, which holds events 1 to ${last}; nothing was recorded`, `pick a seq from 1 to ${last} (\`peh log ${sourceId}\` shows each event's seq)`);
  }
  // The replay's fold, and its refusal of a seq outside the log.
  runStateAt(events, seq);
  const created = events.find((event) => event.type === "PLAN_CREATED");
  if (seq < (created?.seq ?? 1)) {
    throw new PehError(
      "USAGE",
      `seq ${seq} is before run ${sourceId}'s plan (PLAN_CREATED is event #${created?.seq ?? 1}): a fork starts from a run that has a plan; nothing was recorded`,
      `pick a seq from ${created?.seq ?? 1} to ${events.at(-1)?.seq ?? 1} (\`peh log ${sourceId}\` shows each event's seq)`,
    );
  }
  // Isolated work past the branch's start belongs to the source (its branch, its worktrees): a
  // fork would resume attempts whose worktrees it does not have. Refused until forks copy git work.
  const branched = events.find((event) => event.type === "RUN_BRANCH_STARTED" && event.seq <= seq);
  if (branched !== undefined) {
    throw new PehError(
      "USAGE",
      `run ${sourceId} works in git worktrees, and its branch had started by event #${branched.seq}: a fork at #${seq} would go on with ${sourceId}'s branch and worktrees, which it cannot take over; nothing was recorded`,
      `fork at a seq before #${branched.seq} (the same plan, approval and decisions, its own branch made when it runs), or redo from a task with \`peh rerun ${sourceId} --from TASK\``,
    );
  }
  const runId = newRunId();
  const copied = forkedEvents(events, seq, runId);
  // Judged by the machines before anything is written, as every log is when it is read.
  const state = foldRun(copied);
  await store.append(runId, copied, 0);
  return { run_id: runId, source_run: sourceId, at_seq: seq, state };
}
