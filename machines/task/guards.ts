// Pure. The task machine's guards (machines/task.ts): what it asks of an event and of its context
// before a transition is taken. Named here, referred to by name in the machine's configuration.
import type { GuardArgs } from "xstate";
import type { PehEvent, TaskId } from "../../events/index.js";
import { RATE_LIMIT_RETRIES } from "../recovery.js";
import type { TaskContext, WorktreePhase } from "./context.js";

type Args = GuardArgs<TaskContext, PehEvent>;

/** The task an event is about, if any (its data's task_id). */
export const taskIdOf = (event: PehEvent): TaskId | undefined =>
  "task_id" in event.data ? (event.data.task_id as TaskId) : undefined;

export const taskGuards = {
  isOwn: ({ context, event }: Args) => event.entity === `task:${context.task_id}`,
  isDependencySettling: ({ context, event }: Args) => {
    const from = taskIdOf(event);
    if (from === undefined || from === context.task_id || !context.depends_on.includes(from)) return false;
    if (event.type === "TASK_COMPLETED" || event.type === "TASK_REUSED") return true;
    if (event.type === "DECISION_RECORDED") return event.data.decision === "skip";
    if (event.type === "TASK_SKIPPED") return event.data.reason === "plan_changed";
    return false;
  },
  allDependenciesSettled: ({ context }: Args) => context.settled === context.depends_on.length,
  isNextAttempt: ({ context, event }: Args) =>
    (event.type === "TASK_STARTED" || event.type === "RECOVERY_ATTEMPTED" || event.type === "RUN_BUDGET_SPENT") &&
    (event.type === "TASK_STARTED" ? event.data.attempt : event.data.next_attempt) === context.attempt + 1,
  isCurrentAttempt: ({ context, event }: Args) =>
    "attempt" in event.data && event.data.attempt === context.attempt,
  isIdempotent: ({ context }: Args) => context.idempotent,
  isRetryAttempt: ({ context }: Args) => context.attempt > 1,
  withinBudget: ({ context }: Args) => {
    if (context.failure_class === null) return false;
    // A rate limit counted once already: its waits have a bound of their own, not the class's.
    if (context.rate_limit !== null && context.rate_limit_retries > 0) return context.rate_limit_retries < RATE_LIMIT_RETRIES;
    return context.retries < context.budget[context.failure_class];
  },
  isUpstreamFailure: ({ event }: Args) => event.type === "TASK_SKIPPED" && event.data.reason === "upstream_failed",
  isPlanChangeSkip: ({ event }: Args) => event.type === "TASK_SKIPPED" && event.data.reason === "plan_changed",
  isStillPlanned: ({ context, event }: Args) =>
    event.type === "PLAN_CHANGED" && event.data.plan.tasks.some((task) => task.id === context.task_id),
  dependenciesStaySettled: ({ context, event }: Args) => {
    const task = event.type === "PLAN_CHANGED" ? event.data.plan.tasks.find((t) => t.id === context.task_id) : undefined;
    return task !== undefined && event.type === "PLAN_CHANGED" && task.depends_on.every((id) => event.data.settled.includes(id));
  },
  /** A human's "run it now" for the retry that waits for its due time. */
  isScheduledRetry: ({ context, event }: Args) =>
    event.type === "RECOVERY_EXPEDITED" &&
    context.due_at !== null &&
    event.data.waived_due_at === context.due_at &&
    event.data.next_attempt === context.attempt + 1,
  /** Rerun (issue 22): only a task its rerun marked may take over its source's result. */
  isReusable: ({ context }: Args) => context.reusable,
  isIsolated: ({ context }: Args) => context.isolated,
  /** No worktree of this task is in use: none was made, or the last one is removed. */
  worktreeSettled: ({ context }: Args) => context.worktree === null || context.worktree.phase === "removed",
  /** The attempt may verify: it is not isolated, or its worktree is made (and not yet committed). */
  worktreeReadyIfIsolated: ({ context }: Args) =>
    !context.isolated || (context.worktree?.attempt === context.attempt && context.worktree.phase === "created"),
  worktreeIn: ({ context }: Args, params: { phases: readonly WorktreePhase[] }) =>
    context.worktree !== null && context.worktree.attempt === context.attempt && params.phases.includes(context.worktree.phase),
  worktreeMergedAndRemoved: ({ context }: Args) =>
    context.worktree?.attempt === context.attempt && context.worktree.phase === "removed" && context.worktree.merged,
  decidedRetry: ({ event }: Args) => event.type === "DECISION_RECORDED" && event.data.decision === "retry",
  decidedSkip: ({ event }: Args) => event.type === "DECISION_RECORDED" && event.data.decision === "skip",
  decidedAbort: ({ event }: Args) => event.type === "DECISION_RECORDED" && event.data.decision === "abort",
};
