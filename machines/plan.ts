// Pure. The plan lifecycle: the approval gate (one approval per version, every risky phrase
// typed), bootstrapping, execution with waits for human decisions, and the outcome.
// The plan machine also judges task events: nothing is made ready or started unless it executes.
import { and, assign, not, setup } from "xstate";
import { SERVICE_PLANNER, confirmationPhrase, type Budget, type Plan, type PehEvent, type RiskyTask, type Spent, type TaskId } from "../events/index.js";
import { confirms, requestedGrants, unconfirmedRisky } from "./grants.js";
import { NOTHING_SPENT, budgetLeft, spentAfter } from "./run-budget.js";

export interface PlanContext {
  version: number;
  /** The version a human approved at the gate; a change mid-run does not move it (see changed_by). */
  approved_version: number | null;
  /** Who changed the approved plan mid-run (PLAN_CHANGED), each once, in order. */
  changed_by: readonly string[];
  /** Who made the plan (PLAN_CREATED's planner): `rpc` for the worker service's own run. */
  planner: string | null;
  /** The risky tasks of the current version, the phrase each needs and the grants it asks for, derived from the plan. */
  risky: readonly RiskyTask[];
  /**
   * What humans confirmed and still holds: at approval the approved version's risky tasks with
   * their grants, then after each confirmed change the new version's (a grant narrowed by a
   * change stays narrowed). Empty until approved. The rights an attempt may run with come from
   * here (runtime/workspace/grants.ts), never from the plan alone.
   */
  granted: readonly RiskyTask[];
  task_count: number;
  /** Tasks whose escalation waits for a human decision. */
  awaiting: readonly TaskId[];
  /** A human cancelled the run (`peh cancel`): its running tasks are stopped, not awaited. */
  cancelled: boolean;
  /** The run's git branch `peh/<run>`, once made (isolated work, DESIGN §11); null before or without one. */
  run_branch?: string | null;
  /** The current version's `budget` (issue 21): once spent, no new attempt starts. */
  budget?: Budget | null;
  /** What the run's agents have reported spending, attempt by attempt. */
  spent?: Spent;
}

/** The worker service's own run (see SERVICE_PLANNER). */
export const isServicePlan = (context: Pick<PlanContext, "planner">): boolean => context.planner === SERVICE_PLANNER;

/**
 * The risky tasks of a plan, each with its phrase and the grants it asks for. A task that asks for
 * a grant is risky whatever its `risky` says: a plan can ask for rights, only a human grants them.
 */
export function riskyTasksOf(plan: Pick<Plan, "tasks">): RiskyTask[] {
  const risky: RiskyTask[] = [];
  for (const task of plan.tasks) {
    const grants = requestedGrants(task);
    if (task.risky !== true && grants === undefined) continue;
    risky.push({ task_id: task.id, phrase: confirmationPhrase(task), ...(grants ? { grants } : {}) });
  }
  return risky;
}

const planOf = (event: PehEvent): Plan | undefined =>
  event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED"
    ? event.data.plan
    : undefined;

const acknowledge = { actions: "acknowledge" } as const;

/** A human ends the run (`peh cancel`): it aborts, and what runs is stopped. */
const cancel = { target: "aborting", actions: ["recordCancel", "stopRunningTasks"] } as const;

/** A fresh version, or an answered question, goes (back) to the human for approval. */
const requestApproval = {
  guard: and(["isCurrentVersion", "listsEveryRiskyTask"]),
  target: "awaiting_approval",
  actions: "requestApproval",
} as const;

export const planMachine = setup({
  types: {
    context: {} as PlanContext,
    events: {} as PehEvent,
  },
  guards: {
    hasRunBranch: ({ context }) => (context.run_branch ?? null) !== null,
    isFirstVersion: ({ event }) => planOf(event)?.version === 1,
    isNextVersion: ({ context, event }) => planOf(event)?.version === context.version + 1,
    isCurrentVersion: ({ context, event }) => "version" in event.data && event.data.version === context.version,
    listsEveryRiskyTask: ({ context, event }) =>
      event.type === "GATE_APPROVAL_REQUESTED" &&
      event.data.risky_tasks.length === context.risky.length &&
      context.risky.every((risky) => event.data.risky_tasks.some((listed) => confirms(listed, risky))),
    /** Every risky task confirmed with its phrase, for the grants the version shows. */
    allRiskyConfirmed: ({ context, event }) =>
      event.type === "GATE_APPROVED" && context.risky.every((risky) => event.data.confirmations.some((given) => confirms(given, risky))),
    isFinalBootstrapPhase: ({ event }) => event.type === "BOOTSTRAP_PHASE_COMPLETED" && event.data.phase === "main_runtime",
    isAwaited: ({ context, event }) => event.type === "DECISION_RECORDED" && context.awaiting.includes(event.data.task_id),
    isLastAwaited: ({ context, event }) =>
      event.type === "DECISION_RECORDED" && context.awaiting.length === 1 && context.awaiting[0] === event.data.task_id,
    /**
     * A change mid-run that adds risky tasks, alters their phrase, or adds to or widens the grants
     * of any task (risky before or not) carries the phrase of each, for the grants it now asks
     * for (the gate's rule; grants are compared, not only the risky flag).
     */
    newRiskyConfirmed: ({ context, event }) =>
      event.type === "PLAN_CHANGED" &&
      unconfirmedRisky(context.granted, riskyTasksOf(event.data.plan)).every((risky) => event.data.confirmations.some((given) => confirms(given, risky))),
    isPlanChangeSkip: ({ event }) => event.type === "TASK_SKIPPED" && event.data.reason === "plan_changed",
    decidedAbort: ({ event }) => event.type === "DECISION_RECORDED" && event.data.decision === "abort",
    isCancelled: ({ context }) => context.cancelled,
    countsCoverEveryTask: ({ context, event }) => {
      if (event.type !== "EXECUTION_COMPLETE") return false;
      const { succeeded, failed, skipped, upstream_failed, reused = 0 } = event.data.counts;
      return succeeded + failed + skipped + upstream_failed + reused === context.task_count;
    },
    /** The run's budget has something left (or it has none): a new attempt may start. */
    budgetLeft: ({ context }) => budgetLeft(context.budget, context.spent ?? NOTHING_SPENT),
    outcomeCompleted: ({ event }) => event.type === "EXECUTION_COMPLETE" && event.data.outcome === "completed",
    outcomeFailed: ({ event }) => event.type === "EXECUTION_COMPLETE" && event.data.outcome === "failed",
    outcomeAborted: ({ event }) => event.type === "EXECUTION_COMPLETE" && event.data.outcome === "aborted",
    nothingFailed: ({ event }) =>
      event.type === "EXECUTION_COMPLETE" && event.data.counts.failed === 0 && event.data.counts.upstream_failed === 0,
  },
  actions: {
    adoptVersion: assign(({ context, event }) => {
      const plan = planOf(event);
      if (!plan) return context;
      const planner = event.type === "PLAN_CREATED" ? event.data.planner : context.planner;
      return { ...context, version: plan.version, risky: riskyTasksOf(plan), task_count: plan.tasks.length, planner, budget: plan.budget ?? null };
    }),
    recordSpending: assign({
      spent: ({ context, event }) =>
        (event.type === "TASK_VERIFYING" || event.type === "TASK_FAILED") && event.data.agent ? spentAfter(context.spent ?? NOTHING_SPENT, event.data.agent) : context.spent,
    }),
    /** The approval grants exactly what the approved version shows (the guard saw each confirmed). */
    recordApproval: assign({ approved_version: ({ context }) => context.version, granted: ({ context }) => context.risky }),
    /**
     * A confirmed change mid-run lets the run go on without a new approval, but no human approved
     * the version it makes: the approved version stays, and who changed it is kept beside it.
     */
    recordChange: assign({
      // After adoptVersion: the new version's risky tasks, each confirmed or covered by a confirmation.
      granted: ({ context }) => context.risky,
      changed_by: ({ context, event }) => (context.changed_by.includes(event.actor) ? context.changed_by : [...context.changed_by, event.actor]),
    }),
    revokeApproval: assign({ approved_version: null, granted: [] }),
    awaitDecision: assign({
      awaiting: ({ context, event }) =>
        "task_id" in event.data && !context.awaiting.includes(event.data.task_id as TaskId)
          ? [...context.awaiting, event.data.task_id as TaskId]
          : context.awaiting,
    }),
    resolveDecision: assign({
      awaiting: ({ context, event }) =>
        event.type === "DECISION_RECORDED" ? context.awaiting.filter((id) => id !== event.data.task_id) : context.awaiting,
    }),
    recordCancel: assign({ cancelled: true }),
    recordRunBranch: assign({ run_branch: ({ context, event }) => (event.type === "RUN_BRANCH_STARTED" ? event.data.branch : (context.run_branch ?? null)) }),
    /** The plan accepts the event without moving: it only vouches that it may happen now. */
    acknowledge: () => {},
    /** Named effects, supplied by the runtime. */
    requestApproval: () => {},
    startBootstrap: () => {},
    scheduleReadyTasks: () => {},
    notifyHuman: () => {},
    stopRunningTasks: () => {},
    finish: () => {},
  },
}).createMachine({
  id: "plan",
  initial: "new",
  context: { version: 0, approved_version: null, changed_by: [], planner: null, risky: [], granted: [], task_count: 0, awaiting: [], cancelled: false },
  // An attempt's agent report, whatever the plan's state: what the run has spent (run-route.ts
  // delivers only the reports, as an observer).
  on: { TASK_VERIFYING: { actions: "recordSpending" }, TASK_FAILED: { actions: "recordSpending" } },
  states: {
    new: {
      on: { PLAN_CREATED: { guard: "isFirstVersion", target: "drafted", actions: "adoptVersion" } },
    },
    drafted: {
      on: {
        GATE_APPROVAL_REQUESTED: requestApproval,
      },
    },
    awaiting_approval: {
      on: {
        GATE_APPROVED: {
          guard: and(["isCurrentVersion", "allRiskyConfirmed"]),
          target: "approved",
          actions: "recordApproval",
        },
        GATE_MODIFIED: { guard: "isNextVersion", target: "drafted", actions: "adoptVersion" },
        GATE_CLARIFICATION_REQUESTED: { guard: "isCurrentVersion", target: "clarification_requested" },
        GATE_REJECTED: { guard: "isCurrentVersion", target: "rejected" },
      },
    },
    clarification_requested: {
      on: {
        GATE_APPROVAL_REQUESTED: requestApproval,
        GATE_MODIFIED: { guard: "isNextVersion", target: "drafted", actions: "adoptVersion" },
        GATE_REJECTED: { guard: "isCurrentVersion", target: "rejected" },
      },
    },
    approved: {
      on: {
        GATE_MODIFIED: { guard: "isNextVersion", target: "drafted", actions: ["revokeApproval", "adoptVersion"] },
        GATE_REJECTED: { guard: "isCurrentVersion", target: "rejected", actions: "revokeApproval" },
        BOOTSTRAP_PHASE_STARTED: { target: "bootstrapping", actions: "startBootstrap" },
        RUN_CANCELLED: cancel,
      },
    },
    bootstrapping: {
      on: {
        BOOTSTRAP_PHASE_STARTED: acknowledge,
        BOOTSTRAP_PHASE_FAILED: acknowledge,
        BOOTSTRAP_PHASE_COMPLETED: [
          { guard: "isFinalBootstrapPhase", target: "executing", actions: "scheduleReadyTasks" },
          acknowledge,
        ],
        EXECUTION_COMPLETE: { guard: "outcomeFailed", target: "failed" },
        RUN_CANCELLED: cancel,
      },
    },
    executing: {
      on: {
        TASK_READY: acknowledge,
        TASK_REUSED: acknowledge,
        // Only while the run's budget has something left: a spent one stops the next attempt.
        TASK_STARTED: { guard: "budgetLeft", actions: "acknowledge" },
        RUN_BUDGET_SPENT: { guard: not("budgetLeft"), target: "awaiting_decision", actions: ["awaitDecision", "notifyHuman"] },
        WORKER_SPAWNING: acknowledge,
        TASK_SKIPPED: acknowledge,
        // An automatic retry is scheduled only while the plan executes: under stop on error, a
        // sibling's retry is held (its task stays classified) until the human's decision.
        RECOVERY_ATTEMPTED: acknowledge,
        RECOVERY_EXPEDITED: acknowledge,
        RUN_CANCELLED: cancel,
        // Once, before the first isolated attempt: the run's branch from the user's HEAD.
        RUN_BRANCH_STARTED: { guard: not("hasRunBranch"), actions: "recordRunBranch" },
        RECOVERY_ESCALATION: { target: "awaiting_decision", actions: ["awaitDecision", "notifyHuman"] },
        PERMISSION_REQUIRED: { target: "awaiting_decision", actions: ["awaitDecision", "notifyHuman"] },
        PLAN_CHANGED: { guard: and(["isNextVersion", "newRiskyConfirmed"]), actions: ["adoptVersion", "recordChange"] },
        EXECUTION_COMPLETE: [
          {
            guard: and(["countsCoverEveryTask", "nothingFailed", "outcomeCompleted"]),
            target: "completed",
            actions: "finish",
          },
          {
            guard: and(["countsCoverEveryTask", "outcomeFailed"]),
            target: "failed",
            actions: "finish",
          },
        ],
      },
    },
    awaiting_decision: {
      on: {
        // A sibling that was already running may finish, fail and escalate too; nothing new starts.
        RECOVERY_ESCALATION: { actions: "awaitDecision" },
        PERMISSION_REQUIRED: { actions: "awaitDecision" },
        PLAN_CHANGED: { guard: and(["isNextVersion", "newRiskyConfirmed"]), actions: ["adoptVersion", "recordChange"] },
        // A change while a human decides may drop tasks that have not run (the task machine judges).
        TASK_SKIPPED: { guard: "isPlanChangeSkip", actions: "acknowledge" },
        // A retry made due now starts once the plan executes again.
        RECOVERY_EXPEDITED: acknowledge,
        RUN_CANCELLED: cancel,
        DECISION_RECORDED: [
          { guard: and(["isAwaited", "decidedAbort"]), target: "aborting", actions: "resolveDecision" },
          { guard: "isLastAwaited", target: "executing", actions: ["resolveDecision", "scheduleReadyTasks"] },
          { guard: "isAwaited", actions: "resolveDecision" },
        ],
      },
    },
    aborting: {
      on: {
        TASK_SKIPPED: acknowledge,
        // After an abort decision running siblings finish; a cancel stops them too.
        RUN_CANCELLED: { guard: not("isCancelled"), actions: ["recordCancel", "stopRunningTasks"] },
        DECISION_RECORDED: { guard: "isAwaited", actions: "resolveDecision" },
        EXECUTION_COMPLETE: {
          guard: and(["countsCoverEveryTask", "outcomeAborted"]),
          target: "aborted",
          actions: "finish",
        },
      },
    },
    // `peh land`: a completed run's branch brought into the user's branch (the run stays completed).
    completed: { type: "final", on: { RUN_LANDED: { guard: "hasRunBranch", actions: "acknowledge" } } },
    failed: { type: "final" },
    aborted: { type: "final" },
    rejected: { type: "final" },
  },
});

export type PlanMachine = typeof planMachine;
