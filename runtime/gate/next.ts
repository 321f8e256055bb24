// Where the gate stands and what moves it on: the exact command a waiting run needs next, and the
// refusal of `peh run` for a plan that is not approved or is the worker service's. Pure reads.
import { PehError, type RunId } from "../../events/index.js";
import { isServicePlan } from "../../machines/plan.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { awaitedOf } from "../../projections/status.js";

/** The exact command that moves a waiting run on, for messages and `peh show`. */
export function nextStep(runId: RunId, state: RunState): string | undefined {
  switch (stateName(state.plan.value)) {
    case "awaiting_approval":
    case "clarification_requested":
      // What the gate waits for, as `peh status` says it.
      return awaitedOf(state)[0]?.command;
    case "approved":
      return `peh run ${runId}`;
    default:
      return undefined;
  }
}

/**
 * `peh run` starts only an approved plan: otherwise it waits for a human (exit 3) and says
 * what to type. Nothing is recorded.
 */
export function requireApproved(runId: RunId, state: RunState): void {
  if (isServicePlan(state.plan.context)) {
    // Its plan is extended by every spawn_worker and was approved by the service, not a human.
    throw new PehError(
      "USAGE",
      `run ${runId} is the worker service's run (peh serve worker): peh run never runs its workers' commands; nothing was started`,
      `look at its workers with peh status ${runId}; to run a plan, create one: peh plan --from plan.yaml`,
    );
  }
  const name = stateName(state.plan.value);
  if (name !== "awaiting_approval" && name !== "clarification_requested" && name !== "drafted" && name !== "rejected") return;
  const version = state.plan_spec?.version ?? 0;
  if (name === "rejected") {
    throw new PehError("USAGE", `run ${runId} was rejected; it will not run`, 'plan again: peh plan --from plan.yaml, or peh plan "<objective>"');
  }
  throw new PehError(
    "WAITING_FOR_HUMAN",
    `version ${version} of run ${runId}'s plan is not approved (${name.replaceAll("_", " ")}); nothing was started`,
    nextStep(runId, state),
  );
}
