// Pure. How a task recovers from a classified failure: the recipe of its class's policy (a
// retry after a wait, or a human's decision, or the policy's own skip or abort; a retry waits
// while the plan waits for a human). Candidates only; the decider checks each with the
// machines, and the task machine holds the budget.
import { PehError } from "../../events/index.js";
import type { Command } from "./commands.js";
import type { Candidate, Legality } from "./candidate.js";
import { mayHandle } from "../memo/lite.js";
import { planMachine } from "../plan.js";
import { RATE_LIMIT_RETRIES, policyFor, retryDelayMs } from "../recovery.js";
import type { RunState, TaskSnapshot } from "../fold/run.js";
import { stateName } from "../fold/state-name.js";
import { wrapUp } from "./wrap-up.js";

/**
 * The recovery recipe for a classified failure. A retry is proposed while the policy retries;
 * the task machine judges whether its budget allows it (and never allows one for a task that is
 * not idempotent), and once it does not, a human decides.
 */
export function* recover(
  state: RunState,
  snapshot: TaskSnapshot,
  command: Extract<Command, { type: "Recover" }>,
  legal: Legality,
): Generator<Candidate, void, unknown> {
  const { task_id, evidence } = command;
  const klass = snapshot.context.failure_class;
  if (klass === null) {
    throw new PehError("ILLEGAL_TRANSITION", `Recover refused: task ${task_id} has no classified failure (it is ${stateName(snapshot.value)})`);
  }
  const policy = policyFor(klass, state.plan_spec?.tasks.find((t) => t.id === task_id), state.plan_spec?.recovery);
  const { retries, attempt, rate_limit } = snapshot.context;
  let reason = `${klass}${evidence ? `: ${evidence}` : ""}`;
  if (policy.action === "retry") {
    // A rate limit's recorded reset time (a resumed run's recipe has no output to read it from).
    const reset = rate_limit?.reset_at ? Math.max(0, Date.parse(rate_limit.reset_at) - Date.parse(command.at)) : undefined;
    const delay_ms = retryDelayMs(policy, retries + 1, command.jitter, command.retry_after_ms ?? reset);
    const due_at = new Date(Date.parse(command.at) + delay_ms).toISOString();
    const retry: Candidate = { type: "RECOVERY_ATTEMPTED", data: { task_id, next_attempt: attempt + 1, delay_ms, due_at } };
    if (legal(retry)) {
      yield retry;
      return;
    }
    // The plan waits for a human (stop on error: nothing new starts, not even a retry) or is
    // aborting: no retry is scheduled that would not run. The task stays classified, and its
    // recipe is followed once the plan executes again.
    if (!mayHandle(planMachine, state.plan.value, "RECOVERY_ATTEMPTED")) return;
    // The task machine refused it: say why, so that the human knows what they decide.
    reason = !snapshot.context.idempotent
      ? `${klass}: task ${task_id} is not idempotent (idempotent: false), so peh never runs it again on its own${evidence ? `; last: ${evidence}` : ""}`
      : rate_limit !== null && snapshot.context.rate_limit_retries > 0
        ? `${klass}: rate limited again after ${snapshot.context.rate_limit_retries} of ${RATE_LIMIT_RETRIES} automatic retries for rate limits${evidence ? `; last: ${evidence}` : ""}`
        : `${klass}: ${retries} of ${snapshot.context.budget[klass]} automatic retries used, none left${evidence ? `; last: ${evidence}` : ""}`;
  }
  if (policy.action === "skip" || policy.action === "abort") {
    yield { type: "RECOVERY_ESCALATION", data: { task_id, class: klass, reason: `the ${klass} policy says ${policy.action}${evidence ? `: ${evidence}` : ""}`, choices: [policy.action] } };
    yield { type: "DECISION_RECORDED", data: { task_id, decision: policy.action } };
    if (policy.action === "abort") yield* wrapUp(state, legal);
    return;
  }
  if (klass === "permission") {
    yield { type: "PERMISSION_REQUIRED", data: { task_id, detail: reason.slice(0, 500) } };
    return;
  }
  yield { type: "RECOVERY_ESCALATION", data: { task_id, class: klass, reason: reason.slice(0, 500), choices: ["retry", "skip", "abort"] } };
}

