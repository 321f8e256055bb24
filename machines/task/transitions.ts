// Pure. Transitions the task machine's states share (machines/task.ts): skips, changes mid-run,
// the run's budget stop, and what becomes of a failed attempt's worktree.
import { and, not } from "xstate";
import type { WorktreePhase } from "./context.js";

/** A task that has not started can be skipped: by an abort, or dropped by a change mid-run. */
export const skipOwn = [
  { guard: and(["isOwn", "isUpstreamFailure"]), target: "upstream_failed" },
  { guard: "isOwn", target: "skipped" },
] as const;

/** A task that ran can be skipped by an abort, never dropped by a plan change. */
export const skipOwnThatRan = [
  { guard: and(["isOwn", "isUpstreamFailure"]), target: "upstream_failed" },
  { guard: and(["isOwn", not("isPlanChangeSkip")]), target: "skipped" },
] as const;

/** Re-specified by a change mid-run (its dependencies, idempotence), while it has not started. */
export const respecify = { guard: "isStillPlanned", actions: "adoptSpec" } as const;

/**
 * Fixed in place by a change mid-run while nothing of it runs (it failed and waits for a human or
 * for its retry): its next attempt runs the new definition. It ran once its dependencies had
 * settled, so the change may not make it wait for one that has not.
 */
export const fixInPlace = { guard: and(["isStillPlanned", "dependenciesStaySettled"]), actions: "adoptSpec" } as const;

/**
 * The run's budget is spent (the plan judges that): the next attempt does not start, a human
 * decides (a retry once the budget is raised, a skip, an abort).
 */
export const budgetStop = { guard: and(["isOwn", "isNextAttempt"]), target: "awaiting_decision", actions: ["recordBudgetStop", "askHuman"] } as const;

/** The guard "the current attempt's worktree is in one of `phases`". */
export const inPhase = (...phases: WorktreePhase[]) => ({ type: "worktreeIn", params: { phases } }) as const;
/** The action "the current attempt's worktree is now in `phase`". */
export const toPhase = (phase: WorktreePhase) => ({ type: "recordWorktreePhase", params: { phase } }) as const;

/** A failed or interrupted attempt's worktree: archived (unless merged), then removed. */
export const keepFailedWork = {
  WORKTREE_ARCHIVED: {
    guard: and(["isCurrentAttempt", inPhase("created", "committed", "rebased")]),
    actions: [toPhase("archived"), "removeWorktree"],
  },
  WORKTREE_REMOVED: {
    guard: and(["isCurrentAttempt", inPhase("archived")]),
    actions: toPhase("removed"),
  },
} as const;
