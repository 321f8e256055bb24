// Pure. What `peh status` shows, from the folded machines only: every machine's state (the run
// view), each task's recovery ledger, and what the run waits for with the exact command that
// unblocks it. The orchestrator asks the same question when it has nothing left to do.
import type { FailureClass, RunId, TaskId } from "../events/index.js";
import { mayHandle } from "../machines/lite.js";
import { planMachine, riskyTasksOf } from "../machines/plan.js";
import { policyFor } from "../machines/recovery.js";
import type { RunState } from "../machines/run.js";
import { stateName } from "../machines/state-name.js";
import { viewOf, type RunView } from "./run-view.js";

/** Where a task stands with its attempts and its recovery budget. */
export interface LedgerEntry {
  task_id: string;
  state: string;
  /** Attempts started so far. */
  attempts: number;
  /** Automatic retries used since the start or a human's retry. */
  retries_used: number;
  /** Retries the policy of the last failure's class allows; null before any failure. */
  retries_allowed: number | null;
  /** The class of the failure being recovered from, if any. */
  failure_class: FailureClass | null;
  /** When the scheduled retry is due. */
  next_retry_at: string | null;
  /** In one word or two: never tried, running, retry scheduled, exhausted, awaiting decision… */
  standing: string;
}

export interface Awaited {
  kind: "approval" | "clarification" | "decision" | "permission" | "trust";
  task_id: string | null;
  reason: string;
  /** The exact command to type. */
  command: string;
}

export interface StatusView extends RunView {
  ledger: LedgerEntry[];
  awaited: Awaited[];
}

const UNDER_WAY = new Set(["running", "verifying", "classifying"]);

export function statusOf(state: RunState): StatusView {
  return { ...viewOf(state), ledger: ledgerOf(state), awaited: awaitedOf(state) };
}

export function ledgerOf(state: RunState): LedgerEntry[] {
  const specs = new Map((state.plan_spec?.tasks ?? []).map((task) => [task.id, task]));
  return [...state.tasks].map(([id, cell]) => {
    const name = stateName(cell.value);
    const { attempt, retries, failure_class, due_at } = cell.context;
    const policy = failure_class ? policyFor(failure_class, specs.get(id), state.plan_spec?.recovery) : undefined;
    const allowed = failure_class ? cell.context.budget[failure_class] : null;
    let standing: string = name.replaceAll("_", " ");
    if (attempt === 0 && (name === "pending" || name === "ready")) standing = "never tried";
    else if (UNDER_WAY.has(name)) standing = retries > 0 ? `running (retry ${retries})` : "running";
    else if (name === "classified" && !mayHandle(planMachine, state.plan.value, "RECOVERY_ATTEMPTED")) standing = heldRecovery(state);
    else if (name === "awaiting_decision" && !cell.context.idempotent) standing = "awaiting decision (not idempotent: never retried on its own)";
    else if (name === "awaiting_decision" && policy?.action === "retry" && allowed !== null && retries >= allowed) standing = "exhausted, awaiting decision";
    return {
      task_id: id,
      state: name,
      attempts: attempt,
      retries_used: retries,
      retries_allowed: allowed,
      failure_class,
      next_retry_at: name === "retry_scheduled" ? due_at : null,
      standing,
    };
  });
}

/**
 * Why a classified failure's recovery waits: the plan refuses a retry while it waits for a human
 * (stop on error) or aborts, so none is scheduled (or counted) that would not run.
 */
export function heldRecovery(state: RunState): string {
  const awaiting = state.plan.context.awaiting;
  return stateName(state.plan.value) === "awaiting_decision" && awaiting.length > 0
    ? `retry held until the decision on ${awaiting.join(", ")} (nothing new starts while the run waits for a human)`
    : "not retried: the run is aborting";
}

/** What the run waits for from a human, each with the command that unblocks it. */
export function awaitedOf(state: RunState): Awaited[] {
  const run = (state.run_id ?? "RUN") as RunId;
  const plan = stateName(state.plan.value);
  if (plan === "awaiting_approval") {
    const phrases = state.plan_spec ? riskyTasksOf(state.plan_spec).map((r) => ` --confirm "${r.phrase}"`).join("") : "";
    return [{ kind: "approval", task_id: null, reason: `version ${state.plan.context.version} of the plan waits for approval`, command: `peh approve ${run} --as NAME${phrases}` }];
  }
  if (plan === "clarification_requested") {
    return [{ kind: "clarification", task_id: null, reason: "a question about the plan waits for an answer", command: `peh clarify ${run} --answer "…" --as NAME   (or peh modify / peh reject)` }];
  }
  const awaited: Awaited[] = [];
  for (const [id, cell] of state.tasks) {
    if (stateName(cell.value) !== "awaiting_decision") continue;
    const permission = cell.context.failure_class === "permission";
    awaited.push({
      kind: permission ? "permission" : "decision",
      task_id: id,
      reason: permission
        ? `task ${id} needs a permission peh will not ask for; grant it outside peh, then retry`
        : `task ${id} failed and waits for a decision`,
      command: `peh decide ${run} --task ${id} retry|skip|abort --as NAME`,
    });
  }
  for (const [, worker] of state.workers) {
    if (stateName(worker.value) !== "trust_required") continue;
    const task = worker.context.task_id as TaskId;
    if (state.tasks.get(task)?.context.attempt !== worker.context.attempt) continue;
    awaited.push({
      kind: "trust",
      task_id: task,
      reason: `task ${task} runs in ${worker.context.cwd}, which is in no trusted root`,
      command: `peh trust ${run} --task ${task} --as NAME   (or peh trust ${run} --root DIR --as NAME)`,
    });
  }
  return awaited;
}
