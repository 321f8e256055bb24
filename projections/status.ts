// Pure. What `peh status` shows, from the folded machines only: every machine's state (the run
// view), each task's recovery ledger, and what the run waits for with the exact command that
// unblocks it. The orchestrator asks the same question when it has nothing left to do. Whether a
// `peh run` drives the run now is not in the log: the runtime reads it (the run's lease) and
// passes it in, so this stays a pure function.
import type { FailureClass, Lineage, RunId, RunSummary, TaskId } from "../events/index.js";
import { mayHandle } from "../machines/memo/lite.js";
import { isServicePlan, planMachine, riskyTasksOf } from "../machines/plan.js";
import { policyFor } from "../machines/recovery.js";
import { NOTHING_SPENT, budgetLeft, budgetWords } from "../machines/run-budget.js";
import type { RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";
import { viewOf, type RunView } from "./run-view.js";
import { skippedFailuresOf, type SkippedFailure } from "./skipped.js";

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
  kind: "approval" | "clarification" | "decision" | "permission" | "trust" | "budget";
  task_id: string | null;
  reason: string;
  /** The exact command to type. */
  command: string;
}

/** Who holds the run's lease, as the runtime read it: null when nobody does. */
export interface Liveness {
  holder: { pid: number; host: string; started?: string } | null;
  /** Whether that process still runs (a dead or reused pid is not it). */
  alive: boolean;
}

/**
 * For a run under way (executing, or awaiting a decision), whether a `peh run` drives it: the
 * live holder, or `stopped` with the exact command that resumes it.
 */
export type Orchestrator = { state: "live"; pid: number; host: string; started: string | null } | { state: "stopped"; command: string };

/** The worker service's own run (`peh serve worker`): a service, not a run that ends. */
export interface ServiceView {
  /** The workers it has spawned. */
  workers: number;
}

export interface StatusView extends RunView {
  ledger: LedgerEntry[];
  awaited: Awaited[];
  /** The tasks skipped after a failure, by policy or by a human: a completed run that is not clean. */
  skipped_failures: SkippedFailure[];
  /** Present while the run is under way and the runtime said who drives it. */
  orchestrator?: Orchestrator;
  /** A rerun's or a fork's source (issue 22); absent for a run planned anew. */
  lineage?: Lineage;
  /** Only for the worker service's run: views show it as `serving`, never as a run executing forever. */
  service?: ServiceView;
}

const UNDER_WAY = new Set(["running", "verifying", "classifying"]);

/** The plan states in which a run needs a `peh run` to go on. */
const UNDER_WAY_PLAN = new Set(["bootstrapping", "executing", "awaiting_decision"]);

/** What the runtime read for a view and a pure fold cannot: who holds the lease, the deny list. */
export interface StatusOptions extends AwaitedOptions {
  liveness?: Liveness;
}

export function statusOf(state: RunState, options: StatusOptions = {}): StatusView {
  const service = serviceOf(state);
  const view: StatusView = { ...viewOf(state), ...(state.lineage ? { lineage: state.lineage } : {}), ledger: ledgerOf(state), awaited: awaitedOf(state, options), skipped_failures: skippedFailuresOf(state), ...(service ? { service } : {}) };
  // A service never ends and nothing runs its commands: no orchestrator is missing from it.
  const orchestrator = !service && options.liveness && orchestratorOf(state, options.liveness);
  return orchestrator ? { ...view, orchestrator } : view;
}

/** A run as `peh ui` lists it: what the server sends and the page draws. */
export interface RunListEntry {
  run_id: string;
  objective: string | null;
  state: string;
  events: number;
  created_at: string;
  updated_at: string;
  progress: StatusView["progress"];
  awaited: number;
}

export function runListEntryOf(summary: RunSummary, status: StatusView): RunListEntry {
  return {
    run_id: summary.run_id,
    objective: status.objective,
    state: status.service ? "serving" : status.plan.state,
    events: summary.events,
    created_at: summary.created_at,
    updated_at: summary.updated_at,
    progress: status.progress,
    awaited: status.awaited.length,
  };
}

export function serviceOf(state: RunState): ServiceView | undefined {
  return isServicePlan(state.plan.context) ? { workers: state.workers.size } : undefined;
}

/** Who drives a run under way (undefined for a run that is not). */
export function orchestratorOf(state: RunState, liveness: Liveness): Orchestrator | undefined {
  if (!UNDER_WAY_PLAN.has(stateName(state.plan.value))) return undefined;
  const { holder, alive } = liveness;
  if (holder && alive) return { state: "live", pid: holder.pid, host: holder.host, started: holder.started ?? null };
  return { state: "stopped", command: `peh run ${state.run_id ?? "RUN"}` };
}

export function ledgerOf(state: RunState): LedgerEntry[] {
  const specs = new Map((state.plan_spec?.tasks ?? []).map((task) => [task.id, task]));
  const trusting = waitingForTrust(state);
  return [...state.tasks].map(([id, cell]) => {
    const name = stateName(cell.value);
    const { attempt, retries, failure_class, due_at } = cell.context;
    const policy = failure_class ? policyFor(failure_class, specs.get(id), state.plan_spec?.recovery) : undefined;
    const allowed = failure_class ? cell.context.budget[failure_class] : null;
    let standing: string = name.replaceAll("_", " ");
    if (attempt === 0 && (name === "pending" || name === "ready")) standing = "never tried";
    else if (trusting.has(id)) standing = "waiting for trust";
    else if (UNDER_WAY.has(name)) standing = retries > 0 ? `running (retry ${retries})` : "running";
    else if (name === "classified" && !mayHandle(planMachine, state.plan.value, "RECOVERY_ATTEMPTED")) standing = heldRecovery(state);
    else if (name === "awaiting_decision" && cell.context.budget_stop) standing = "not started: the run's budget is spent, awaiting decision";
    else if (name === "awaiting_decision" && !cell.context.idempotent) standing = "awaiting decision (not idempotent: never retried on its own)";
    else if (name === "awaiting_decision" && policy?.action === "retry" && allowed !== null && retries >= allowed) standing = "exhausted, awaiting decision";
    else if (name === "reused") standing = reusedFrom(state, id);
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

/** Rerun (issue 22): whose result a reused task took over. */
function reusedFrom(state: RunState, id: TaskId): string {
  const result = state.reuse?.results.get(id);
  return result ? `reused from ${state.reuse!.source_run} (its event #${result.source_seq}, attempt ${result.attempt})` : "reused";
}

/** The tasks whose current attempt's worker waits at trust_required: started, but not running. */
function waitingForTrust(state: RunState): Set<TaskId> {
  const tasks = new Set<TaskId>();
  for (const [, worker] of state.workers) {
    if (stateName(worker.value) !== "trust_required") continue;
    const task = worker.context.task_id as TaskId;
    if (state.tasks.get(task)?.context.attempt === worker.context.attempt) tasks.add(task);
  }
  return tasks;
}

/** A trust.deny entry that covers a directory, and the config file it is in. */
export interface Denial {
  entry: string;
  config: string;
}

export interface AwaitedOptions {
  /**
   * The deny entry covering a worker's directory, from the user's trust policy (the caller reads
   * it; this fold cannot): a denied directory needs another fix than one in no trusted root.
   */
  denial?: (cwd: string) => Denial | undefined;
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
export function awaitedOf(state: RunState, options: AwaitedOptions = {}): Awaited[] {
  const run = (state.run_id ?? "RUN") as RunId;
  const plan = stateName(state.plan.value);
  if (plan === "awaiting_approval") {
    const phrases = state.plan_spec ? riskyTasksOf(state.plan_spec).map((r) => ` --confirm "${r.phrase}"`).join("") : "";
    // The version is named: an approval is of the version its actor saw (a modification meanwhile is refused).
    const version = state.plan.context.version;
    return [{ kind: "approval", task_id: null, reason: `version ${version} of the plan waits for approval`, command: `peh approve ${run} --version ${version} --as NAME${phrases}` }];
  }
  if (plan === "clarification_requested") {
    return [{ kind: "clarification", task_id: null, reason: "a question about the plan waits for an answer", command: `peh clarify ${run} --answer "…" --as NAME   (or peh modify / peh reject)` }];
  }
  const awaited: Awaited[] = [];
  const { budget, spent = NOTHING_SPENT } = state.plan.context;
  const stoppedBy = budget && !budgetLeft(budget, spent) ? budget : undefined;
  for (const [id, cell] of state.tasks) {
    if (stateName(cell.value) !== "awaiting_decision") continue;
    if (stoppedBy && cell.context.budget_stop) {
      awaited.push({
        kind: "budget",
        task_id: id,
        reason: `the run's budget is spent (${budgetWords(stoppedBy, spent)}): task ${id}'s attempt ${cell.context.attempt + 1} was not started`,
        command: `peh modify ${run} --from FILE --confirm-change --as NAME   (FILE: the plan with a bigger budget), then peh decide ${run} --task ${id} retry --as NAME   (or skip|abort)`,
      });
      continue;
    }
    const permission = cell.context.failure_class === "permission";
    awaited.push({
      kind: permission ? "permission" : "decision",
      task_id: id,
      reason: permission
        ? `task ${id} was refused a permission: its failure's evidence names the grant to ask for (add it to the task with peh modify; what no grant covers is given outside peh), then retry`
        : `task ${id} failed and waits for a decision`,
      command: `peh decide ${run} --task ${id} retry|skip|abort --as NAME`,
    });
  }
  for (const [, worker] of state.workers) {
    if (stateName(worker.value) !== "trust_required") continue;
    const task = worker.context.task_id as TaskId;
    if (state.tasks.get(task)?.context.attempt !== worker.context.attempt) continue;
    // The cwd is recorded where it really is: one outside the workspace came through a symlink,
    // and trusting it would not make it the workspace; `peh run` refuses the attempt.
    const cwd = worker.context.cwd;
    if (state.workspace !== null && !within(state.workspace, cwd)) {
      awaited.push({
        kind: "trust",
        task_id: task,
        reason: `task ${task} would run in ${cwd}, outside the workspace ${state.workspace} (a symlink leads there); peh does not run it there`,
        command: `peh run ${run}   (refuses the attempt before anything runs; then peh decide ${run} --task ${task} retry|skip|abort --as NAME)`,
      });
      continue;
    }
    const denied = options.denial?.(cwd);
    awaited.push(
      denied
        ? {
            kind: "trust",
            task_id: task,
            reason: `task ${task} runs in ${cwd}, which is denied by trust.deny entry ${denied.entry} (in ${denied.config})`,
            command: `remove ${denied.entry} from trust.deny in ${denied.config}, then: peh trust ${run} --task ${task} --as NAME`,
          }
        : {
            kind: "trust",
            task_id: task,
            reason: `task ${task} runs in ${cwd}, which is in no trusted root`,
            command: `peh trust ${run} --task ${task} --as NAME   (or peh trust ${run} --root DIR --as NAME)`,
          },
    );
  }
  return awaited;
}

/** `/w/app` holds `/w/app` and `/w/app/src`, not `/w/app-evil` (both paths as recorded: absolute, normalized). */
function within(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}
