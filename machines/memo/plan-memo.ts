// Pure. The memo key of the plan machine (lite.ts): only the events it vouches for are memoized.
import type { PehEvent } from "../../events/index.js";
import type { MemoSpec } from "./lite.js";
import { planMachine, type PlanContext } from "../plan.js";
import { NOTHING_SPENT, budgetLeft } from "../run-budget.js";

/** Events the plan only vouches for: no assign reads them, and only their phase is guarded. */
const VOUCHED = new Set<PehEvent["type"]>([
  "TASK_READY",
  "TASK_REUSED",
  "TASK_STARTED",
  "WORKER_SPAWNING",
  "TASK_SKIPPED",
  "BOOTSTRAP_PHASE_STARTED",
  "BOOTSTRAP_PHASE_FAILED",
  "BOOTSTRAP_PHASE_COMPLETED",
]);

/** Plan transitions are memoized only for the events it vouches for; the rest are rare. */
export const planMemo: MemoSpec<PlanContext, PehEvent> = {
  machine: planMachine,
  key: (context, event) => {
    if (!VOUCHED.has(event.type)) return undefined;
    // A start is judged by the run's budget too (issue 21): only a run with one is keyed by it.
    if (event.type === "TASK_STARTED" && context.budget) return budgetLeft(context.budget, context.spent ?? NOTHING_SPENT) ? event.type : "TASK_STARTED|spent";
    const phase = "phase" in event.data ? event.data.phase : undefined;
    const reason = "reason" in event.data ? event.data.reason : undefined;
    // Most vouched events have neither: their type alone is the key (no string to build and hash).
    return phase === undefined && reason === undefined ? event.type : `${event.type}|${phase ?? ""}|${reason ?? ""}`;
  },
};
