// Pure. The task lifecycle: pending → ready → running → verifying → succeeded, with failure
// classification, scheduled retries, human decisions and the terminal states of DESIGN §4; in a
// rerun (DESIGN §15) pending → reused, the source's result taken over.
// Dependencies: a task also receives its dependencies' settling events (completed, skipped by a
// decision or the plan) and counts them; it becomes ready only when all have settled.
// Its context is in task/context.ts, its guards in task/guards.ts, the transitions its states
// share in task/transitions.ts.
import { and, assign, not, setup } from "xstate";
import type { PehEvent } from "../events/index.js";
import { initialContext, specOf, type TaskContext, type TaskInput, type WorktreePhase } from "./task/context.js";
import { taskGuards } from "./task/guards.js";
import { budgetStop, fixInPlace, inPhase, keepFailedWork, respecify, skipOwn, skipOwnThatRan, toPhase } from "./task/transitions.js";

export type { TaskContext, TaskInput, WorktreeFacts, WorktreePhase } from "./task/context.js";
export { taskIdOf } from "./task/guards.js";

/** The tag of the states whose dependents may proceed: succeeded, and skipped on purpose. */
export const SETTLES_DEPENDENTS = "settles_dependents";

export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as PehEvent,
    input: {} as TaskInput,
  },
  guards: taskGuards,
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
  context: ({ input }) => initialContext(input),
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
