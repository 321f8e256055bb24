// Pure. The task lifecycle: pending → ready → running → verifying → succeeded, with failure
// classification, scheduled retries, human decisions and the terminal states of DESIGN §4; in a
// rerun (DESIGN §15) pending → reused, the source's result taken over.
// Dependencies: a task also receives its dependencies' settling events (completed, skipped by a
// decision or the plan) and counts them; it becomes ready only when all have settled.
import { and, assign, not, setup } from "xstate";
import type { FailureClass, PehEvent, PlanTask, Recovery, TaskId } from "../events/index.js";
import { NO_RETRIES, retryBudget } from "./recovery.js";

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
  /** How many automatic retries each failure class allows (the recovery policy's budget). */
  budget: Readonly<Record<FailureClass, number>>;
  /** When the scheduled retry is due (ISO time), so that a resumed run waits only what remains. */
  due_at: string | null;
  /** The attempt under way began after an interruption (a crash, a drain): a resume, not a retry. */
  resumed: boolean;
  // ── rerun (issue 22) ──
  /** A rerun may take over this task's result from its source (TASK_REUSED) instead of running it. */
  reusable: boolean;
}

export interface TaskInput {
  task: Pick<PlanTask, "id" | "idempotent" | "depends_on" | "recovery">;
  /** The plan-wide recovery policies, under the task's own. */
  recovery?: Recovery | undefined;
  /** Tasks already settled for their dependents (a task added by a change mid-run). */
  settled?: readonly TaskId[];
  /** A rerun's task whose source result it may take over (TASK_REUSED): see machines/reuse.ts. */
  reusable?: boolean;
}

/** The tag of the states whose dependents may proceed: succeeded, and skipped on purpose. */
export const SETTLES_DEPENDENTS = "settles_dependents";

/** A task's dependencies (deduplicated) and how many of them have settled already. */
function specOf(task: TaskInput["task"], recovery: Recovery | undefined, settled: readonly TaskId[] = []) {
  const depends_on = [...new Set(task.depends_on)];
  return {
    idempotent: task.idempotent,
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
      (event.type === "TASK_STARTED" || event.type === "RECOVERY_ATTEMPTED") &&
      (event.type === "TASK_STARTED" ? event.data.attempt : event.data.next_attempt) === context.attempt + 1,
    isCurrentAttempt: ({ context, event }) =>
      "attempt" in event.data && event.data.attempt === context.attempt,
    isIdempotent: ({ context }) => context.idempotent,
    isRetryAttempt: ({ context }) => context.attempt > 1,
    withinBudget: ({ context }) => context.failure_class !== null && context.retries < context.budget[context.failure_class],
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
    decidedRetry: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "retry",
    decidedSkip: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "skip",
    decidedAbort: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "abort",
  },
  actions: {
    adoptSpec: assign(({ context, event }) => {
      const task = event.type === "PLAN_CHANGED" ? event.data.plan.tasks.find((t) => t.id === context.task_id) : undefined;
      // A task a change alters is no longer the one whose result its rerun's source recorded.
      return task && event.type === "PLAN_CHANGED" ? { ...context, ...specOf(task, event.data.plan.recovery, event.data.settled), reusable: false } : context;
    }),
    recordSettledDependency: assign({ settled: ({ context }) => context.settled + 1 }),
    recordAttempt: assign({
      attempt: ({ context, event }) => (event.type === "TASK_STARTED" ? event.data.attempt : context.attempt),
      failure_class: null,
      due_at: null,
      resumed: false,
    }),
    recordResume: assign({ resumed: true }),
    countRetry: assign({
      retries: ({ context }) => context.retries + 1,
      due_at: ({ context, event }) => (event.type === "RECOVERY_ATTEMPTED" ? event.data.due_at : context.due_at),
    }),
    /** A human's retry: a fresh attempt now, with the automatic budget reset. */
    resetBudget: assign({ retries: 0, due_at: null }),
    recordFailureClass: assign({
      failure_class: ({ context, event }) => (event.type === "FAILURE_CLASSIFIED" ? event.data.class : context.failure_class),
    }),
    /** Named effects: declared here as no-ops, supplied by the runtime with `machine.provide()`. */
    startWorker: () => {},
    runAcceptanceTests: () => {},
    classifyFailure: () => {},
    scheduleRetry: () => {},
    askHuman: () => {},
    noteWorker: () => {},
    noteRecovery: () => {},
  },
}).createMachine({
  id: "task",
  initial: "pending",
  context: ({ input }) => ({
    task_id: input.task.id,
    // Deduplicated: the count of settled dependencies must be able to reach it.
    ...specOf(input.task, input.recovery, input.settled),
    attempt: 0,
    failure_class: null,
    retries: 0,
    due_at: null,
    resumed: false,
    reusable: input.reusable === true,
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
        TASK_SKIPPED: skipOwn,
        // Back to pending: the next scheduling turn makes it ready again if its dependencies allow.
        PLAN_CHANGED: { ...respecify, target: "pending" },
      },
    },
    running: {
      on: {
        WORKER_SPAWNING: { guard: "isCurrentAttempt", actions: "noteWorker" },
        TASK_VERIFYING: { guard: "isCurrentAttempt", target: "verifying", actions: "runAcceptanceTests" },
        TASK_FAILED: { guard: "isCurrentAttempt", target: "classifying", actions: "classifyFailure" },
        TASK_INTERRUPTED: { guard: "isCurrentAttempt", target: "interrupted" },
      },
    },
    verifying: {
      on: {
        RECOVERY_SUCCEEDED: { guard: and(["isCurrentAttempt", "isRetryAttempt"]), actions: "noteRecovery" },
        TASK_COMPLETED: { guard: and(["isOwn", "isCurrentAttempt"]), target: "succeeded" },
        TASK_FAILED: { guard: "isCurrentAttempt", target: "classifying", actions: "classifyFailure" },
        TASK_INTERRUPTED: { guard: "isCurrentAttempt", target: "interrupted" },
      },
    },
    classifying: {
      on: {
        FAILURE_CLASSIFIED: { guard: "isCurrentAttempt", target: "classified", actions: "recordFailureClass" },
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
        TASK_STARTED: {
          guard: and(["isNextAttempt", "isIdempotent"]),
          target: "running",
          actions: ["recordAttempt", "recordResume", "startWorker"],
        },
        RECOVERY_ESCALATION: { guard: not("isIdempotent"), target: "awaiting_decision", actions: "askHuman" },
        TASK_SKIPPED: skipOwnThatRan,
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
