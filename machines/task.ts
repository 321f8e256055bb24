// Pure. The task lifecycle: pending → ready → running → verifying → succeeded, with failure
// classification, scheduled retries, human decisions and the terminal states of DESIGN §4; in a
// rerun (DESIGN §15) pending → reused, the source's result taken over.
// Dependencies: a task also receives its dependencies' settling events (completed, skipped by a
// decision or the plan) and counts them; it becomes ready only when all have settled.
import { and, assign, not, setup } from "xstate";
import { isolationOf, type FailureClass, type Isolation, type PehEvent, type PlanTask, type Recovery, type TaskId } from "../events/index.js";
import { NO_RETRIES, RATE_LIMIT_RETRIES, retryBudget } from "./recovery.js";

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

/** The tag of the states whose dependents may proceed: succeeded, and skipped on purpose. */
export const SETTLES_DEPENDENTS = "settles_dependents";

/** A task's dependencies (deduplicated) and how many of them have settled already. */
function specOf(task: TaskInput["task"], recovery: Recovery | undefined, settled: readonly TaskId[] = [], isolation?: Isolation) {
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

/** The task an event is about, if any (its data's task_id). */
export const taskIdOf = (event: PehEvent): TaskId | undefined =>
  "task_id" in event.data ? (event.data.task_id as TaskId) : undefined;

/** A task that has not started can be skipped: by an abort, or dropped by a change mid-run. */
const skipOwn = [
  { guard: and(["isOwn", "isUpstreamFailure"]), target: "upstream_failed" },
  { guard: "isOwn", target: "skipped" },
] as const;

/** A task that ran can be skipped by an abort, never dropped by a plan change. */
const skipOwnThatRan = [
  { guard: and(["isOwn", "isUpstreamFailure"]), target: "upstream_failed" },
  { guard: and(["isOwn", not("isPlanChangeSkip")]), target: "skipped" },
] as const;

/** Re-specified by a change mid-run (its dependencies, idempotence), while it has not started. */
const respecify = { guard: "isStillPlanned", actions: "adoptSpec" } as const;

/**
 * Fixed in place by a change mid-run while nothing of it runs (it failed and waits for a human or
 * for its retry): its next attempt runs the new definition. It ran once its dependencies had
 * settled, so the change may not make it wait for one that has not.
 */
const fixInPlace = { guard: and(["isStillPlanned", "dependenciesStaySettled"]), actions: "adoptSpec" } as const;

/**
 * The run's budget is spent (the plan judges that): the next attempt does not start, a human
 * decides (a retry once the budget is raised, a skip, an abort).
 */
const budgetStop = { guard: and(["isOwn", "isNextAttempt"]), target: "awaiting_decision", actions: ["recordBudgetStop", "askHuman"] } as const;

/** The guard "the current attempt's worktree is in one of `phases`". */
const inPhase = (...phases: WorktreePhase[]) => ({ type: "worktreeIn", params: { phases } }) as const;
/** The action "the current attempt's worktree is now in `phase`". */
const toPhase = (phase: WorktreePhase) => ({ type: "recordWorktreePhase", params: { phase } }) as const;

/** A failed or interrupted attempt's worktree: archived (unless merged), then removed. */
const keepFailedWork = {
  WORKTREE_ARCHIVED: {
    guard: and(["isCurrentAttempt", inPhase("created", "committed", "rebased")]),
    actions: [toPhase("archived"), "removeWorktree"],
  },
  WORKTREE_REMOVED: {
    guard: and(["isCurrentAttempt", inPhase("archived")]),
    actions: toPhase("removed"),
  },
} as const;

export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as PehEvent,
    input: {} as TaskInput,
  },
  guards: {
    isOwn: ({ context, event }) => event.entity === `task:${context.task_id}`,
    isDependencySettling: ({ context, event }) => {
      const from = taskIdOf(event);
      if (from === undefined || from === context.task_id || !context.depends_on.includes(from)) return false;
      if (event.type === "TASK_COMPLETED" || event.type === "TASK_REUSED") return true;
      if (event.type === "DECISION_RECORDED") return event.data.decision === "skip";
      if (event.type === "TASK_SKIPPED") return event.data.reason === "plan_changed";
      return false;
    },
    allDependenciesSettled: ({ context }) => context.settled === context.depends_on.length,
    isNextAttempt: ({ context, event }) =>
      (event.type === "TASK_STARTED" || event.type === "RECOVERY_ATTEMPTED" || event.type === "RUN_BUDGET_SPENT") &&
      (event.type === "TASK_STARTED" ? event.data.attempt : event.data.next_attempt) === context.attempt + 1,
    isCurrentAttempt: ({ context, event }) =>
      "attempt" in event.data && event.data.attempt === context.attempt,
    isIdempotent: ({ context }) => context.idempotent,
    isRetryAttempt: ({ context }) => context.attempt > 1,
    withinBudget: ({ context }) => {
      if (context.failure_class === null) return false;
      // A rate limit counted once already: its waits have a bound of their own, not the class's.
      if (context.rate_limit !== null && context.rate_limit_retries > 0) return context.rate_limit_retries < RATE_LIMIT_RETRIES;
      return context.retries < context.budget[context.failure_class];
    },
    isUpstreamFailure: ({ event }) => event.type === "TASK_SKIPPED" && event.data.reason === "upstream_failed",
    isPlanChangeSkip: ({ event }) => event.type === "TASK_SKIPPED" && event.data.reason === "plan_changed",
    isStillPlanned: ({ context, event }) =>
      event.type === "PLAN_CHANGED" && event.data.plan.tasks.some((task) => task.id === context.task_id),
    dependenciesStaySettled: ({ context, event }) => {
      const task = event.type === "PLAN_CHANGED" ? event.data.plan.tasks.find((t) => t.id === context.task_id) : undefined;
      return task !== undefined && event.type === "PLAN_CHANGED" && task.depends_on.every((id) => event.data.settled.includes(id));
    },
    /** A human's "run it now" for the retry that waits for its due time. */
    isScheduledRetry: ({ context, event }) =>
      event.type === "RECOVERY_EXPEDITED" &&
      context.due_at !== null &&
      event.data.waived_due_at === context.due_at &&
      event.data.next_attempt === context.attempt + 1,
    /** Rerun (issue 22): only a task its rerun marked may take over its source's result. */
    isReusable: ({ context }) => context.reusable,
    isIsolated: ({ context }) => context.isolated,
    /** No worktree of this task is in use: none was made, or the last one is removed. */
    worktreeSettled: ({ context }) => context.worktree === null || context.worktree.phase === "removed",
    /** The attempt may verify: it is not isolated, or its worktree is made (and not yet committed). */
    worktreeReadyIfIsolated: ({ context }) =>
      !context.isolated || (context.worktree?.attempt === context.attempt && context.worktree.phase === "created"),
    worktreeIn: ({ context }, params: { phases: readonly WorktreePhase[] }) =>
      context.worktree !== null && context.worktree.attempt === context.attempt && params.phases.includes(context.worktree.phase),
    worktreeMergedAndRemoved: ({ context }) =>
      context.worktree?.attempt === context.attempt && context.worktree.phase === "removed" && context.worktree.merged,
    decidedRetry: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "retry",
    decidedSkip: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "skip",
    decidedAbort: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "abort",
  },
  actions: {
    adoptSpec: assign(({ context, event }) => {
      const task = event.type === "PLAN_CHANGED" ? event.data.plan.tasks.find((t) => t.id === context.task_id) : undefined;
      // A task a change alters is no longer the one whose result its rerun's source recorded.
      return task && event.type === "PLAN_CHANGED" ? { ...context, ...specOf(task, event.data.plan.recovery, event.data.settled, event.data.plan.isolation), reusable: false } : context;
    }),
    recordWorktree: assign({ worktree: ({ context }) => ({ attempt: context.attempt, phase: "created" as WorktreePhase, merged: false }) }),
    recordWorktreePhase: assign({
      worktree: ({ context }, params: { phase: WorktreePhase }) =>
        context.worktree && { ...context.worktree, phase: params.phase, merged: context.worktree.merged || params.phase === "merged" },
    }),
    recordSettledDependency: assign({ settled: ({ context }) => context.settled + 1 }),
    recordAttempt: assign({
      attempt: ({ context, event }) => (event.type === "TASK_STARTED" ? event.data.attempt : context.attempt),
      failure_class: null,
      rate_limit: null,
      due_at: null,
      resumed: false,
      budget_stop: false,
    }),
    recordBudgetStop: assign({ budget_stop: true }),
    recordResume: assign({ resumed: true }),
    countRetry: assign({
      // A rate limit's retry spends the class's budget the first time only.
      retries: ({ context }) => context.retries + (context.rate_limit !== null && context.rate_limit_retries > 0 ? 0 : 1),
      rate_limit_retries: ({ context }) => context.rate_limit_retries + (context.rate_limit === null ? 0 : 1),
      due_at: ({ context, event }) => (event.type === "RECOVERY_ATTEMPTED" ? event.data.due_at : context.due_at),
    }),
    /** A human's retry: a fresh attempt now, with the automatic budget reset. */
    resetBudget: assign({ retries: 0, rate_limit_retries: 0, due_at: null, budget_stop: false }),
    recordFailureClass: assign({
      failure_class: ({ context, event }) => (event.type === "FAILURE_CLASSIFIED" ? event.data.class : context.failure_class),
      rate_limit: ({ context, event }) =>
        event.type !== "FAILURE_CLASSIFIED" ? context.rate_limit
        : event.data.rate_limit === undefined ? null
        : { reset_at: event.data.rate_limit.reset_at ?? null },
    }),
    /** Named effects: declared here as no-ops, supplied by the runtime with `machine.provide()`. */
    startWorker: () => {},
    runAcceptanceTests: () => {},
    classifyFailure: () => {},
    scheduleRetry: () => {},
    askHuman: () => {},
    noteWorker: () => {},
    noteRecovery: () => {},
    mergeCommit: () => {},
    removeWorktree: () => {},
  },
}).createMachine({
  id: "task",
  initial: "pending",
  context: ({ input }) => ({
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
  }),
  on: {
    TASK_COMPLETED: { guard: "isDependencySettling", actions: "recordSettledDependency" },
    DECISION_RECORDED: { guard: "isDependencySettling", actions: "recordSettledDependency" },
    TASK_SKIPPED: { guard: "isDependencySettling", actions: "recordSettledDependency" },
    TASK_REUSED: { guard: "isDependencySettling", actions: "recordSettledDependency" },
  },
  states: {
    pending: {
      on: {
        TASK_READY: { guard: "allDependenciesSettled", target: "ready" },
        // ── rerun (issue 22): the source's result, taken over once what it built on is settled ──
        TASK_REUSED: { guard: and(["isOwn", "isReusable", "allDependenciesSettled"]), target: "reused" },
        TASK_SKIPPED: skipOwn,
        PLAN_CHANGED: respecify,
      },
    },
    ready: {
      on: {
        TASK_STARTED: { guard: "isNextAttempt", target: "running", actions: ["recordAttempt", "startWorker"] },
        RUN_BUDGET_SPENT: budgetStop,
        TASK_SKIPPED: skipOwn,
        // Back to pending: the next scheduling turn makes it ready again if its dependencies allow.
        PLAN_CHANGED: { ...respecify, target: "pending" },
      },
    },
    running: {
      on: {
        WORKER_SPAWNING: { guard: "isCurrentAttempt", actions: "noteWorker" },
        WORKTREE_CREATED: { guard: and(["isCurrentAttempt", "isIsolated", "worktreeSettled"]), actions: "recordWorktree" },
        TASK_VERIFYING: { guard: and(["isCurrentAttempt", "worktreeReadyIfIsolated"]), target: "verifying", actions: "runAcceptanceTests" },
        TASK_FAILED: { guard: "isCurrentAttempt", target: "classifying", actions: "classifyFailure" },
        TASK_INTERRUPTED: { guard: "isCurrentAttempt", target: "interrupted" },
      },
    },
    verifying: {
      on: {
        RECOVERY_SUCCEEDED: { guard: and(["isCurrentAttempt", "isRetryAttempt"]), actions: "noteRecovery" },
        TASK_COMPLETED: { guard: and(["isOwn", "isCurrentAttempt", not("isIsolated")]), target: "succeeded" },
        // Isolated: the acceptance tests passed in the worktree, peh made the task's commit.
        TASK_COMMITTED: { guard: and(["isCurrentAttempt", inPhase("created")]), target: "merging", actions: [toPhase("committed"), "mergeCommit"] },
        TASK_FAILED: { guard: "isCurrentAttempt", target: "classifying", actions: "classifyFailure" },
        TASK_INTERRUPTED: { guard: "isCurrentAttempt", target: "interrupted" },
      },
    },
    // The serial merge queue: replay onto the branch head (again when a crash or a racing move
    // makes it stale), fast-forward the branch, remove the worktree, complete. A conflict, or an
    // acceptance test failing on the rebased tree, is a failure of this attempt.
    merging: {
      on: {
        TASK_REBASED: { guard: and(["isCurrentAttempt", inPhase("committed", "rebased")]), actions: toPhase("rebased") },
        TASK_MERGED: { guard: and(["isCurrentAttempt", inPhase("rebased")]), actions: [toPhase("merged"), "removeWorktree"] },
        WORKTREE_REMOVED: { guard: and(["isCurrentAttempt", inPhase("merged")]), actions: toPhase("removed") },
        RECOVERY_SUCCEEDED: { guard: and(["isCurrentAttempt", "isRetryAttempt"]), actions: "noteRecovery" },
        TASK_COMPLETED: { guard: and(["isOwn", "isCurrentAttempt", "worktreeMergedAndRemoved"]), target: "succeeded" },
        TASK_FAILED: { guard: and(["isCurrentAttempt", inPhase("committed", "rebased")]), target: "classifying", actions: "classifyFailure" },
        // Caught by a crash before its commit reached the branch, in a run that aborts: its commit is archived.
        TASK_INTERRUPTED: { guard: and(["isCurrentAttempt", inPhase("committed", "rebased")]), target: "interrupted" },
      },
    },
    classifying: {
      on: {
        // An isolated attempt's work is archived and its worktree removed before the failure is
        // classified: whatever follows (a retry, a human, the end of the run) starts clean.
        ...keepFailedWork,
        FAILURE_CLASSIFIED: { guard: and(["isCurrentAttempt", "worktreeSettled"]), target: "classified", actions: "recordFailureClass" },
      },
    },
    classified: {
      on: {
        // Never an automatic re-run of a task that is not idempotent: only a human's retry runs it again.
        RECOVERY_ATTEMPTED: {
          guard: and(["isNextAttempt", "withinBudget", "isIdempotent"]),
          target: "retry_scheduled",
          actions: ["countRetry", "scheduleRetry"],
        },
        RECOVERY_ESCALATION: { target: "awaiting_decision", actions: "askHuman" },
        PERMISSION_REQUIRED: { target: "awaiting_decision", actions: "askHuman" },
        TASK_SKIPPED: skipOwnThatRan,
      },
    },
    retry_scheduled: {
      on: {
        TASK_STARTED: { guard: "isNextAttempt", target: "running", actions: ["recordAttempt", "startWorker"] },
        RUN_BUDGET_SPENT: budgetStop,
        // A human's retry now: the wait is dropped, the budget reset as by any human's retry.
        RECOVERY_EXPEDITED: { guard: and(["isOwn", "isScheduledRetry"]), actions: "resetBudget" },
        TASK_SKIPPED: skipOwnThatRan,
        PLAN_CHANGED: fixInPlace,
      },
    },
    awaiting_decision: {
      on: {
        DECISION_RECORDED: [
          { guard: and(["isOwn", "decidedRetry"]), target: "retry_scheduled", actions: "resetBudget" },
          { guard: and(["isOwn", "decidedSkip"]), target: "skipped" },
          { guard: and(["isOwn", "decidedAbort"]), target: "failed" },
        ],
        TASK_SKIPPED: skipOwnThatRan,
        PLAN_CHANGED: fixInPlace,
      },
    },
    interrupted: {
      on: {
        ...keepFailedWork,
        TASK_STARTED: {
          guard: and(["isNextAttempt", "isIdempotent", "worktreeSettled"]),
          target: "running",
          actions: ["recordAttempt", "recordResume", "startWorker"],
        },
        RUN_BUDGET_SPENT: { ...budgetStop, guard: and(["isOwn", "isNextAttempt", "worktreeSettled"]) },
        RECOVERY_ESCALATION: { guard: not("isIdempotent"), target: "awaiting_decision", actions: "askHuman" },
        // Skipped by an abort only once its worktree is archived and removed: no run ends with one.
        TASK_SKIPPED: skipOwnThatRan.map((skip) => ({ ...skip, guard: and([skip.guard, "worktreeSettled"]) })),
      },
    },
    succeeded: { type: "final", tags: [SETTLES_DEPENDENTS] },
    /** Rerun (issue 22): succeeded in the source run, its result taken over, not run again. */
    reused: { type: "final", tags: [SETTLES_DEPENDENTS] },
    skipped: { type: "final", tags: [SETTLES_DEPENDENTS] },
    upstream_failed: { type: "final" },
    failed: { type: "final" },
  },
});

export type TaskMachine = typeof taskMachine;
export type TaskState = keyof typeof taskMachine.config.states & string;
