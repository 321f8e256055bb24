// Pure. The task machine's context (machines/task.ts): what one task's lifecycle remembers, what
// it is made from (its plan entry, the plan-wide policies), and its value before the first event.
import { isolationOf, type FailureClass, type Isolation, type PlanTask, type Recovery, type TaskId } from "../../events/index.js";
import { NO_RETRIES, retryBudget } from "../recovery.js";

export interface TaskContext {
  task_id: TaskId;
  idempotent: boolean;
  depends_on: readonly TaskId[];
  /**
   * How many dependencies succeeded or were skipped on purpose (their dependents may proceed).
   * A count suffices: a settled task is in a final state and settles only once.
   */
  settled: number;
  /** The attempt now or last under way; 0 before the first start. */
  attempt: number;
  failure_class: FailureClass | null;
  /** Automatic retries used since the start or the last human `retry` (which resets them). */
  retries: number;
  /**
   * The classified failure was a rate or usage limit (its reset time, when the stream gave one):
   * waiting for the reset is not a new failure, so such retries count against `retries` once.
   */
  rate_limit: { reset_at: string | null } | null;
  /** It waits for a human because the run's budget was spent before its next attempt (RUN_BUDGET_SPENT). */
  budget_stop: boolean;
  /** Automatic retries after a rate limit since the start or the last human `retry` (the first one is in `retries` too). */
  rate_limit_retries: number;
  /** How many automatic retries each failure class allows (the recovery policy's budget). */
  budget: Readonly<Record<FailureClass, number>>;
  /** When the scheduled retry is due (ISO time), so that a resumed run waits only what remains. */
  due_at: string | null;
  /** The attempt under way began after an interruption (a crash, a drain): a resume, not a retry. */
  resumed: boolean;
  // ── rerun (issue 22) ──
  /** A rerun may take over this task's result from its source (TASK_REUSED) instead of running it. */
  reusable: boolean;
  /** Each attempt works in a git worktree of its own, committed and merged by peh (isolation: worktree). */
  isolated: boolean;
  /** The last attempt's worktree, where it is in its lifecycle; null before the first one. */
  worktree: WorktreeFacts | null;
}

/**
 * Where an attempt's worktree is: made, its commit made, replayed onto the branch head, merged;
 * or archived (a failure, an interruption); then removed. `removed` keeps whether its work was
 * merged, which completion needs.
 */
export type WorktreePhase = "created" | "committed" | "rebased" | "merged" | "archived" | "removed";
export interface WorktreeFacts {
  attempt: number;
  phase: WorktreePhase;
  merged: boolean;
}

export interface TaskInput {
  task: Pick<PlanTask, "id" | "idempotent" | "depends_on" | "recovery" | "isolation">;
  /** The plan-wide recovery policies, under the task's own. */
  recovery?: Recovery | undefined;
  /** The plan-wide isolation, under the task's own. */
  isolation?: Isolation | undefined;
  /** Tasks already settled for their dependents (a task added by a change mid-run). */
  settled?: readonly TaskId[];
  /** A rerun's task whose source result it may take over (TASK_REUSED): see machines/reuse.ts. */
  reusable?: boolean;
}

/** A task's dependencies (deduplicated) and how many of them have settled already. */
export function specOf(task: TaskInput["task"], recovery: Recovery | undefined, settled: readonly TaskId[] = [], isolation?: Isolation) {
  const depends_on = [...new Set(task.depends_on)];
  return {
    idempotent: task.idempotent,
    isolated: isolationOf(task, { isolation }) === "worktree",
    depends_on,
    settled: depends_on.filter((id) => settled.includes(id)).length,
    // A task that is not idempotent has no automatic retries at all, whatever its policies say.
    budget: task.idempotent ? retryBudget(task, { recovery }) : NO_RETRIES,
  };
}

/** The context before the first event. */
export function initialContext(input: TaskInput): TaskContext {
  return {
    task_id: input.task.id,
    // Deduplicated: the count of settled dependencies must be able to reach it.
    ...specOf(input.task, input.recovery, input.settled, input.isolation),
    attempt: 0,
    failure_class: null,
    retries: 0,
    rate_limit: null,
    rate_limit_retries: 0,
    budget_stop: false,
    due_at: null,
    resumed: false,
    reusable: input.reusable === true,
    worktree: null,
  };
}
