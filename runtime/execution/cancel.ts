// `peh cancel`: a human ends a run, through the machines. RUN_CANCELLED moves the plan to
// aborting, and the tasks that have not run are skipped (`aborted`). The `peh run` that holds
// the run stops what runs and records the end. With none, this finishes the abort as a resumed
// `peh run` would: what a crash left under way is stopped, and the run ends `aborted`.
import { PehError, isPehError, type EventStore, type RunId } from "../../events/index.js";
import { stateName } from "../../machines/fold/state-name.js";
import { RunHandle } from "../command-handler.js";
import { now } from "./clock.js";
import type { RunLeases } from "./lease.js";
import { placeOf } from "../store/place.js";
import { Orchestrator } from "./orchestrator.js";

export type Cancelled =
  /** The run has ended, aborted: nothing of it runs any more. */
  | { kind: "ended" }
  /** A live `peh run` (this pid) stops what runs and ends the run. */
  | { kind: "stopping"; holder: number };

const ENDED = new Set(["completed", "failed", "aborted", "rejected"]);

export async function cancelRun(store: EventStore, runId: RunId, input: { actor: string; reason: string }): Promise<Cancelled> {
  const run = await RunHandle.open(store, runId);
  try {
    await run.handle({ type: "CancelRun", at: now(), actor: input.actor, reason: input.reason });
  } catch (error) {
    if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
    throw refusal(runId, stateName(run.state.plan.value), error);
  }
  if (stateName(run.state.plan.value) === "aborted") return { kind: "ended" };
  const { leases } = placeOf(store);
  const holder = await otherLiveHolder(leases, runId);
  if (holder !== undefined) return { kind: "stopping", holder };
  try {
    await new Orchestrator({ store, runId, concurrency: 1, wait: false, trustRoots: [], progress: () => undefined }).execute();
  } catch (error) {
    // A `peh run` took the run in the meantime: it sees the cancel and ends the run.
    const taken = isPehError(error, "APPEND_CONFLICT") ? await otherLiveHolder(leases, runId) : undefined;
    if (taken === undefined) throw error;
    return { kind: "stopping", holder: taken };
  }
  return { kind: "ended" };
}

/** The pid of another live process (a `peh run` executing the run) that holds its lease, if any. */
async function otherLiveHolder(leases: RunLeases, runId: RunId): Promise<number | undefined> {
  const held = await leases.holder(runId);
  return held?.alive && held.holder.pid !== process.pid ? held.holder.pid : undefined;
}

/** Why the plan machine refused the cancel, said for the state the run is in. */
function refusal(runId: RunId, plan: string, error: PehError): PehError {
  if (ENDED.has(plan)) {
    return new PehError("ILLEGAL_TRANSITION", `run ${runId} has already ended (${plan}): there is nothing to cancel`, "start a new run with `peh plan`", error.details);
  }
  if (plan === "aborting") {
    return new PehError("ILLEGAL_TRANSITION", `run ${runId} is already cancelled and being aborted`, `\`peh run ${runId}\` records its end if no peh run is running it`, error.details);
  }
  if (plan === "drafted" || plan === "awaiting_approval" || plan === "clarification_requested") {
    return new PehError("ILLEGAL_TRANSITION", `run ${runId} was never approved, so nothing of it runs: there is nothing to cancel`, `reject its plan instead: peh reject ${runId} --reason "…" --as NAME`, error.details);
  }
  return error;
}
